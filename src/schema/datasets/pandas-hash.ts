/**
 * pandas' `hash_array` and `hash_pandas_object` (pandas/core/util/hashing.py)
 * for the column types datasets hold: each value becomes a uint64 (numbers by
 * their bits, floats with NaN and -0.0 canonicalized; strings by SipHash-2-4
 * of their UTF-8), spread by the splitmix64 finalizer; a frame's row hash
 * combines its columns' hashes and its index's, as pandas does.
 */
import { siphash24, sipKey } from './siphash.js';

const M64 = (1n << 64n) - 1n;
/** pandas' `_default_hash_key`. */
const PANDAS_KEY = sipKey(new TextEncoder().encode('0123456789123456'));

/** The element types a column or array can have here, in numpy's names. */
export type Dtype = 'int64' | 'int32' | 'float64' | 'float32' | 'bool' | 'str';

/** One column (or flattened array) to hash: numbers as a typed array, booleans as 0/1, strings as strings. */
export type HashInput =
  | { dtype: 'float64'; values: Float64Array }
  | { dtype: 'float32'; values: Float32Array }
  | { dtype: 'int32'; values: Int32Array }
  | { dtype: 'int64'; values: BigInt64Array }
  | { dtype: 'bool'; values: Uint8Array }
  | { dtype: 'str'; values: readonly string[] };

/** The splitmix64 finalizer pandas spreads every 64-bit value with. */
function spread(v: bigint): bigint {
  v ^= v >> 30n;
  v = (v * 0xbf58476d1ce4e5b9n) & M64;
  v ^= v >> 27n;
  v = (v * 0x94d049bb133111ebn) & M64;
  v ^= v >> 31n;
  return v;
}

/** `hash_array(values)` over the first `n` values. */
export function hashArray(input: HashInput, n = input.values.length): BigUint64Array {
  const out = new BigUint64Array(n);
  switch (input.dtype) {
    case 'float64': {
      const bits = new BigUint64Array(1);
      const f = new Float64Array(bits.buffer);
      for (let i = 0; i < n; i++) {
        const x = input.values[i]!;
        // GH#28363: every NaN hashes as numpy's NaN, -0.0 as 0.0.
        f[0] = Number.isNaN(x) ? Number.NaN : x === 0 ? 0 : x;
        out[i] = spread(bits[0]!);
      }
      return out;
    }
    case 'float32': {
      const bits = new Uint32Array(1);
      const f = new Float32Array(bits.buffer);
      for (let i = 0; i < n; i++) {
        const x = input.values[i]!;
        f[0] = x === 0 ? 0 : x;
        out[i] = spread(Number.isNaN(x) ? 0x7fc00000n : BigInt(bits[0]!));
      }
      return out;
    }
    case 'int32':
      // numpy views an int32 as uint32, then widens: -1 is 0xffffffff.
      for (let i = 0; i < n; i++) out[i] = spread(BigInt(input.values[i]! >>> 0));
      return out;
    case 'int64':
      for (let i = 0; i < n; i++) out[i] = spread(BigInt.asUintN(64, input.values[i]!));
      return out;
    case 'bool':
      for (let i = 0; i < n; i++) out[i] = spread(input.values[i] ? 1n : 0n);
      return out;
    case 'str': {
      // pandas hashes each distinct value once (it categorizes first); the result is the same per value.
      const seen = new Map<string, bigint>();
      const utf8 = new TextEncoder();
      for (let i = 0; i < n; i++) {
        const s = input.values[i]!;
        let h = seen.get(s);
        if (h === undefined) {
          h = spread(siphash24(utf8.encode(s), PANDAS_KEY));
          seen.set(s, h);
        }
        out[i] = h;
      }
      return out;
    }
  }
}

/** pandas' `combine_hash_arrays`. */
export function combineHashArrays(arrays: readonly BigUint64Array[]): BigUint64Array {
  const n = arrays[0]?.length ?? 0;
  const out = new BigUint64Array(n).fill(0x345678n);
  let mult = 1000003n;
  arrays.forEach((a, i) => {
    const inverse = BigInt(arrays.length - i);
    for (let r = 0; r < n; r++) out[r] = ((out[r]! ^ a[r]!) * mult) & M64;
    mult = (mult + 82520n + inverse + inverse) & M64;
  });
  for (let r = 0; r < n; r++) out[r] = (out[r]! + 97531n) & M64;
  return out;
}

/** `hash_pandas_object(df)` of the first `rows` rows of a frame with a RangeIndex: one uint64 per row. */
export function hashFrame(columns: readonly HashInput[], rows: number): BigUint64Array {
  const index = new BigInt64Array(rows);
  for (let i = 0; i < rows; i++) index[i] = BigInt(i);
  return combineHashArrays([...columns.map((c) => hashArray(c, rows)), hashArray({ dtype: 'int64', values: index })]);
}
