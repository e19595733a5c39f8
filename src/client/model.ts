/**
 * A model loaded in the tracker's worker. Typed arrays in the input move to
 * the worker by transfer (the caller's buffers are detached), outputs come
 * back the same way.
 */
import { transfer, type Remote } from 'comlink';
import type { ModelMetadata, PredictResult } from '../models/host.js';
import type { TrackerWorkerApi } from '../protocol.js';

export class Model {
  /** @internal Models come from `tracker.loadModel()`. */
  constructor(
    private readonly api: Remote<TrackerWorkerApi>,
    private readonly id: number,
    /** The parsed MLmodel: flavors, signature, run and model ids, creation time. */
    readonly metadata: ModelMetadata,
  ) {}

  /**
   * Runs the model on `input` (records, columns, typed arrays, `{ name: tensor }`,
   * or MLflow's serving payloads) after checking it against the signature the
   * way MLflow does. Returns `{ outputs: { name: { data, shape, dtype } }, warnings }`.
   */
  predict<T = PredictResult['outputs']>(input: unknown, params?: Record<string, unknown>): Promise<PredictResult<T>> {
    const buffers = new Set<ArrayBuffer>();
    // Typed arrays at the top, as values of { name: … }, and as `data` of { data, shape, dtype } tensors.
    const collect = (value: unknown, depth: number): void => {
      if (ArrayBuffer.isView(value)) {
        if (value.buffer instanceof ArrayBuffer) buffers.add(value.buffer);
      } else if (depth < 2 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const v of Object.values(value)) collect(v, depth + 1);
      }
    };
    collect(input, 0);
    return this.api.predict(this.id, transfer(input, [...buffers]), params) as Promise<PredictResult<T>>;
  }

  /** Frees the model's session in the worker. */
  close(): Promise<void> {
    return this.api.closeModel(this.id);
  }
}
