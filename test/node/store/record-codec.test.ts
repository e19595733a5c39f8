/**
 * The record codec: records come back as they went in (typed arrays as
 * their own kind with their own bytes, NaN and ±Infinity at any depth,
 * unicode), and what a record cannot hold is a DataCloneError.
 */
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord } from '../../../src/store/tables/record-codec.js';

const roundTrip = (value: unknown) => decodeRecord(encodeRecord(value));

/** A copy of the encoding inside a larger buffer, as drivers may hand bytes back (a pooled Buffer). */
function offsetCopy(bytes: Uint8Array, before = 13): Uint8Array {
  const padded = new Uint8Array(bytes.length + before + 7);
  padded.fill(0xaa);
  padded.set(bytes, before);
  return padded.subarray(before, before + bytes.length);
}

describe('records round-trip', () => {
  const backing = new ArrayBuffer(64);
  new Uint8Array(backing).forEach((_, i, a) => {
    a[i] = i * 7;
  });
  const cases: Array<[string, unknown]> = [
    ['a plain object', { a: 1, b: 'x', c: [1, 'two', { d: null }], e: true, f: false }],
    ['null', null],
    ['a number', 3.5],
    ['a string', 'text'],
    ['an array', [1, [2, [3, []]], {}]],
    ['NaN and ±Infinity at the top', NaN],
    [
      'NaN and ±Infinity at every depth',
      { a: NaN, b: [Infinity, -Infinity, [NaN, { c: [[-Infinity]] }]], d: { e: { f: { g: Infinity } } } },
    ],
    ['a Float64Array', new Float64Array([1.5, NaN, -Infinity, -0, Number.MIN_VALUE, Number.MAX_VALUE])],
    ['a Float32Array', new Float32Array([1.5, NaN, Infinity, 3.4e38])],
    ['an Int32Array', new Int32Array([0, -1, 2 ** 31 - 1, -(2 ** 31)])],
    ['a Uint8Array', new Uint8Array([0, 1, 255])],
    [
      'empty typed arrays',
      { f: new Float64Array(0), g: new Float32Array(0), i: new Int32Array(0), u: new Uint8Array(0) },
    ],
    ['a Float64Array view at byteOffset 8', new Float64Array(backing, 8, 3)],
    ['a Float32Array view at byteOffset 4', new Float32Array(backing, 4, 5)],
    ['an Int32Array view at byteOffset 12', new Int32Array(backing, 12, 2)],
    ['a Uint8Array view at byteOffset 3 (unaligned)', new Uint8Array(backing, 3, 9)],
    ['an empty view at a non-zero byteOffset', new Float64Array(backing, 16, 0)],
    [
      'typed arrays nested among other values',
      {
        chunk: { steps: new Float64Array([0, 1, 2]), values: new Float32Array([0.5, NaN]), n: Infinity },
        list: [new Uint8Array([9]), new Int32Array([-7]), { deeper: [new Float64Array(backing, 24, 1)] }],
      },
    ],
    ['unicode', { 'ключ 😀': 'значение 𝒜', '': 'é\u0000\uffff', lone: '\ud800 and \udc00', nul: '\u0000' }],
    ['a long string', 'x'.repeat(100_000)],
    ['a large Float64Array', new Float64Array(50_000).map((_, i) => i / 3)],
    ['-0 at every depth', { a: -0, b: [-0, [-0, { c: -0 }]] }],
    ['-0 at the top', -0],
  ];
  for (const [name, value] of cases) {
    it(name, () => {
      const back = roundTrip(value);
      expect(back).toStrictEqual(value);
      if (ArrayBuffer.isView(value)) {
        expect((back as object).constructor).toBe(value.constructor);
        expect(new Uint8Array((back as ArrayBufferView).buffer)).toEqual(
          new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
        );
      }
      // The same bytes read from inside a larger buffer decode the same.
      expect(decodeRecord(offsetCopy(encodeRecord(value)))).toStrictEqual(value);
    });
  }

  it('keeps NaN payload-free values bit for bit in typed arrays', () => {
    const values = new Float64Array([0.1, -0, 2 ** -1074]);
    const back = roundTrip(values) as Float64Array;
    expect(Object.is(back[1], -0)).toBe(true);
    expect(back[2]).toBe(2 ** -1074);
  });

  it('an object without a prototype comes back as a plain object, as structured clone gives it', () => {
    expect(roundTrip(Object.assign(Object.create(null) as object, { a: 1 }))).toEqual({ a: 1 });
  });

  it('leaves out a property holding undefined, as JSON does', () => {
    expect(roundTrip({ a: 1, b: undefined })).toStrictEqual({ a: 1 });
  });

  it('a decoded typed array owns its bytes: writing it does not change the encoding', () => {
    const bytes = encodeRecord({ v: new Float64Array([1, 2]) });
    const first = decodeRecord(bytes) as { v: Float64Array };
    first.v[0] = 99;
    expect((decodeRecord(bytes) as { v: Float64Array }).v[0]).toBe(1);
  });
});

describe('what a record cannot hold is a DataCloneError', () => {
  class Point {
    x = 1;
  }
  const cases: Array<[string, unknown]> = [
    ['a Blob', new Blob(['x'])],
    ['a Blob in an object', { file: new Blob(['x']) }],
    ['a Map', new Map([[1, 2]])],
    ['a Set in an array', [new Set([1])]],
    ['a class instance', new Point()],
    ['a class instance deep down', { a: [{ b: new Point() }] }],
    ['a function', { f: () => 1 }],
    ['a symbol', { s: Symbol('s') }],
    ['a bigint', { n: 1n }],
    ['a DataView', new DataView(new ArrayBuffer(8))],
    ['a Uint16Array (not a kind the store keeps)', new Uint16Array(2)],
  ];
  for (const [name, value] of cases) {
    it(name, () => {
      expect(() => encodeRecord(value)).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    });
  }
});
