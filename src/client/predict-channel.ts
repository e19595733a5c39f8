/**
 * The page end of a model's predict channel (see worker/predict-port.ts and
 * protocol/predict.ts):
 * each call posts one request with its typed arrays' buffers transferred and
 * settles on the reply with the same `seq`. Every request is answered, so a
 * pending call is never dropped while the port is open.
 */
import type { PredictReply, PredictRequest, PredictResult } from '../protocol.js';
import { reviveError } from '../schema/errors.js';
import { flattenTensors, unflattenTensors, type FlatTensors } from '../schema/flat-tensors.js';

interface Pending {
  resolve(result: PredictResult<unknown>): void;
  reject(error: unknown): void;
}

export class PredictChannel {
  private readonly pending = new Map<number, Pending>();
  private nextSeq = 0;
  /** Set when the worker refused the channel: every call fails with it. */
  private failure: unknown;
  private closing = false;

  constructor(private readonly port: MessagePort) {
    port.onmessage = ({ data }: MessageEvent<PredictReply>) => {
      const seq = Array.isArray(data) ? (data[0] as number) : data.seq;
      const call = this.pending.get(seq);
      if (call === undefined) return;
      this.pending.delete(seq);
      if (Array.isArray(data)) call.resolve({ outputs: unflattenTensors(data, 1), warnings: [] });
      else if ('error' in data) call.reject(reviveError(data.error));
      else call.resolve(data.result);
      if (this.closing && this.pending.size === 0) port.close();
    };
  }

  predict(
    input: unknown,
    params: Record<string, unknown> | undefined,
    transfer: Transferable[],
  ): Promise<PredictResult<unknown>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const seq = this.nextSeq++;
    const flat: FlatTensors = [seq, params as never];
    let request: PredictRequest;
    if (flattenTensors(input, flat)) request = flat as PredictRequest;
    else request = params === undefined ? { seq, input } : { seq, input, params };
    return new Promise((resolve, reject) => {
      // Throws (DataCloneError) before anything is sent: nothing to wait for.
      this.port.postMessage(request, transfer);
      this.pending.set(seq, { resolve, reject });
    });
  }

  /** The worker could not serve this channel: fail what waits and what comes. */
  fail(error: unknown): void {
    this.failure = error;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }

  /** Closes the port once the calls under way are answered. */
  close(): void {
    this.closing = true;
    if (this.pending.size === 0) this.port.close();
  }
}
