/**
 * Python's `json`: `json.dumps` with its defaults, and a reader that accepts
 * its NaN/Infinity tokens and remembers which numbers were written as floats
 * (in number-kinds.ts), so a signature read from an MLmodel file is written
 * back byte for byte.
 */
import { isTypedArray } from '../predicates.js';
import { isFloat, markFloat } from './number-kinds.js';
import { pyFloatRepr, pyIsoformat } from './repr.js';

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
    return `[${arr.map((v, k) => pyJsonDumps(v, asFloat || isFloat(value, k))).join(', ')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${pyJsonString(k)}: ${pyJsonDumps(v, isFloat(value, k))}`).join(', ')}}`;
  }
  return pyJsonString(String(value));
}

/**
 * `json.dumps(value, indent=indent)`: Python's layout for an indent (one item a line, "," and
 * ": " separators, `[]`/`{}` when empty), with the same scalars as pyJsonDumps.
 */
export function pyJsonDumpsIndented(value: unknown, indent: number, level = 0, asFloat = false): string {
  const inner = '\n' + ' '.repeat(indent * (level + 1));
  const outer = '\n' + ' '.repeat(indent * level);
  if (Array.isArray(value) || isTypedArray(value)) {
    const arr = Array.from(value as ArrayLike<unknown>);
    if (arr.length === 0) return '[]';
    const items = arr.map((v, k) => pyJsonDumpsIndented(v, indent, level + 1, asFloat || isFloat(value, k)));
    return `[${inner}${items.join(`,${inner}`)}${outer}]`;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const items = entries.map(
      ([k, v]) => `${pyJsonString(k)}: ${pyJsonDumpsIndented(v, indent, level + 1, isFloat(value, k))}`,
    );
    return `{${inner}${items.join(`,${inner}`)}${outer}}`;
  }
  return pyJsonDumps(value, asFloat);
}
