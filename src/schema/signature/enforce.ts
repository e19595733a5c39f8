/** MLflow's `_enforce_schema`: a signature's inputs checked before the model runs (columns or tensors). */
import { enforceColumns } from './enforce-columns.js';
import { enforceTensors } from './enforce-tensors.js';
import type { PredictInput, Schema } from './types.js';

/**
 * MLflow's `_enforce_schema`: only the conversions MLflow allows (see the module comment), extra
 * columns dropped and the rest put in signature order, optional columns may be missing, a missing
 * required column is an error; tensors: dtype and shape checked with -1 as a wildcard. Columns given
 * to a tensor signature are reshaped per `_reshape_and_cast_pandas_column_values`; tensors given to
 * a column signature become columns. Throws MlflowEdgeError (INVALID_PARAMETER_VALUE) before any
 * model runs; `details.field` names the column / tensor at fault.
 */
export function enforceSchema(input: PredictInput, schema: Schema): PredictInput {
  return schema.kind === 'columns' ? enforceColumns(input, schema) : enforceTensors(input, schema);
}
