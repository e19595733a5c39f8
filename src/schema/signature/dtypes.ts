/**
 * numpy's dtypes as MLflow uses them: canonical names, kinds and sizes, the
 * numpy type of each MLflow DataType, integer ranges, and the typed array
 * that stores each dtype here.
 */
import type { AnyTypedArray } from '../predicates.js';
import { schemaError } from './schema-error.js';
import type { DataType, Tensor } from './types.js';

export interface DtypeInfo {
  kind: 'b' | 'i' | 'u' | 'f' | 'c' | 'U' | 'S' | 'O' | 'M' | 'm';
  itemsize: number;
}
const FIXED_DTYPES: Record<string, DtypeInfo> = {
  bool: { kind: 'b', itemsize: 1 },
  int8: { kind: 'i', itemsize: 1 },
  int16: { kind: 'i', itemsize: 2 },
  int32: { kind: 'i', itemsize: 4 },
  int64: { kind: 'i', itemsize: 8 },
  uint8: { kind: 'u', itemsize: 1 },
  uint16: { kind: 'u', itemsize: 2 },
  uint32: { kind: 'u', itemsize: 4 },
  uint64: { kind: 'u', itemsize: 8 },
  float16: { kind: 'f', itemsize: 2 },
  float32: { kind: 'f', itemsize: 4 },
  float64: { kind: 'f', itemsize: 8 },
  float128: { kind: 'f', itemsize: 16 },
  complex64: { kind: 'c', itemsize: 8 },
  complex128: { kind: 'c', itemsize: 16 },
  str: { kind: 'U', itemsize: 0 },
  bytes: { kind: 'S', itemsize: 0 },
  object: { kind: 'O', itemsize: 8 },
};
/** numpy spellings that `np.dtype(x).name` turns into a canonical name. */
const DTYPE_ALIASES: Record<string, string> = {
  bool_: 'bool',
  '?': 'bool',
  b1: 'bool',
  int: 'int64',
  int_: 'int64',
  long: 'int64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  uint: 'uint64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  float: 'float64',
  double: 'float64',
  float_: 'float64',
  half: 'float16',
  single: 'float32',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  str_: 'str',
  unicode: 'str',
  U: 'str',
  '<U': 'str',
  '<U0': 'str',
  U0: 'str',
  bytes_: 'bytes',
  S: 'bytes',
  '|S': 'bytes',
  '|S0': 'bytes',
  S0: 'bytes',
  O: 'object',
  object_: 'object',
  datetime64: 'datetime64',
  M8: 'datetime64',
};
const TIME_UNITS = ['Y', 'M', 'W', 'D', 'h', 'm', 's', 'ms', 'us', 'ns', 'ps', 'fs', 'as'];

/** Canonical numpy dtype name (`np.dtype(x).name`), or throws for names numpy/MLflow reject. */
export function canonicalDtype(name: string, field: string): string {
  let n = DTYPE_ALIASES[name] ?? name;
  const byteOrder = /^[<>=|]/.exec(n);
  if (byteOrder && !(n in FIXED_DTYPES)) {
    const stripped = n.slice(1);
    n = DTYPE_ALIASES[stripped] ?? stripped;
  }
  if (n in FIXED_DTYPES) return n;
  const dt = /^(datetime64|timedelta64|M8|m8)(?:\[(\w+)\])?$/.exec(n);
  if (dt && (dt[2] === undefined || TIME_UNITS.includes(dt[2]))) {
    const base = dt[1] === 'M8' ? 'datetime64' : dt[1] === 'm8' ? 'timedelta64' : (dt[1] as string);
    return dt[2] === undefined ? base : `${base}[${dt[2]}]`;
  }
  if (/^(<|>|\|)?[US]\d+$/.test(name) || /^(str|bytes)\d+$/.test(name)) {
    throw schemaError(
      `MLflow does not support size information in flexible numpy data types. Use np.dtype("${/U|str/.test(name) ? 'str' : 'bytes'}") instead (tensor '${field}' has dtype '${name}').`,
      field,
      /U|str/.test(name) ? 'str' : 'bytes',
      name,
    );
  }
  throw schemaError(
    `Unsupported tensor dtype '${name}' for '${field}'. Use a numpy dtype name such as float32, float64, int32, int64, uint8, bool, str, bytes or object.`,
    field,
    'a numpy dtype name',
    name,
  );
}

