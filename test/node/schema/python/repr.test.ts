/** Python's repr of floats. */
import { describe, expect, it } from 'vitest';
import { pyFloatRepr } from '../../../../src/schema/python.js';

describe("pyFloatRepr matches Python's repr(float)", () => {
  it.each([
    [0.7, '0.7'],
    [1, '1.0'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [123456789012345.6, '123456789012345.6'],
    [-2.5e-7, '-2.5e-07'],
    [NaN, 'NaN'],
    [-Infinity, '-Infinity'],
  ])('%s → %s', (value, expected) => expect(pyFloatRepr(value)).toBe(expected));
});
