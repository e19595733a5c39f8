/** What every flavor's loader returns: `load(files) → predictor`. */
import type { PredictInput, Tensor } from '../schema/signature.js';

export interface Predictor {
  /** Runs the model on input already checked against the signature. */
  /** ONNX models return tensors by output name; code models return whatever their predict returns. */
  predict(input: PredictInput, params: Record<string, unknown>): Promise<Record<string, Tensor> | unknown>;
  close(): Promise<void>;
}
