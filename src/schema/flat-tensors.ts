/**
 * Named tensors as one flat list and back, for the predict channel
 * (protocol/predict.ts): structured clone pays per object, so
 * `{ name: { data, shape, dtype } }` crosses as `[name, data, dtype, rank, ...dims]`;
 * a ZipMapOutput as `[name, data, 'zipmap', -labelCount, ...labels]` and
 * arrives as its rows.
 * Used by both ends: client/predict-channel.ts and worker/predict-port.ts.
 */
import { isPlainObject } from './predicates.js';
import { ZipMapOutput, zipMapRows } from './zipmap.js';

/** Named tensors in one flat list: name, data, dtype, rank, then the dims, for each tensor. */
export type FlatTensors = (string | number | ArrayBufferView)[];

const ZIPMAP = 'zipmap';

interface TensorLike {
  data: ArrayBufferView;
  shape: number[];
  dtype: string;
}

/**
 * Appends `{ name: { data: typed array, shape, dtype } }` (plain objects, those
 * three keys only) to `into` and returns true; for anything else leaves `into`
 * as it was and returns false, and the value crosses as it is.
 */
export function flattenTensors(value: unknown, into: FlatTensors): boolean {
  if (!isPlainObject(value)) return false;
  const start = into.length;
  const names = Object.keys(value);
  for (const name of names) {
    if (!pushTensor(name, value[name], into)) {
      into.length = start;
      return false;
    }
  }
  return names.length > 0;
}

function pushTensor(name: string, t: unknown, into: FlatTensors): boolean {
  if (t instanceof ZipMapOutput) {
    into.push(name, t.data, ZIPMAP, -t.labels.length, ...t.labels);
    return name !== '__proto__';
  }
  if (name === '__proto__' || !isPlainObject(t) || Object.keys(t).length !== 3) return false;
  const { data, shape, dtype } = t;
  if (!ArrayBuffer.isView(data) || data instanceof DataView || typeof dtype !== 'string' || !Array.isArray(shape))
    return false;
  into.push(name, data, dtype, shape.length);
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number') return false;
    into.push(d);
  }
  return true;
}

export function unflattenTensors(flat: FlatTensors, from: number): Record<string, TensorLike> {
  const out: Record<string, TensorLike> = {};
  let i = from;
  while (i < flat.length) {
    const rank = flat[i + 3] as number;
    if (rank < 0) {
      const labels = flat.slice(i + 4, i + 4 - rank) as (number | string)[];
      out[flat[i] as string] = zipMapRows(flat[i + 1] as Float32Array, labels) as unknown as TensorLike;
      i += 4 - rank;
      continue;
    }
    out[flat[i] as string] = {
      data: flat[i + 1] as ArrayBufferView,
      shape: flat.slice(i + 4, i + 4 + rank) as number[],
      dtype: flat[i + 2] as string,
    };
    i += 4 + rank;
  }
  return out;
}
