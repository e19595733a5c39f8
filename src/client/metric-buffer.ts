/**
 * A run's metric points between two flushes, in typed columns that are
 * reused from batch to batch: logging a point is four stores, and a flush
 * hands the worker exact-length copies (protocol MetricColumns) in one
 * buffer. Nothing may store those columns as they are: a view is cloned
 * with its whole buffer (the worker copies what it keeps).
 */
import type { MetricColumns } from '../protocol.js';
import { validateKeyCached } from '../schema/validation.js';

const INITIAL = 64;
/** Columns past this size (a burst between two flushes) are not kept for the next batch. */
const MAX_KEPT = 1 << 16;

export class MetricBuffer {
  /** The key of the last point and its index: a loop logging one key looks nothing up. */
  lastKey: string | undefined;
  lastIndex = 0;
  private keys: string[] = [];
  private readonly indexes = new Map<string, number>();
  private length = 0;
  private keyIndexes = new Uint32Array(INITIAL);
  private values = new Float64Array(INITIAL);
  private steps = new Float64Array(INITIAL);
  private timestamps = new Float64Array(INITIAL);
  /** Points of this batch linked to logged models (MLflow 3's metric model_id): [point index, model id]. */
  private links: [number, string][] | undefined;

  /** The index of `key` in this batch, after checking it (throws on a bad key, adding nothing). */
  indexOf(key: string): number {
    let index = this.indexes.get(key);
    if (index === undefined) {
      validateKeyCached(key, 'metric');
      index = this.keys.length;
      this.keys.push(key);
      this.indexes.set(key, index);
    }
    this.lastKey = key;
    this.lastIndex = index;
    return index;
  }

  push(keyIndex: number, value: number, step: number, timestamp: number): void {
    const i = this.length;
    if (i === this.values.length) this.grow();
    this.keyIndexes[i] = keyIndex;
    this.values[i] = value;
    this.steps[i] = step;
    this.timestamps[i] = timestamp;
    this.length = i + 1;
  }

  /** Links the point pushed last to a logged model. */
  link(modelId: string): void {
    (this.links ??= []).push([this.length - 1, modelId]);
  }

  /** The links of the points the last take() handed over (call right after it). */
  takeLinks(): [number, string][] | undefined {
    const links = this.links;
    this.links = undefined;
    return links;
  }

  /** The points logged since the last take, or undefined when there are none; the buffer starts empty again. */
  take(): MetricColumns | undefined {
    const n = this.length;
    if (n === 0) return undefined;
    // One buffer for the four columns: postMessage copies one buffer instead of four (each costs about as much as the copy here).
    const buffer = new ArrayBuffer(n * 28);
    const columns: MetricColumns = {
      keys: this.keys,
      values: new Float64Array(buffer, 0, n),
      steps: new Float64Array(buffer, n * 8, n),
      timestamps: new Float64Array(buffer, n * 16, n),
      keyIndexes: new Uint32Array(buffer, n * 24, n),
    };
    columns.values.set(this.values.subarray(0, n));
    columns.steps.set(this.steps.subarray(0, n));
    columns.timestamps.set(this.timestamps.subarray(0, n));
    columns.keyIndexes.set(this.keyIndexes.subarray(0, n));
    this.length = 0;
    if (this.values.length > MAX_KEPT) this.allocate(INITIAL);
    this.keys = [];
    this.indexes.clear();
    this.lastKey = undefined;
    return columns;
  }

  private grow(): void {
    const { keyIndexes, values, steps, timestamps } = this;
    this.allocate(values.length * 2);
    this.keyIndexes.set(keyIndexes);
    this.values.set(values);
    this.steps.set(steps);
    this.timestamps.set(timestamps);
  }

  private allocate(size: number): void {
    this.keyIndexes = new Uint32Array(size);
    this.values = new Float64Array(size);
    this.steps = new Float64Array(size);
    this.timestamps = new Float64Array(size);
  }
}
