/** What every flavor's loader returns: `load(files) → predictor`. */
import type { PredictInput, Tensor } from '../schema/signature.js';

export interface Predictor {
  /** Runs the model on input already checked against the signature. */
  predict(input: PredictInput, params: Record<string, unknown>): Promise<Record<string, Tensor>>;
  close(): Promise<void>;
}
