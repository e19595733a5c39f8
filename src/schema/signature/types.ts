/**
 * Types and low-level helpers for MLflow model signatures (see `signature.ts`):
 * numpy dtype facts, Python-compatible formatting (json.dumps, repr) and a JSON
 * reader that remembers which numbers were written as floats, so a signature
 * read from an MLmodel file is written back byte for byte.
 */
import { MlflowEdgeError } from '../errors.js';
import { pyFloatRepr, pyIsoformat } from '../python.js';

// ---------------------------------------------------------------------------
// Signature types (mlflow/types/schema.py)
// ---------------------------------------------------------------------------

/** `mlflow.types.DataType` names. */
export type DataType = 'boolean' | 'integer' | 'long' | 'float' | 'double' | 'string' | 'binary' | 'datetime';
export const DATA_TYPES: readonly DataType[] = ['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime'];

/** `Array(dtype)` — JSON `{"type": "array", "items": {...}}`. */
export interface ArraySpec {
  type: 'array';
  items: ValueType;
}
/** One property of an `Object` — JSON `{"<name>": {"type": ..., "required": bool}}`. */
export interface PropertySpec {
  type: ValueType;
  required: boolean;
}
/** `Object(properties)` — JSON `{"type": "object", "properties": {...}}`; written sorted by name. */
export interface ObjectSpec {
  type: 'object';
  properties: Record<string, PropertySpec>;
}
/** `Map(value_type)` (string keys) — JSON `{"type": "map", "values": {...}}`. */
export interface MapSpec {
  type: 'map';
  values: ValueType;
}
/** `SparkMLVector()` — read and written for round trips; enforced as an array of doubles. */
export interface SparkMLVectorSpec {
  type: 'sparkml_vector';
}
/** Any column / item / property type. `'any'` is `AnyType` (no validation, null allowed). */
export type ValueType = DataType | ArraySpec | ObjectSpec | MapSpec | SparkMLVectorSpec | 'any';

export interface ColSpec {
  type: ValueType;
  name?: string;
  required: boolean;
}
export interface TensorSpec {
  /** numpy dtype name: float32, float64, int8…int64, uint8…uint64, bool, str, bytes, object, datetime64[ns]… */
  type: string;
  /** -1 = any size in that dimension. */
  shape: number[];
  name?: string;
}
/** `ParamSpec`; `type` is a DataType (never binary) or an Object spec (MLflow 2.19+ object params). */
export interface ParamSpec {
  name: string;
  type: DataType | ObjectSpec;
  default: unknown;
  /** null = scalar (or object); [-1] = 1-D list. */
  shape: number[] | null;
}
export type Schema = { kind: 'columns'; columns: ColSpec[] } | { kind: 'tensors'; tensors: TensorSpec[] };
export interface ModelSignature {
  inputs: Schema | null;
  outputs: Schema | null;
  params: ParamSpec[] | null;
}

// ---------------------------------------------------------------------------
// Input data types
// ---------------------------------------------------------------------------

/** A dense tensor in row-major order. Typed arrays stay typed (int64 ⇒ BigInt64Array). */
export type Tensor = { data: ArrayLike<number | bigint | boolean | string>; shape: number[]; dtype: string };
export type Columns = Record<string, unknown[]>;
/**
 * `dtypes` (optional) holds the numpy dtype of columns whose dtype is known: columns that came
 * from typed arrays or tensors, and — after `enforceSchema` — every column, as the signature's
 * numpy type (`int64`, `float32`, `str`, `object`, …).
 */
export type PredictInput =
  | { kind: 'columns'; columns: Columns; rows: number; dtypes?: Record<string, string> }
  | { kind: 'tensors'; tensors: Record<string, Tensor> };

/** Key used for the single tensor / column of an unnamed schema (MLflow names them by index). */
export const UNNAMED_INPUT = '0';

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** INVALID_PARAMETER_VALUE with `details = { field, expected, received, ...extra }`. */
export function schemaError(
  message: string,
  field: string,
  expected: unknown,
  received: unknown,
  extra?: Record<string, unknown>,
): MlflowEdgeError {
  return new MlflowEdgeError('INVALID_PARAMETER_VALUE', message, { field, expected, received, ...extra });
}

// ---------------------------------------------------------------------------
// numpy dtypes
// ---------------------------------------------------------------------------

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
  bool_: 'bool', '?': 'bool', b1: 'bool',
  int: 'int64', int_: 'int64', long: 'int64', i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64',
  uint: 'uint64', u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64',
  float: 'float64', double: 'float64', float_: 'float64', half: 'float16', single: 'float32',
  f2: 'float16', f4: 'float32', f8: 'float64',
  str_: 'str', unicode: 'str', U: 'str', '<U': 'str', '<U0': 'str', U0: 'str',
  bytes_: 'bytes', S: 'bytes', '|S': 'bytes', '|S0': 'bytes', S0: 'bytes', O: 'object', object_: 'object',
  datetime64: 'datetime64', M8: 'datetime64',
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

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;
export type AnyTypedArray = TypedArray;

export function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

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
export function typedArrayFor(dtype: string): { new (length: number): TypedArray } | null {
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

// ---------------------------------------------------------------------------
// Small value helpers
// ---------------------------------------------------------------------------

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** None / NaN / NaT as pandas sees a missing value. */
export function isMissing(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    (typeof value === 'number' && Number.isNaN(value)) ||
    (value instanceof Date && Number.isNaN(value.getTime()))
  );
}

