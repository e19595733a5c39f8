/**
 * Records as bytes, the same in every runtime (a store file written by Node
 * opens in Bun and Deno): JSON for the structure, with what JSON cannot say
 * kept exactly: typed arrays as raw little-endian bytes (metric chunks stay a
 * copy, not a parse), and NaN, ±Infinity and -0 (structured clone keeps
 * -0; older files, which hold it as 0, still read). A property holding
 * undefined is left out, as JSON leaves it out.
 *
 * Layout: one flag byte (0 = plain JSON, 1 = JSON with tagged values), the
 * JSON's length, the number of typed arrays and each one's length (4 bytes
 * each, little-endian), then the arrays, each at an 8-byte aligned offset,
 * then the JSON. A tag names its array by index.
 */
const TAG = '\u0000mlflow-edge';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type TypedArrayName = 'Float64Array' | 'Float32Array' | 'Int32Array' | 'Uint8Array' | 'BigInt64Array';
const ARRAYS: Record<TypedArrayName, { new (buffer: ArrayBuffer): ArrayBufferView; BYTES_PER_ELEMENT: number }> = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint8Array,
  BigInt64Array: BigInt64Array as never,
};

const bigEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

export function encodeRecord(value: unknown): Uint8Array {
  const views: ArrayBufferView[] = [];
  let tagged = false;
  const json = JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    if (typeof raw === 'number' && (!Number.isFinite(raw) || Object.is(raw, -0))) {
      tagged = true;
      return { [TAG]: 'n', v: Object.is(raw, -0) ? '-0' : String(raw) };
    }
    if (ArrayBuffer.isView(raw)) {
      const name = raw.constructor.name as TypedArrayName;
      if (!(name in ARRAYS) || bigEndian) throw unstorable(`a ${name}`);
      tagged = true;
      views.push(raw);
      return { [TAG]: 'a', t: name, i: views.length - 1 };
    }
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const proto = Object.getPrototypeOf(raw) as object | null;
      if (proto !== Object.prototype && proto !== null)
        throw unstorable(`a ${(raw as object).constructor?.name ?? 'non-plain object'}`);
    }
    if (typeof raw === 'bigint' || typeof raw === 'function' || typeof raw === 'symbol')
      throw unstorable(`a ${typeof raw}`);
    return v;
  });
  const text = encoder.encode(json ?? 'null');
  const offsets: number[] = [];
  let size = align(9 + 4 * views.length);
  for (const view of views) {
    offsets.push(size);
    size = align(size + view.byteLength);
  }
  const out = new Uint8Array(size + text.length);
  const header = new DataView(out.buffer);
  out[0] = tagged ? 1 : 0;
  header.setUint32(1, text.length, true);
  header.setUint32(5, views.length, true);
  views.forEach((view, i) => {
    header.setUint32(9 + 4 * i, view.byteLength, true);
    out.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), offsets[i]!);
  });
  out.set(text, size);
  return out;
}

export function decodeRecord(bytes: Uint8Array): unknown {
  const header = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = header.getUint32(1, true);
  const count = header.getUint32(5, true);
  const json = decoder.decode(bytes.subarray(bytes.length - length));
  if (bytes[0] === 0) return JSON.parse(json);
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = align(9 + 4 * count);
  for (let i = 0; i < count; i++) {
    const n = header.getUint32(9 + 4 * i, true);
    offsets.push(at);
    lengths.push(n);
    at = align(at + n);
  }
  return JSON.parse(json, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || !(TAG in v)) return v;
    const tagged = v as { [TAG]: string; v?: string; t?: TypedArrayName; i?: number };
    switch (tagged[TAG]) {
      case 'n':
        return Number(tagged.v);
      case 'a': {
        const start = bytes.byteOffset + offsets[tagged.i!]!;
        return new ARRAYS[tagged.t!](bytes.buffer.slice(start, start + lengths[tagged.i!]!) as ArrayBuffer);
      }
      default:
        return v;
    }
  });
}

function align(n: number): number {
  return (n + 7) & ~7;
}

function unstorable(what: string): Error {
  const error = new Error(`${what} cannot be stored in this store (records hold plain data and typed arrays)`);
  error.name = 'DataCloneError';
  return error;
}
