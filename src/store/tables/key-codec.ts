/**
 * Keys as bytes whose byte order (memcmp, as SQLite compares BLOBs) is
 * IndexedDB's key order: numbers < strings < arrays; numbers by value;
 * strings by UTF-16 code unit; arrays element by element, a prefix first.
 *
 * Each encoding is self-delimiting, so a key followed by more bytes sorts
 * with its own key (index entries are index key then primary key), and
 * `prefixEnd(k)` is above every encoding that starts with `k`.
 */
import type { Key } from '../port.js';

const NUMBER = 0x10;
const STRING = 0x30;
const ARRAY = 0x50;
const END = 0x00;
/** Above every tag: the first byte after all encodings that start with a given prefix. */
const AFTER = 0xff;
/** How deep key arrays may nest (a cyclic array would nest forever); encodeKey and isKey keep the same limit. */
const MAX_DEPTH = 64;

class Writer {
  bytes = new Uint8Array(64);
  length = 0;
  private readonly view8 = new DataView(new ArrayBuffer(8));

  ensure(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.bytes[this.length++] = b;
  }

  number(n: number): void {
    this.view8.setFloat64(0, n === 0 ? 0 : n); // -0 is 0, as IndexedDB compares them
    this.ensure(8);
    const negative = (this.view8.getUint8(0) & 0x80) !== 0;
    for (let i = 0; i < 8; i++) {
      const b = this.view8.getUint8(i);
      this.bytes[this.length++] = negative ? ~b & 0xff : i === 0 ? b | 0x80 : b;
    }
  }
}

/** Throws the DataError IndexedDB throws for a value that is not a key. */
export function dataError(message: string): Error {
  const error = new Error(message);
  error.name = 'DataError';
  return error;
}

function write(w: Writer, key: unknown, depth: number): void {
  if (typeof key === 'number') {
    if (Number.isNaN(key)) throw dataError('NaN is not a valid key');
    w.byte(NUMBER);
    w.number(key);
  } else if (typeof key === 'string') {
    w.byte(STRING);
    w.ensure(key.length * 3 + 1);
    const out = w.bytes;
    let at = w.length;
    for (let i = 0; i < key.length; i++) {
      const u = key.charCodeAt(i);
      if (u < 0x7f) out[at++] = u + 1;
      else if (u < 0x7f + 0x3f00) {
        const v = u - 0x7f;
        out[at++] = 0x80 | (v >> 8);
        out[at++] = v & 0xff;
      } else {
        out[at++] = 0xc0;
        out[at++] = u >> 8;
        out[at++] = u & 0xff;
      }
    }
    out[at++] = END;
    w.length = at;
  } else if (Array.isArray(key)) {
    if (depth >= MAX_DEPTH) throw dataError(`key arrays nest more than ${MAX_DEPTH} deep (or hold themselves)`);
    w.byte(ARRAY);
    for (const k of key) write(w, k, depth + 1);
    w.byte(END);
  } else {
    throw dataError(`${String(key)} is not a valid key (a number, string or array of keys)`);
  }
}

export function encodeKey(key: unknown): Uint8Array {
  const w = new Writer();
  write(w, key, 0);
  return w.bytes.slice(0, w.length);
}

/** Whether `key` is a valid key (what an index keyPath must yield for the record to be indexed). */
export function isKey(key: unknown, depth = 0): key is Key {
  if (typeof key === 'number') return !Number.isNaN(key);
  if (typeof key === 'string') return true;
  if (!Array.isArray(key) || depth >= MAX_DEPTH) return false;
  // Not key.every(): it skips holes, and a hole is no key (encodeKey refuses it).
  for (let i = 0; i < key.length; i++) if (!isKey(key[i], depth + 1)) return false;
  return true;
}

/** The least byte string above every encoding that starts with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + 1);
  out.set(prefix);
  out[prefix.length] = AFTER;
  return out;
}

export function decodeKey(bytes: Uint8Array): Key {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const read = (): Key => {
    const tag = bytes[at++];
    if (tag === NUMBER) {
      const b = new Uint8Array(8);
      const negative = (bytes[at]! & 0x80) === 0;
      for (let i = 0; i < 8; i++)
        b[i] = negative ? ~bytes[at + i]! & 0xff : i === 0 ? bytes[at]! & 0x7f : bytes[at + i]!;
      at += 8;
      return new DataView(b.buffer).getFloat64(0);
    }
    if (tag === STRING) {
      const units: number[] = [];
      for (let b = bytes[at++]!; b !== END; b = bytes[at++]!) {
        if (b < 0x80) units.push(b - 1);
        else if (b < 0xc0) units.push((((b & 0x3f) << 8) | bytes[at++]!) + 0x7f);
        else {
          units.push((bytes[at]! << 8) | bytes[at + 1]!);
          at += 2;
        }
      }
      let s = '';
      for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
      return s;
    }
    if (tag === ARRAY) {
      const items: Key[] = [];
      while (bytes[at] !== END) items.push(read());
      at++;
      return items;
    }
    throw dataError(`damaged key: unknown tag ${String(tag)} at byte ${at - 1} of ${view.byteLength}`);
  };
  return read();
}

/** The length of the key encoding at the start of `bytes` (index entries: index key, then primary key). */
export function keyLength(bytes: Uint8Array, from = 0): number {
  let at = from;
  const skip = (): void => {
    const tag = bytes[at++];
    if (tag === NUMBER) at += 8;
    else if (tag === STRING) {
      for (let b = bytes[at++]!; b !== END; b = bytes[at++]!) if (b >= 0x80) at += b < 0xc0 ? 1 : 2;
    } else if (tag === ARRAY) {
      while (bytes[at] !== END) skip();
      at++;
    } else throw dataError(`damaged key: unknown tag ${String(tag)}`);
  };
  skip();
  return at - from;
}

/** Compares two encodings as SQLite compares BLOBs. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
