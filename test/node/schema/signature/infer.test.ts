/** inferSignature against MLflow 3.17.2's `infer_signature` (the same JSON). */
import { describe, expect, it } from 'vitest';
import { inferSignature, signatureToMlmodel } from '../../../../src/schema/signature.js';
import { MLFLOW, expectInvalid } from './fixtures.js';

describe('inferSignature mirrors infer_signature (same JSON as MLflow)', () => {
  it.each([
    [
      'pandas-like columns',
      () =>
        inferSignature(
          {
            age: [31, 42, null],
            n: [1, 2, 3],
            height: [1.7, 1.8, 1.65],
            name: ['a', 'b', 'c'],
            member: [true, false, true],
            note: ['x', null, 'z'],
          },
          new Float64Array([0.5, 0.2, 0.1]),
        ),
      MLFLOW.dataframe,
    ],
    [
      'float32 (-1, 4) tensor',
      () =>
        inferSignature(
          { data: new Float32Array(20), shape: [5, 4], dtype: 'float32' },
          new BigInt64Array([1n, 2n, 0n, 1n, 0n]),
        ),
      MLFLOW.tensor,
    ],
    [
      'named tensors',
      () =>
        inferSignature(
          {
            image: { data: new Uint8Array(2 * 28 * 28), shape: [2, 28, 28], dtype: 'uint8' },
            mask: { data: [true, false, true, false, true, false], shape: [2, 3], dtype: 'bool' },
          },
          { probs: { data: new Float32Array(20), shape: [2, 10], dtype: 'float32' } },
        ),
      MLFLOW.named_tensors,
    ],
    [
      'records with Array / Object types',
      () =>
        inferSignature(
          [
            { messages: [{ role: 'user', content: 'hi' }], tags: ['a', 'b'], meta: { k: 1, v: 'z' }, maybe: null },
            {
              messages: [{ role: 'user', content: 'yo', name: 'bob' }],
              tags: [],
              meta: { k: 2, v: 'w' },
              maybe: [1.5],
            },
          ],
          { answer: 'x' },
        ),
      MLFLOW.complex,
    ],
    [
      'params',
      () =>
        inferSignature({ height: [1.7, 1.8, 1.65], name: ['a', 'b', 'c'] }, ['a', 'b', 'c'], {
          temperature: 0.7,
          top_k: 5,
          stop: ['END', 'STOP'],
          verbose: false,
          when: new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 123)),
          cfg: { a: 1, b: 'x' },
          ws: [0.5, 1.0],
          eps: 1e-5,
          day: new Date(Date.UTC(2024, 0, 2)),
        }),
      MLFLOW.params_infer,
    ],
  ])('%s', (_label, infer, expected) => {
    expect(signatureToMlmodel(infer())).toEqual(expected);
  });

  it.each([
    ['array of scalars → one unnamed column', ['a', 'b'], '[{"type": "string", "required": true}]'],
    ['[] → string (legacy)', [], '[{"type": "string", "required": true}]'],
    ['scalar', 3, '[{"type": "long", "required": true}]'],
    [
      'Int32Array → int32 tensor',
      new Int32Array(3),
      '[{"type": "tensor", "tensor-spec": {"dtype": "int32", "shape": [-1]}}]',
    ],
    [
      'dict with scalar values → one record',
      { q: 'hi', k: 3, w: 0.5 },
      '[{"type": "string", "name": "q", "required": true}, {"type": "long", "name": "k", "required": true}, {"type": "double", "name": "w", "required": true}]',
    ],
    ['mixed int and fraction widen to double', { x: [1, 2.5] }, '[{"type": "double", "name": "x", "required": true}]'],
    ['mixed types fall back to any', { x: [1, 'a'] }, '[{"type": "any", "required": true}]'],
  ])('%s', (_label, input, expected) => {
    expect(signatureToMlmodel(inferSignature(input)).inputs).toBe(expected);
  });

  it.each([
    [
      '[] infers datetime (MLflow: all() of nothing is True)',
      { a: [] },
      '[{"name": "a", "default": [], "shape": [-1], "type": "datetime"}]',
    ],
    ['BigInt → long', { a: 5n }, '[{"name": "a", "default": 5, "shape": null, "type": "long"}]'],
  ])('params: %s', (_label, params, expected) => {
    expect(signatureToMlmodel(inferSignature(undefined, undefined, params)).params).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['null', { a: null }, 'a', 'Expected parameters to be 1D array or scalar, got NoneType'],
    ['2-D list', { b: [[1]] }, 'b', 'Expected parameters to be 1D array or scalar, got 2D array'],
    [
      '[1, true] (default fails validation as in MLflow)',
      { c: [1, true] },
      'c',
      "Can not safely convert `<class 'bool'>` to `DataType.long` for value `True`",
    ],
  ])('params refuse %s', (_label, params, field, message) => {
    expectInvalid(() => inferSignature(undefined, undefined, params), field, message);
  });
});
