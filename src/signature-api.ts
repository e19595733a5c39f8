/**
 * `mlflow-edge/signature`: MLflow model signatures on the page, without the
 * tracker: infer one from example data (as `mlflow.models.infer_signature`
 * does) to pass to `run.logModel`, and turn one into a JSON Schema for forms
 * and APIs. A separate entry, so pages that only track do not load it.
 *
 *   import { inferSignature, signatureToJsonSchema } from 'mlflow-edge/signature';
 */
export { inferSignature, signatureToJsonSchema, parseSignature, signatureToMlmodel } from './schema/signature.js';
export type { ModelSignature, ColSpec, TensorSpec, ParamSpec, Schema, Tensor, DataType } from './schema/signature.js';
