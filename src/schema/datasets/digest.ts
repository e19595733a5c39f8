/**
 * Dataset digests as MLflow computes them (mlflow/data/digest_utils.py): an
 * MD5 over pandas' row hashes of at most MAX_ROWS rows (or elements of an
 * array), the full size, and the column names; its first 8 hex digits.
 * Hashing stops at MAX_ROWS, so a digest costs the same for any size.
 */
import { md5 } from '@noble/hashes/legacy.js';
import { toHex } from '../digest.js';
import { compareCodePoints } from '../python.js';
import { hashArray, hashFrame, type HashInput } from './pandas-hash.js';

/** `digest_utils.MAX_ROWS`: rows of a table, or elements of a flattened array, that the digest reads. */
export const MAX_ROWS = 10_000;

const int64 = (n: number): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(n), true);
  return out;
};
const bytesOf = (a: BigUint64Array): Uint8Array => {
  const out = new Uint8Array(a.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setBigUint64(i * 8, a[i]!, true);
  return out;
};

/** `get_normalized_md5_digest`. */
export function normalizedMd5(elements: readonly Uint8Array[]): string {
  const h = md5.create();
  for (const e of elements) h.update(e);
  return toHex(h.digest()).slice(0, 8);
}

/** A table column as the pandas digest sees it; `allStrings`: every value is a string (no missing ones). */
export interface DigestColumn {
  name: string;
  /** What pandas hashes of it: numbers (numpy numeric dtypes) and all-string columns; booleans and others are left out. */
  hash?: HashInput;
}

/** `compute_pandas_digest` of a frame with `rows` rows and a RangeIndex. */
export function pandasDigest(columns: readonly DigestColumn[], rows: number): string {
  const strings = columns.filter((c) => c.hash?.dtype === 'str');
  const numbers = columns.filter((c) => c.hash !== undefined && c.hash.dtype !== 'str' && c.hash.dtype !== 'bool');
  // `string_columns.union(numeric_columns)`: sorted unless one side is empty.
  const kept =
    strings.length === 0
      ? numbers
      : numbers.length === 0
        ? strings
        : [...strings, ...numbers].sort((a, b) => compareCodePoints(a.name, b.name));
  const trimmed = Math.min(rows, MAX_ROWS);
  const utf8 = new TextEncoder();
  return normalizedMd5([
    bytesOf(
      hashFrame(
        kept.map((c) => c.hash!),
        trimmed,
      ),
    ),
    int64(rows),
    ...columns.map((c) => utf8.encode(c.name)),
  ]);
}

/** One numpy array: its elements flattened in C order, and its shape. */
export interface DigestArray {
  hash: HashInput;
  shape: readonly number[];
}

/** `compute_numpy_digest(features, targets)` for arrays (not dicts of arrays). */
export function numpyDigest(features: DigestArray, targets?: DigestArray): string {
  const parts: Uint8Array[] = [];
  for (const a of targets === undefined ? [features] : [features, targets]) {
    parts.push(bytesOf(hashArray(a.hash, Math.min(a.hash.values.length, MAX_ROWS))));
    for (const d of a.shape) parts.push(int64(d));
  }
  return normalizedMd5(parts);
}
