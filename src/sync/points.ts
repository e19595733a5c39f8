/**
 * The distinct points of one local series as MLflow's SQL store keys them,
 * and which of them a server's metric history holds.
 *
 * MLflow's primary key of a point is (key, timestamp, step, value, is_nan):
 * NaN is stored as 0 with is_nan set, ±Infinity as ±1.7976931348623157e308,
 * and -0 arrives as 0 (JSON), so points equal under that key are one point
 * on the server, however often they were logged or sent. A point counts as
 * present only when the server returned it; points the server has and this
 * series does not (another client logged them) are ignored, so they cannot
 * hide a loss.
 *
 * Columns live in typed arrays, sorted once: tens of bytes a point, not an
 * object or a string each, for series of millions of points.
 */
import type { MetricPoint } from '../schema/entities.js';

const MAX = Number.MAX_VALUE;

/** The value column MLflow stores: NaN as 0 (with is_nan), ±Infinity as ±MAX_VALUE, -0 as 0. */
const stored = (value: number) => (Number.isNaN(value) ? 0 : Math.min(Math.max(value, -MAX), MAX) + 0);

export class SeriesPoints {
  private timestamps: Float64Array;
  private steps: Float64Array;
  private values: Float64Array;
  private nan: Uint8Array;
  private n = 0;
  private found: Uint8Array | undefined;
  private seen = 0;

  constructor(capacity: number) {
    this.timestamps = new Float64Array(capacity);
    this.steps = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.nan = new Uint8Array(capacity);
  }

  /** A local point, in logged order; before seal(). */
  add(p: MetricPoint): void {
    if (this.n === this.timestamps.length) this.grow();
    const i = this.n++;
    this.timestamps[i] = p.timestamp;
    this.steps[i] = p.step;
    this.nan[i] = Number.isNaN(p.value) ? 1 : 0;
    this.values[i] = stored(p.value);
  }

  /** Sorts by MLflow's key and keeps one of each; afterwards `size` counts distinct points. */
  seal(): void {
    if (!this.increasing()) {
      const order = new Uint32Array(this.n).map((_, i) => i).sort((a, b) => this.compareAt(a, b));
      const ts = new Float64Array(this.n);
      const st = new Float64Array(this.n);
      const va = new Float64Array(this.n);
      const na = new Uint8Array(this.n);
      let u = 0;
      for (const i of order) {
        if (u > 0 && this.compareTo(ts[u - 1]!, st[u - 1]!, na[u - 1]!, va[u - 1]!, i) === 0) continue;
        ts[u] = this.timestamps[i]!;
        st[u] = this.steps[i]!;
        va[u] = this.values[i]!;
        na[u] = this.nan[i]!;
        u++;
      }
      [this.timestamps, this.steps, this.values, this.nan, this.n] = [ts, st, va, na, u];
    }
    this.found = new Uint8Array(this.n);
  }

  /** Distinct local points. */
  get size(): number {
    return this.n;
  }

  /**
   * Whether a point of the server's history is the last of this series in
   * MLflow's order (timestamp, step, value as stored; NaN sorts as its stored
   * 0 there, with no order among equal values): what the offset probe in the
   * engine compares. Any point of the last timestamp and step with the
   * greatest stored value qualifies.
   */
  isLast(timestamp: number | string | undefined, step: number | string | undefined, value: number | string): boolean {
    const last = this.n - 1;
    if (last < 0 || Number(timestamp ?? 0) !== this.timestamps[last] || Number(step ?? 0) !== this.steps[last])
      return false;
    let first = last;
    while (
      first > 0 &&
      this.timestamps[first - 1] === this.timestamps[last] &&
      this.steps[first - 1] === this.steps[last]
    )
      first--;
    let greatest = -Infinity;
    for (let i = first; i <= last; i++) greatest = Math.max(greatest, this.values[i]!);
    const v = Number(value);
    const nan = Number.isNaN(v) ? 1 : 0;
    for (let i = first; i <= last; i++)
      if (this.values[i] === greatest && this.nan[i] === nan && stored(v) === greatest) return true;
    return false;
  }

  /** Distinct local points no seen() matched. */
  get missing(): number {
    return this.n - this.seen;
  }

  /** A point of the server's history, as get-history's JSON has it (value a number or "NaN"/"Infinity"/"-Infinity"). */
  see(timestamp: number | string | undefined, step: number | string | undefined, value: number | string): void {
    const v = Number(value);
    const nan = Number.isNaN(v) ? 1 : 0;
    const t = Number(timestamp ?? 0);
    const s = Number(step ?? 0);
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compareTo(t, s, nan, stored(v), mid);
      if (c === 0) {
        if (this.found![mid] === 0) {
          this.found![mid] = 1;
          this.seen++;
        }
        return;
      }
      if (c < 0) hi = mid - 1;
      else lo = mid + 1;
    }
  }

  /** The order of (timestamp, step, is_nan, value) against the point at i: negative when it sorts before. */
  private compareTo(t: number, s: number, nan: number, value: number, i: number): number {
    return (
      t - this.timestamps[i]! ||
      s - this.steps[i]! ||
      nan - this.nan[i]! ||
      (value < this.values[i]! ? -1 : value > this.values[i]! ? 1 : 0)
    );
  }

  private compareAt(a: number, b: number): number {
    return this.compareTo(this.timestamps[a]!, this.steps[a]!, this.nan[a]!, this.values[a]!, b);
  }

  /** Logged in strictly increasing key order (the usual case: no sort, no duplicates). */
  private increasing(): boolean {
    for (let i = 1; i < this.n; i++) if (this.compareAt(i - 1, i) >= 0) return false;
    return true;
  }

  private grow(): void {
    const size = Math.max(16, this.n * 2);
    const more = <A extends Float64Array | Uint8Array>(old: A, next: A) => (next.set(old), next);
    this.timestamps = more(this.timestamps, new Float64Array(size));
    this.steps = more(this.steps, new Float64Array(size));
    this.values = more(this.values, new Float64Array(size));
    this.nan = more(this.nan, new Uint8Array(size));
  }
}
