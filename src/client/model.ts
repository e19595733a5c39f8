/**
 * A model loaded in the tracker's worker. Typed arrays in the input move to
 * the worker by transfer (the caller's buffers are detached), outputs come
 * back the same way. Predict calls go over a MessagePort of the model's own
 * (client/predict-channel.ts), not through comlink: at batch 1 comlink's
 * per-call work is a fair share of the whole call.
 */
import { transfer, type Remote } from 'comlink';
import type { ModelMetadata, PredictResult, TrackerWorkerApi } from '../protocol.js';
import { MlflowEdgeError } from '../schema/errors.js';
import { PredictChannel } from './predict-channel.js';

export class Model {
  private channel: PredictChannel | undefined;
  private closed = false;
  /** Why calls fail once the tracker closed. */
  private failure: MlflowEdgeError | undefined;

  /** @internal Models come from `tracker.loadModel()`. */
  constructor(
    private readonly api: Remote<TrackerWorkerApi>,
    private readonly id: number,
    /** The parsed MLmodel: flavors, signature, run and model ids, creation time. */
    readonly metadata: ModelMetadata,
    private readonly onClose: () => void = () => undefined,
  ) {}

  /**
   * Runs the model on `input` (records, columns, typed arrays, `{ name: tensor }`,
   * or MLflow's serving payloads) after checking it against the signature the
   * way MLflow does. Returns `{ outputs: { name: { data, shape, dtype } }, warnings }`.
   */
  predict<T = PredictResult['outputs']>(input: unknown, params?: Record<string, unknown>): Promise<PredictResult<T>> {
    if (this.closed)
      return Promise.reject(
        this.failure ??
          new MlflowEdgeError('INVALID_STATE', 'This model was closed. Load it again with tracker.loadModel().'),
      );
    const buffers: ArrayBuffer[] = [];
    collectBuffers(input, 0, buffers);
    try {
      return (this.channel ??= this.openChannel()).predict(input, params, buffers) as Promise<PredictResult<T>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Frees the model's session in the worker. Calls under way are still answered. */
  close(): Promise<void> {
    this.closed = true;
    this.channel?.close();
    this.onClose();
    return this.api.closeModel(this.id);
  }

  /** @internal The tracker closed: fail what waits and what comes. */
  abandon(error: MlflowEdgeError): void {
    this.closed = true;
    this.failure = error;
    this.channel?.fail(error);
  }

  private openChannel(): PredictChannel {
    const { port1, port2 } = new MessageChannel();
    const channel = new PredictChannel(port1);
    // Requests posted before the worker takes the port wait in its queue; nothing is lost.
    this.api.servePredicts(this.id, transfer(port2, [port2])).catch((error: unknown) => channel.fail(error));
    return channel;
  }
}

/** Typed arrays' buffers, each once: at the top, as values of { name: … }, and as `data` of { data, shape, dtype } tensors. */
function collectBuffers(value: unknown, depth: number, into: ArrayBuffer[]): void {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && !into.includes(value.buffer)) into.push(value.buffer);
  } else if (depth < 2 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const key of Object.keys(value)) collectBuffers((value as Record<string, unknown>)[key], depth + 1, into);
  }
}