export function dtypeInfo(dtype: string): DtypeInfo {
  const fixed = FIXED_DTYPES[dtype];
  if (fixed) return fixed;
  if (dtype.startsWith('datetime64')) return { kind: 'M', itemsize: 8 };
  if (dtype.startsWith('timedelta64')) return { kind: 'm', itemsize: 8 };
  if (/^<?U/.test(dtype)) return { kind: 'U', itemsize: 0 };
  if (/^\|?S/.test(dtype)) return { kind: 'S', itemsize: 0 };
  return { kind: 'O', itemsize: 8 };
}

/** `clean_tensor_type`: `<U5` → `str`, `|S3` → `bytes`, other names unchanged. */
export function cleanDtype(dtype: string): string {
  const info = dtypeInfo(dtype);
  if (info.kind === 'U') return 'str';
  if (info.kind === 'S') return 'bytes';
  return dtype;
}

/** DataType → numpy dtype name (`DataType.to_numpy().name`). */
export const DATATYPE_TO_DTYPE: Record<DataType, string> = {
  boolean: 'bool',
  integer: 'int32',
  long: 'int64',
  float: 'float32',
  double: 'float64',
  string: 'str',
  binary: 'bytes',
  datetime: 'datetime64[ns]',
};
/** `str(np.dtype)` as it appears in MLflow's "Can not safely convert X to Y" messages. */
export const DATATYPE_TO_NUMPY_STR: Record<DataType, string> = {
  boolean: 'bool',
  integer: 'int32',
  long: 'int64',
  float: 'float32',
  double: 'float64',
  string: '<U0',
  binary: '|S0',
  datetime: 'datetime64[ns]',
};

/** numpy dtype of a typed array (`Float32Array` → `float32`, `BigInt64Array` → `int64`, …). */
export function typedArrayDtype(value: ArrayBufferView): string {
  if (value instanceof Float32Array) return 'float32';
  if (value instanceof Float64Array) return 'float64';
  if (value instanceof Int8Array) return 'int8';
  if (value instanceof Int16Array) return 'int16';
  if (value instanceof Int32Array) return 'int32';
  if (value instanceof BigInt64Array) return 'int64';
  if (value instanceof Uint8Array || value instanceof Uint8ClampedArray) return 'uint8';
  if (value instanceof Uint16Array) return 'uint16';
  if (value instanceof Uint32Array) return 'uint32';
  if (value instanceof BigUint64Array) return 'uint64';
  const f16 = (globalThis as { Float16Array?: abstract new (...args: never[]) => unknown }).Float16Array;
  if (f16 && value instanceof f16) return 'float16';
  return 'object';
}

/** The typed array class numpy-equivalent storage uses for `dtype`, or null (plain JS array). */
export function typedArrayFor(dtype: string): { new (length: number): AnyTypedArray } | null {
  switch (dtype) {
    case 'float32':
      return Float32Array;
    case 'float64':
      return Float64Array;
    case 'int8':
      return Int8Array;
    case 'int16':
      return Int16Array;
    case 'int32':
      return Int32Array;
    case 'int64':
      return BigInt64Array;
    case 'uint8':
      return Uint8Array;
    case 'uint16':
      return Uint16Array;
    case 'uint32':
      return Uint32Array;
    case 'uint64':
      return BigUint64Array;
    default:
      return null;
  }
}

/** `values` as numpy stores `dtype`: in its typed array (each value converted as the typed array converts it), else the list itself. */
export function storeAs(dtype: string, values: unknown[]): Tensor['data'] {
  const Ctor = typedArrayFor(dtype);
  if (Ctor === null) return values as Tensor['data'];
  const typed = new Ctor(values.length);
  const slots = typed as unknown as unknown[];
  values.forEach((v, i) => (slots[i] = v));
  return typed;
}

export const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  int64: [-9223372036854775808n, 9223372036854775807n],
  uint8: [0n, 255n],
  uint16: [0n, 65535n],
  uint32: [0n, 4294967295n],
  uint64: [0n, 18446744073709551615n],
};

/** The numpy dtype pandas would give a column made of this one JS value. */
export function jsValueDtype(value: unknown): string {
  if (value === null || value === undefined) return 'object';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (typeof value === 'bigint') return 'int64';
  if (typeof value === 'string') return 'str';
  if (value instanceof Date) return 'datetime64[ns]';
  return 'object';
}
