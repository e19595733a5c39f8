/**
 * The key codec: byte order (memcmp) is IndexedDB's key order, checked
 * against fake-indexeddb's indexedDB.cmp over seeded random keys and the
 * boundaries of the encoding; decoding round-trips; keyLength finds where
 * one key ends in a concatenation; what is not a key is a DataError.
 */
import { describe, expect, it } from 'vitest';
import type { Key } from '../../../src/store/port.js';
import { compareBytes, decodeKey, encodeKey, isKey, keyLength } from '../../../src/store/tables/key-codec.js';

/** mulberry32: a small seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2.2250738585072014e-308, // the least normal
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  Number.EPSILON,
  1 + Number.EPSILON,
  Infinity,
  -Infinity,
  1e-300,
  -1e300,
  255,
  256,
  2 ** 53 + 2,
];

/** Code units at the edges of the 1-, 2- and 3-byte encodings, and surrogates. */
const UNITS = [
  0x0, 0x1, 0x7e, 0x7f, 0x80, 0xff, 0x100, 0x3f7e, 0x3f7f, 0x3f80, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffe, 0xffff,
];

const STRINGS = [
  '',
  '\u0000',
  '\u0000\u0000',
  'a',
  'a\u0000',
  'ab',
  'b',
  '~',
  '\u007f',
  '\u3f7e',
  '\u3f7f',
  '\uffff',
  '\ud800',
  '\udc00',
  '😀',
  '\ud83d',
  'é',
  'x'.repeat(10_000),
  `${'x'.repeat(10_000)}\u0000`,
  ...UNITS.map((u) => String.fromCharCode(u)),
  ...UNITS.map((u) => `a${String.fromCharCode(u)}z`),
];

function randomNumber(r: () => number): number {
  const pick = r();
  if (pick < 0.3) return NUMBERS[Math.floor(r() * NUMBERS.length)]!;
  if (pick < 0.5) return Math.floor((r() - 0.5) * 2000);
  if (pick < 0.7) return (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
  // Any bit pattern but NaN: every exponent, subnormals included.
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, Math.floor(r() * 2 ** 32));
  view.setUint32(4, Math.floor(r() * 2 ** 32));
  const n = view.getFloat64(0);
  return Number.isNaN(n) ? 0 : n;
}

function randomString(r: () => number): string {
  if (r() < 0.3) return STRINGS[Math.floor(r() * STRINGS.length)]!;
  const length = Math.floor(r() * (r() < 0.1 ? 300 : 6));
  let s = '';
  for (let i = 0; i < length; i++) {
    const pick = r();
    const unit =
      pick < 0.4
        ? UNITS[Math.floor(r() * UNITS.length)]!
        : pick < 0.7
          ? 0x61 + Math.floor(r() * 3)
          : Math.floor(r() * 0x10000);
    s += String.fromCharCode(unit);
  }
  return s;
}

function randomKey(r: () => number, depth = 0): Key {
  const pick = r();
  if (pick < 0.35) return randomNumber(r);
  if (pick < 0.7 || depth > 3) return randomString(r);
  const length = Math.floor(r() * 4);
  return Array.from({ length }, () => randomKey(r, depth + 1));
}