/** The Python type name MLflow would print for the JSON-equivalent value. */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Date) return 'datetime';
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return 'bytes';
  if (isTypedArray(value)) return 'ndarray';
  if (Array.isArray(value)) return 'list';
  if (isPlainObject(value)) return 'dict';
  return typeof value === 'object' ? ((value as object).constructor?.name ?? 'object') : typeof value;
}

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

// ---------------------------------------------------------------------------
// JSON: Python-compatible writer and a reader that remembers float lexemes
// ---------------------------------------------------------------------------

/** Containers read by `parseJsonPreservingFloats` → the keys/indices whose number was written as a float. */
const FLOAT_SLOTS = new WeakMap<object, Set<string>>();

/** Marks `container[key]` as a float (so `pyJsonDumps` writes `1.0`, not `1`). */
export function markFloat(container: object, key: string | number): void {
  let set = FLOAT_SLOTS.get(container);
  if (!set) FLOAT_SLOTS.set(container, (set = new Set()));
  set.add(String(key));
}
function isFloatSlot(container: object, key: string | number): boolean {
  return FLOAT_SLOTS.get(container)?.has(String(key)) ?? false;
}

/**
 * `JSON.parse` that also accepts Python's `NaN`/`Infinity`/`-Infinity` tokens (json.dumps writes
 * them) and records which numbers had a fraction or exponent, so they are written back as floats.
 */
export function parseJsonPreservingFloats(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const value = (): { v: unknown; isFloat: boolean } => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return { v: obj, isFloat: false };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('Expected a property name');
        const key = str();
        ws();
        if (text[i] !== ':') fail("Expected ':'");
        i++;
        const item = value();
        Object.defineProperty(obj, key, { value: item.v, enumerable: true, writable: true, configurable: true });
        if (item.isFloat) markFloat(obj, key);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { v: obj, isFloat: false };
        }
        fail("Expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { v: arr, isFloat: false };
      }
      for (;;) {
        const item = value();
        if (item.isFloat) markFloat(arr, arr.length);
        arr.push(item.v);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { v: arr, isFloat: false };
        }
        fail("Expected ',' or ']'");
      }
    }
    if (c === '"') return { v: str(), isFloat: false };
    for (const [token, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
    ] as const) {
      if (text.startsWith(token, i)) {
        i += token.length;
        return { v, isFloat: typeof v === 'number' };
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('Unexpected token');
    i += m[0].length;
    return { v: Number(m[0]), isFloat: m[1] !== undefined || m[2] !== undefined };
  };
  const str = (): string => {
    const start = i;
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) fail('Unterminated string');
      if (c === '\\') i += 2;
      else if (c === '"') break;
      else i++;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const result = value();
  ws();
  if (i !== text.length) fail('Unexpected data after JSON');
  return result.v;
}

function pyJsonString(s: string): string {
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const ch = s[k] as string;
    const c = s.charCodeAt(k);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * `json.dumps(value)` with Python's defaults (", " and ": " separators, ensure_ascii, NaN tokens).
 * Numbers print as floats when `asFloat` says so or when the reader marked them as floats.
 */
export function pyJsonDumps(value: unknown, asFloat = false): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return pyFloatRepr(value);
    if (asFloat || !Number.isInteger(value)) return pyFloatRepr(value);
    return Object.is(value, -0) ? '0' : String(value);
  }
  if (typeof value === 'string') return pyJsonString(value);
  if (value instanceof Date) return pyJsonString(pyIsoformat(value));
  if (Array.isArray(value) || isTypedArray(value)) {
    const arr = Array.from(value as ArrayLike<unknown>);
    return `[${arr.map((v, k) => pyJsonDumps(v, asFloat || isFloatSlot(value, k))).join(', ')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${pyJsonString(k)}: ${pyJsonDumps(v, isFloatSlot(value, k))}`).join(', ')}}`;
  }
  return pyJsonString(String(value));
}

// ---------------------------------------------------------------------------
// Datetimes
// ---------------------------------------------------------------------------

const ISO_RE =
  /^([+-]?\d{4,6})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses the ISO-8601 forms numpy's `datetime64` and pandas accept (`2024`, `2024-05`,
 * `2024-05-06`, `2024-05-06T07:08[:09[.123456]]`, space or `T`, optional `Z`/`±hh:mm`).
 * Naive times are read as UTC (numpy datetimes have no zone). Returns null if unparsable.
 */
export function parseIsoDatetime(text: string): { date: Date; hasZone: boolean } | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const nums = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
  const [Y, M, D, H, MI, S] = nums;
  if (M < 1 || M > 12 || D < 1 || D > 31 || H > 23 || MI > 59 || S > 59) return null;
  const ms = frac === '' ? 0 : Math.floor(Number(`0.${frac}`) * 1000 + 1e-9);
  const date = new Date(0);
  date.setUTCFullYear(Y, M - 1, D);
  date.setUTCHours(H, MI, S, ms);
  if (date.getUTCDate() !== D) return null; // e.g. Feb 30
  let offsetMinutes = 0;
  if (zone && zone !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!zm) return null;
    offsetMinutes = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3] ?? '0'));
  }
  return { date: new Date(date.getTime() - offsetMinutes * 60_000), hasZone: zone !== undefined };
}
