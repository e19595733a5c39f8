/**
 * Python's way of printing values (repr, str, isoformat), for messages and
 * files that must read exactly as MLflow's Python writes them.
 */
import { isPlainObject, isTypedArray } from '../predicates.js';
import { compareCodePoints } from './order.js';

/** `repr(float)` — shortest round-trip digits, Python's exponent rules. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa = '', expPart = '0'] = Math.abs(value).toExponential().split('e');
  const exp = Number(expPart);
  const digits = mantissa.replace('.', '');
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp).toString().padStart(2, '0');
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
}

/**
 * Python's `str()` of the number a JavaScript number stands for. JavaScript
 * has one number type, so the rule is: a whole number in the safe range
 * (|x| ≤ 2^53 − 1), except -0, is a Python int (`10` → '10'); every other
 * number is a Python float (`1e-5` → '1e-05', `1e16` → '1e+16', -0 → '-0.0',
 * NaN → 'nan', ±Infinity → 'inf' / '-inf').
 */
export function pyNumberStr(value: number): string {
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value);
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return pyFloatRepr(value);
}

/** Python's `repr(str)`. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` of the JSON-equivalent value (lists, dicts, True/False/None). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloatRepr(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return pyStrRepr(value);
  if (value instanceof Date) return pyStrRepr(pyIsoformat(value));
  if (value instanceof Uint8Array)
    return `b'${Array.from(value, (b) => (b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')}'`;
  if (Array.isArray(value) || isTypedArray(value))
    return `[${Array.from(value as ArrayLike<unknown>, pyRepr).join(', ')}]`;
  if (isPlainObject(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  return String(value);
}

/** Python's `str()`: like repr, except a top-level string is printed bare. */
export function pyStr(value: unknown): string {
  return typeof value === 'string'
    ? value
    : value instanceof Date
      ? pyIsoformat(value).replace('T', ' ')
      : pyRepr(value);
}

/** Python tuple repr of a shape: `(-1, 4)`, `(5,)`, `()`. */
export function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** A Python set literal in a stable (sorted) order: `{'a', 'b'}`. */
export function pySet(items: readonly string[]): string {
  return `{${[...items].sort(compareCodePoints).map(pyStrRepr).join(', ')}}`;
}

/** `datetime.isoformat()` of a naive UTC datetime: microseconds only when non-zero. */
export function pyIsoformat(date: Date): string {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const ms = date.getUTCMilliseconds();
  const base = iso.slice(0, 19);
  return ms === 0 ? base : `${base}.${String(ms).padStart(3, '0')}000`;
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
