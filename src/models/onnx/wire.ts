/**
 * The protobuf wire format, just enough to read an ONNX `ModelProto` and
 * write it back with a few fields replaced. Invariant: a message is rewritten
 * as its fields' original bytes, in their original order, with only the
 * fields a caller replaces re-encoded; unknown fields, packed and unpacked
 * repeats and large initializers pass through as the bytes they were.
 */
import { concatBytes as concat } from '../../schema/bytes.js';
import { invalidParameter } from '../../schema/errors.js';

/** One field of a message: its number, wire type, and where it lies in the buffer. */
export interface Field {
  no: number;
  wire: number;
  /** The whole field, tag included. */
  start: number;
  end: number;
  /** A varint's value, or a length-delimited field's payload range. */
  value: number;
  from: number;
  to: number;
}

const broken = (at: number) =>
  invalidParameter(`model.onnx is not a valid ONNX protobuf (byte ${at}). Check that the file is complete.`, {
    field: 'model.onnx',
  });

function varint(buf: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * scale; // exact up to 2^53: enough for sizes, versions and enums
    scale *= 128;
    if (b < 0x80) return [value, i + 1];
  }
  throw broken(at);
}

/** The fields of the message in `buf[from, to)`, in order. */
export function* fields(buf: Uint8Array, from = 0, to = buf.length): Generator<Field> {
  let at = from;
  while (at < to) {
    const start = at;
    const [tag, afterTag] = varint(buf, at);
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    let value = 0;
    let payload = afterTag;
    if (wire === 0) [value, at] = varint(buf, afterTag);
    else if (wire === 1) at = afterTag + 8;
    else if (wire === 5) at = afterTag + 4;
    else if (wire === 2) {
      [value, payload] = varint(buf, afterTag);
      at = payload + value;
    } else throw broken(start);
    if (at > to || no === 0) throw broken(start);
    yield { no, wire, start, end: at, value, from: payload, to: wire === 2 ? at : payload };
  }
}

const utf8 = new TextDecoder();
export const text = (buf: Uint8Array, f: Field): string => utf8.decode(buf.subarray(f.from, f.to));

/** The values of a repeated int64 field, packed or not (small values only: labels, versions). */
export function ints(buf: Uint8Array, f: Field): number[] {
  if (f.wire === 0) return [f.value >= 2 ** 63 ? f.value - 2 ** 64 : f.value];
  const out: number[] = [];
  for (let at = f.from; at < f.to; ) {
    const [v, next] = varint(buf, at);
    out.push(v >= 2 ** 63 ? v - 2 ** 64 : v);
    at = next;
  }
  return out;
}

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A length-delimited field `no` holding `parts` concatenated. */
export function lengthDelimited(no: number, ...parts: Uint8Array[]): Uint8Array {
  const size = parts.reduce((n, p) => n + p.length, 0);
  const head = [...encodeVarint(no * 8 + 2), ...encodeVarint(size)];
  return concat([Uint8Array.from(head), ...parts]);
}

export const varintField = (no: number, value: number): Uint8Array =>
  Uint8Array.from([...encodeVarint(no * 8), ...encodeVarint(value)]);

export const stringField = (no: number, value: string): Uint8Array =>
  lengthDelimited(no, new TextEncoder().encode(value));

/**
 * The message in `buf[from, to)` with each field for which `replace` returns
 * bytes swapped for them (an empty array drops the field); every other field
 * keeps its bytes.
 */
export function rewrite(
  buf: Uint8Array,
  replace: (f: Field) => Uint8Array | undefined,
  from = 0,
  to = buf.length,
): Uint8Array {
  const parts: Uint8Array[] = [];
  let kept = from;
  for (const f of fields(buf, from, to)) {
    const swapped = replace(f);
    if (swapped === undefined) continue;
    parts.push(buf.subarray(kept, f.start), swapped);
    kept = f.end;
  }
  if (parts.length === 0) return buf.subarray(from, to);
  parts.push(buf.subarray(kept, to));
  return concat(parts);
}
