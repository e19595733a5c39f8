/**
 * A ZipMap output (per row, class label → probability: what MLflow's pyfunc
 * returns for skl2onnx classifiers) kept as the probability matrix and its
 * labels until it reaches the caller. Building a thousand small objects and
 * structured-cloning them costs more than the forest that computed them, so
 * the worker sends the matrix (transferred) and the labels, and the maps are
 * built once, on the side that reads them. Every path out of the worker
 * either flattens it (`flat-tensors.ts`) or calls `expandZipMaps`.
 */
export class ZipMapOutput {
  constructor(
    /** `[rows, labels.length]`, row-major. */
    readonly data: Float32Array,
    readonly labels: readonly (number | string)[],
  ) {}

  rows(): Record<string, number>[] {
    return zipMapRows(this.data, this.labels);
  }
}

/** Per row, class label → probability, from a `[rows, labels.length]` matrix. */
export function zipMapRows(data: ArrayLike<number>, labels: readonly (number | string)[]): Record<string, number>[] {
  const n = labels.length;
  const rows: Record<string, number>[] = new Array(Math.floor(data.length / n));
  for (let i = 0; i < rows.length; i++) {
    const row: Record<string, number> = {};
    for (let j = 0; j < n; j++) row[labels[j]!] = data[i * n + j]!;
    rows[i] = row;
  }
  return rows;
}

/** `outputs` with every ZipMapOutput replaced by its rows (a new object when any was). */
export function expandZipMaps<T>(outputs: T): T {
  if (outputs === null || typeof outputs !== 'object') return outputs;
  const values = Object.entries(outputs as Record<string, unknown>);
  if (!values.some(([, v]) => v instanceof ZipMapOutput)) return outputs;
  return Object.fromEntries(values.map(([k, v]) => [k, v instanceof ZipMapOutput ? v.rows() : v])) as T;
}
