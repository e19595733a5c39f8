/** Protocol metric columns (what a page's flush sends) from one array per field, one entry per point. */
import type { MetricColumns } from '../src/protocol.js';

export function metricColumns(points: {
  keys: readonly string[];
  values: readonly number[];
  steps: readonly number[];
  timestamps: readonly number[];
}): MetricColumns {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const keyIndexes = Uint32Array.from(points.keys, (key) => {
    let i = index.get(key);
    if (i === undefined) {
      index.set(key, (i = keys.length));
      keys.push(key);
    }
    return i;
  });
  return {
    keys,
    keyIndexes,
    values: Float64Array.from(points.values),
    steps: Float64Array.from(points.steps),
    timestamps: Float64Array.from(points.timestamps),
  };
}