/** Keys that differ only near the ends of each other: prefixes, [] and nesting. */
function related(r: () => number, key: Key): Key[] {
  const out: Key[] = [[key], [], [[]], [key, structuredClone(key)]];
  if (Array.isArray(key)) {
    out.push(key.slice(0, -1), [...key, randomKey(r, 1)], [...key, []]);
    if (key.length > 0) out.push([...key.slice(0, -1), randomKey(r, 1)]);
  }
  if (typeof key === 'string') out.push(key.slice(0, -1), `${key}\u0000`, `${key}${randomString(r)}`);
  if (typeof key === 'number') out.push(-key, ...(Number.isFinite(key) ? [key + Number.EPSILON * Math.abs(key)] : []));
  return out;
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

function expectSameOrder(a: Key, b: Key): void {
  const expected = indexedDB.cmp(a, b);
  const actual = sign(compareBytes(encodeKey(a), encodeKey(b)));
  if (actual !== expected)
    expect.fail(`order of ${JSON.stringify(a)} and ${JSON.stringify(b)}: ${actual}, IndexedDB ${expected}`);
}

describe('key byte order is IndexedDB key order', () => {
  it('over the boundaries of the encoding, every pair', () => {
    const keys: Key[] = [...NUMBERS, ...STRINGS.filter((s) => s.length < 100), [], [[]], [0], [''], [[0]], ['', 0]];
    for (const a of keys) for (const b of keys) expectSameOrder(a, b);
  });

  it('over seeded random keys and their neighbours', () => {
    for (const seed of [1, 2, 3, 42, 2026]) {
      const r = random(seed);
      const keys: Key[] = [];
      for (let i = 0; i < 300; i++) {
        const key = randomKey(r);
        keys.push(key, ...related(r, key));
      }
      for (let i = 0; i < keys.length; i++) {
        expectSameOrder(keys[i]!, keys[(i * 7 + 3) % keys.length]!);
        if (i > 0) expectSameOrder(keys[i - 1]!, keys[i]!);
      }
      // Sorting by bytes gives IndexedDB's order.
      const byBytes = [...keys].sort((a, b) => compareBytes(encodeKey(a), encodeKey(b)));
      for (let i = 1; i < byBytes.length; i++) expect(indexedDB.cmp(byBytes[i - 1], byBytes[i])).toBeLessThanOrEqual(0);
    }
  });

  it('-0 is 0, as IndexedDB compares them', () => {
    expect(compareBytes(encodeKey(-0), encodeKey(0))).toBe(0);
    expect(indexedDB.cmp(-0, 0)).toBe(0);
  });
});

const withoutNegativeZero = (key: Key): Key =>
  Array.isArray(key) ? key.map(withoutNegativeZero) : Object.is(key, -0) ? 0 : key;

describe('decodeKey and keyLength', () => {
  it('decodeKey(encodeKey(k)) is k', () => {
    const r = random(7);
    const keys: Key[] = [...NUMBERS, ...STRINGS, [], [[]], [[[]], []]];
    for (let i = 0; i < 2000; i++) keys.push(randomKey(r));
    for (const key of keys) {
      const back = decodeKey(encodeKey(key));
      // -0 comes back as 0 (IndexedDB's equal key); all else exactly.
      expect(back).toEqual(withoutNegativeZero(key));
      expect(indexedDB.cmp(back, key)).toBe(0);
    }
  });

  it('decodes a key from a view that does not start its buffer', () => {
    const bytes = encodeKey(['a', 1.5, ['\uffff']]);
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes, 3);
    expect(decodeKey(padded.subarray(3, 3 + bytes.length))).toEqual(['a', 1.5, ['\uffff']]);
  });

  it('keyLength finds the end of each key in a concatenation', () => {
    const r = random(11);
    for (let i = 0; i < 500; i++) {
      const parts = [randomKey(r), randomKey(r), randomKey(r)].map(encodeKey);
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      let from = 0;
      for (const p of parts) {
        expect(keyLength(all, from)).toBe(p.length);
        expect(decodeKey(all.subarray(from, from + p.length))).toEqual(decodeKey(p));
        from += p.length;
      }
    }
  });
});

describe('what is not a key is refused with a DataError', () => {
  const sparse: unknown[] = [1];
  sparse[2] = 3;
  const cyclic: unknown[] = [];
  cyclic.push(cyclic);
  const cases: Array<[string, unknown]> = [
    ['NaN', NaN],
    ['NaN in an array', [1, NaN]],
    ['undefined', undefined],
    ['null', null],
    ['a boolean', true],
    ['an object', { a: 1 }],
    ['an object in an array', ['a', {}]],
    ['undefined in an array', [undefined]],
    ['an array with a hole', sparse],
    ['a bigint', 1n],
    ['a symbol', Symbol('k')],
    ['a cyclic array', cyclic],
  ];
  for (const [name, value] of cases) {
    it(name, () => {
      expect(() => indexedDB.cmp(value, 0)).toThrow(expect.objectContaining({ name: 'DataError' }));
      expect(() => encodeKey(value)).toThrow(expect.objectContaining({ name: 'DataError' }));
      expect(isKey(value)).toBe(false);
    });
  }

  it('isKey agrees with encodeKey on deep nesting', () => {
    for (let depth = 60; depth < 70; depth++) {
      let key: unknown = 1;
      for (let i = 0; i < depth; i++) key = [key];
      let encodes = true;
      try {
        encodeKey(key);
      } catch {
        encodes = false;
      }
      expect(isKey(key), `depth ${depth}`).toBe(encodes);
    }
  });
});
