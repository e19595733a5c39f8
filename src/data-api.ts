/**
 * `mlflow-edge/data`: datasets as `mlflow.data` makes them, for
 * `run.logInput` (MLflow's `mlflow.log_input`): name, digest, source, schema
 * and profile computed from the values, as MLflow Python computes them. A
 * separate entry, so pages that only track do not load the hashing.
 *
 *   import { fromRecords, fromColumns, fromNumpy } from 'mlflow-edge/data';
 */
export { fromColumns, fromNumpy, fromRecords } from './schema/datasets/dataset.js';
export type {
  ArrayData,
  ColumnValues,
  Dataset,
  DatasetOptions,
  NumpyArray,
} from './schema/datasets/dataset.js';
export type { DatasetSource } from './schema/datasets/sources.js';
export { MAX_ROWS } from './schema/datasets/digest.js';
