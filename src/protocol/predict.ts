/**
 * The predict channel's messages (page ↔ worker, beside comlink): plain
 * data. Ends: client/predict-channel.ts and worker/predict-port.ts; named
 * tensors are packed and unpacked by schema/flat-tensors.ts.
 */
import type { SerializedError } from '../schema/errors.js';
import type { FlatTensors } from '../schema/flat-tensors.js';
import type { PredictResult } from './models.js';

/**
 * Page → worker: `{ seq, input, params? }`, or, when the input is named
 * tensors, `[seq, params, ...FlatTensors]`. Worker → page: `[seq, ...FlatTensors]`
 * for tensor outputs without warnings, else `{ seq, result }`; or `{ seq, error }`.
 * Structured clone pays per object, and at batch 1 the nested
 * `{ name: { data, shape, dtype } }` both ways cost a measurable share of the call.
 */
export type PredictRequest =
  | { seq: number; input: unknown; params?: Record<string, unknown> }
  | [seq: number, params: Record<string, unknown> | undefined, ...tensors: FlatTensors];

export type PredictReply =
  | { seq: number; result: PredictResult<unknown> }
  | { seq: number; error: SerializedError }
  | [seq: number, ...tensors: FlatTensors];
