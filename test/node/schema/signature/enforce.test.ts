/** enforceSchema, table-driven: column and tensor signatures, what they accept and what they refuse (each refusal asserts the error class, code and `details.field`). */
import { describe, expect, it } from 'vitest';
import { normalizeInput, type ModelSignature } from '../../../../src/schema/signature.js';
import {
  sig,
  run,
  expectInvalid,
  cols,
  tensors,
  plain,
  ABC,
  SCALARS,
  COMPLEX,
  UNNAMED2,
  TEXT,
  T_UNNAMED,
  T_NAMED,
  T_SINGLE,
  T_RAGGED,
} from './fixtures.js';

describe('enforceSchema: column signatures accept', () => {
  const hello = new TextEncoder().encode('hello');
  it.each<[string, unknown, ModelSignature, Record<string, unknown[]>]>([
    ['records; JSON ints for long and double', [{ a: 1, b: 2 }], ABC, { a: [1], b: [2] }],
    [
      'columns object; optional string column with null',
      { a: [1, 2], b: [0.5, 1], c: ['x', null] },
      ABC,
      { a: [1, 2], b: [0.5, 1], c: ['x', null] },
    ],
    ['extra columns dropped, signature order', [{ zz: 3, b: 1, a: 2 }], ABC, { a: [2], b: [1] }],
    ['BigInt for long', { a: [2n ** 62n], b: [1] }, ABC, { a: [2n ** 62n], b: [1] }],
    ['null in double → NaN', { a: [1], b: [null] }, ABC, { a: [1], b: [NaN] }],
    [
      'Int32Array → long, Float32Array → double (numpy upcasts)',
      { a: new Int32Array([1, 2]), b: new Float32Array([0.5, 2]) },
      ABC,
      { a: [1, 2], b: [0.5, 2] },
    ],
    [
      'BigInt64Array of 0/1 → double (MLflow allows int64 0/1)',
      { a: [1, 2], b: new BigInt64Array([0n, 1n]) },
      ABC,
      { a: [1, 2], b: [0, 1] },
    ],
    ['float column rounds to float32', [{ f: 0.1 }], SCALARS, { f: [Math.fround(0.1)] }],
    ['int32 column', [{ i: -2147483648 }], SCALARS, { i: [-2147483648] }],
    ['boolean with null', { flag: [true, null] }, SCALARS, { flag: [true, null] }],
    [
      'datetime: ISO string and Date',
      { ts: ['2024-01-02T03:04:05', new Date(Date.UTC(2024, 0, 2))] },
      SCALARS,
      { ts: [new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), new Date(Date.UTC(2024, 0, 2))] },
    ],
    ['binary: base64 string and Uint8Array', { blob: ['aGVsbG8=', hello] }, SCALARS, { blob: [hello, hello] }],
    [
      'Array / Object / Map / Any cells',
      [{ tags: ['a'], m: { role: 'u', content: 'x' }, counts: { a: 1 }, ids: [1, 2n], extra: { any: ['thing'] } }],
      COMPLEX,
      {
        tags: [['a']],
        m: [{ role: 'u', content: 'x' }],
        counts: [{ a: 1 }],
        ids: [[1, 2n]],
        extra: [{ any: ['thing'] }],
      },
    ],
    [
      'optional Array / Map cells may be null',
      [{ tags: [], m: { role: 'u', content: 'x', n: 3 }, counts: null, ids: null }],
      COMPLEX,
      { tags: [[]], m: [{ role: 'u', content: 'x', n: 3 }], counts: [null], ids: [null] },
    ],
    [
      'a dict is one row when the signature has Array columns',
      { tags: ['a', 'b'], m: { role: 'u', content: 'x' } },
      COMPLEX,
      { tags: [['a', 'b']], m: [{ role: 'u', content: 'x' }] },
    ],
    ['unnamed signature: rows by position', [[1, 2, 3]], UNNAMED2, { '0': [1], '1': [2] }],
    ['list of strings → the only named column', ['hi', 'yo'], TEXT, { text: ['hi', 'yo'] }],
    ['scalar → one row of the only column', 'hi', TEXT, { text: ['hi'] }],
    [
      'dataframe_split payload',
      {
        dataframe_split: {
          columns: ['a', 'b'],
          data: [
            [1, 2],
            [3, 4.5],
          ],
        },
      },
      ABC,
      { a: [1, 3], b: [2, 4.5] },
    ],
    ['dataframe_records payload', { dataframe_records: [{ a: 1, b: 2, c: 'x' }] }, ABC, { a: [1], b: [2], c: ['x'] }],
    [
      'instances payload',
      {
        instances: [
          { a: 1, b: 2 },
          { a: 3, b: 4 },
        ],
      },
      ABC,
      { a: [1, 3], b: [2, 4] },
    ],
    ['inputs payload (columnar)', { inputs: { a: [1, 2], b: [1, 2] } }, ABC, { a: [1, 2], b: [1, 2] }],
    ['a Uint8Array for a binary column is one value', { blob: hello, l: 3 }, SCALARS, { blob: [hello], l: [3] }],
    [
      'a 1-D tensor for a single-column signature',
      new Float64Array([1, 2]),
      sig('[{"type": "double", "name": "x", "required": true}]'),
      { x: [1, 2] },
    ],
  ])('%s', (_label, input, signature, expected) => {
    expect(cols(run(input, signature))).toEqual(expected);
  });

  it('reports rows and the signature dtypes after enforcement', () => {
    const out = run({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] }, params: { k: 1 } }, ABC);
    expect(out).toMatchObject({ kind: 'columns', rows: 1, dtypes: { a: 'int64', b: 'float64' } });
    expect(
      normalizeInput({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] }, params: { k: 1 } }, ABC).params,
    ).toEqual({ k: 1 });
  });
});

describe('enforceSchema: column signatures refuse', () => {
  it.each<[string, unknown, ModelSignature, string, string | RegExp]>([
    [
      'missing required column (MLflow wording)',
      [{ b: 1, y: 2 }],
      ABC,
      'a',
      "Model is missing inputs ['a']. Note that there were extra inputs: ['y'].",
    ],
    [
      'fraction in a long column',
      [{ a: 1.5, b: 2 }],
      ABC,
      'a',
      'Incompatible input types for column a. Can not safely convert float64 to int64.',
    ],
    [
      'missing value in a long column (MLflow hint)',
      { a: [1, null], b: [1, 2] },
      ABC,
      'a',
      'Integer columns in python can not represent missing values',
    ],
    ['string in a long column', [{ a: 'x', b: 2 }], ABC, 'a', 'Can not safely convert str to int64'],
    ['number in a string column', [{ a: 1, b: 2, c: 5 }], ABC, 'c', 'Can not safely convert int64 to <U0'],
    ['int32 overflow', [{ i: 2 ** 40 }], SCALARS, 'i', 'does not fit in int32'],
    [
      'int64 overflow',
      [{ l: 2 ** 64 }],
      SCALARS,
      'l',
      'Can not safely convert float64 to int64. The value 18446744073709552000 at row 0 does not fit in int64',
    ],
    [
      'Float64Array for a float column (numpy refuses)',
      { f: new Float64Array([1.5]) },
      SCALARS,
      'f',
      'Can not safely convert float64 to float32',
    ],
    [
      'Int32Array for a float column',
      { f: new Int32Array([1]) },
      SCALARS,
      'f',
      'Can not safely convert int32 to float32',
    ],
    [
      'BigInt64Array (not 0/1) for a double column',
      { d: new BigInt64Array([5n]) },
      SCALARS,
      'd',
      'Can not safely convert int64 to float64',
    ],
    ['BigInt (not 0/1) for a double column', [{ d: 5n }], SCALARS, 'd', 'Can not safely convert int64 to float64'],
    ['number in a boolean column', [{ flag: 1 }], SCALARS, 'flag', 'Can not safely convert int64 to bool'],
    ['boolean in a double column', [{ d: true }], SCALARS, 'd', 'Can not safely convert bool to float64'],
    ['timezone-aware datetime string', [{ ts: '2024-01-02T03:04:05Z' }], SCALARS, 'ts', 'timezone-naive'],
    [
      'unparsable datetime',
      [{ ts: 'yesterday' }],
      SCALARS,
      'ts',
      'Failed to convert column ts from type str to datetime',
    ],
    ['number for datetime', [{ ts: 5 }], SCALARS, 'ts', 'Can not safely convert int64 to datetime64[ns]'],
    ['bad base64', [{ blob: '***' }], SCALARS, 'blob', 'not valid base64'],
    [
      'string for an Array column',
      [{ tags: 'x', m: { role: 'u', content: 'x' } }],
      COMPLEX,
      'tags',
      'Expected data to be list or numpy array, got str',
    ],
    [
      'null for a required Array column',
      [{ tags: null, m: { role: 'u', content: 'x' } }],
      COMPLEX,
      'tags',
      'Expected data to be list or numpy array, got NoneType',
    ],
    [
      'fraction inside Array(long)',
      [{ tags: [], m: { role: 'u', content: 'x' }, ids: [1.5] }],
      COMPLEX,
      'ids',
      'Can not safely convert float64 to int64',
    ],
    [
      'object missing a required property',
      [{ tags: [], m: { role: 'u' } }],
      COMPLEX,
      'm',
      "Missing required properties: {'content'}",
    ],
    [
      'object with an unknown property',
      [{ tags: [], m: { role: 'u', content: 'x', zz: 1 } }],
      COMPLEX,
      'm',
      "Invalid properties not defined in the schema found: {'zz'}",
    ],
    [
      'object property of the wrong type',
      [{ tags: [], m: { role: 'u', content: 5 } }],
      COMPLEX,
      'm',
      'Failed to enforce schema for key `content`. Expected type string, received type int',
    ],
    ['object column given a string', [{ tags: [], m: 's' }], COMPLEX, 'm', 'Expected data to be dictionary, got str'],
    [
      'map value of the wrong type',
      [{ tags: [], m: { role: 'u', content: 'x' }, counts: { a: 'x' } }],
      COMPLEX,
      'counts',
      'Failed to enforce schema of data `x` with dtype `long`',
    ],
    [
      'map column given a list',
      [{ tags: [], m: { role: 'u', content: 'x' }, counts: [1] }],
      COMPLEX,
      'counts',
      'Expected data to be a dict, got list',
    ],
    [
      'unnamed signature with too few columns',
      [[1]],
      UNNAMED2,
      '1',
      'The model signature declares 2 inputs  but the provided value only has 1 inputs',
    ],
    [
      'columns of different lengths',
      { a: [1, 2], b: [1] },
      ABC,
      'b',
      'The length of values for each input/column name are not the same',
    ],
    [
      '3-D tensor for a column signature',
      { data: new Float64Array(8), shape: [2, 2, 2], dtype: 'float64' },
      UNNAMED2,
      '0',
      'Must pass 2-d input',
    ],
  ])('%s', (_label, input, signature, field, message) => {
    expectInvalid(() => run(input, signature), field, message);
  });
});

describe('enforceSchema: tensor signatures accept', () => {
  it.each<[string, unknown, ModelSignature, Record<string, ReturnType<typeof plain>>]>([
    [
      'flat Float32Array shaped after the spec',
      new Float32Array(8).fill(1),
      T_UNNAMED,
      { '0': { shape: [2, 4], dtype: 'float32', data: Array(8).fill(1) } },
    ],
    [
      '{data, shape, dtype}',
      { data: new Float32Array(4), shape: [1, 4], dtype: 'float32' },
      T_UNNAMED,
      { '0': { shape: [1, 4], dtype: 'float32', data: [0, 0, 0, 0] } },
    ],
    [
      'nested arrays are cast to the spec dtype (scoring server)',
      [[1, 2, 3, 4.5]],
      T_UNNAMED,
      { '0': { shape: [1, 4], dtype: 'float32', data: [1, 2, 3, 4.5] } },
    ],
    [
      '{"inputs": [[...]]} payload',
      { inputs: [[0.5, 0, 0, 1]] },
      T_UNNAMED,
      { '0': { shape: [1, 4], dtype: 'float32', data: [0.5, 0, 0, 1] } },
    ],
    [
      'named typed arrays; extra tensors dropped',
      {
        x: { data: new Float32Array(4), shape: [1, 4], dtype: 'float32' },
        y: new BigInt64Array([7n]),
        z: new Float32Array(1),
      },
      T_NAMED,
      { x: { shape: [1, 4], dtype: 'float32', data: [0, 0, 0, 0] }, y: { shape: [1], dtype: 'int64', data: [7n] } },
    ],
    [
      'bare typed array for a single named tensor',
      new Uint8Array([1, 2, 3, 4]),
      T_SINGLE,
      { pixels: { shape: [1, 2, 2], dtype: 'uint8', data: [1, 2, 3, 4] } },
    ],
    [
      'records for named tensors (list cells reshaped and cast)',
      [
        { x: [1, 2, 3, 4], y: 1 },
        { x: [5, 6, 7, 8], y: 2 },
      ],
      T_NAMED,
      {
        x: { shape: [2, 4], dtype: 'float32', data: [1, 2, 3, 4, 5, 6, 7, 8] },
        y: { shape: [2], dtype: 'int64', data: [1n, 2n] },
      },
    ],
    [
      'dataframe_split with 4 columns for a (-1, 4) tensor',
      { dataframe_split: { columns: ['a', 'b', 'c', 'd'], data: [[1, 2, 3, 4]] } },
      T_UNNAMED,
      { '0': { shape: [1, 4], dtype: 'float32', data: [1, 2, 3, 4] } },
    ],
    [
      'object (-1,) spec accepts ragged data',
      [[1], [2, 3]],
      T_RAGGED,
      { '0': { shape: [2], dtype: 'object', data: [[1], [2, 3]] } },
    ],
  ])('%s', (_label, input, signature, expected) => {
    const out = tensors(run(input, signature));
    expect(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, plain(t)]))).toEqual(expected);
  });

  it('keeps typed arrays typed', () => {
    const data = new Float32Array(8);
    const out = tensors(run(data, T_UNNAMED));
    expect(out['0']?.data).toBe(data);
    expect(tensors(run({ inputs: [[1, 2, 3, 4]] }, T_UNNAMED))['0']?.data).toBeInstanceOf(Float32Array);
  });
});

describe('enforceSchema: tensor signatures refuse', () => {
  it.each<[string, unknown, ModelSignature, string, string]>([
    [
      'wrong fixed dimension (MLflow wording)',
      [[1, 2, 3]],
      T_UNNAMED,
      '0',
      'Shape of input (1, 3) does not match expected shape (-1, 4).',
    ],
    ['wrong rank', new Float32Array(6), T_UNNAMED, '0', 'Shape of input (6,) does not match expected shape (-1, 4).'],
    [
      'float64 data for a float32 tensor (no implicit cast)',
      new Float64Array(4),
      T_UNNAMED,
      '0',
      'dtype of input float64 does not match expected dtype float32',
    ],
    ['missing named tensor', { x: new Float32Array(4) }, T_NAMED, 'y', "Model is missing inputs ['y']."],
    ['dict for an unnamed tensor', { x: new Float32Array(4) }, T_UNNAMED, 'x', 'no input names'],
    ['string in a float tensor', [['a', 2, 3, 4]], T_UNNAMED, '0', "could not convert string to float: 'a'"],
    ['ragged nested arrays', [[1, 2, 3, 4], [1]], T_UNNAMED, '0', 'inhomogeneous shape'],
    ['fraction in an int64 tensor', { x: new Float32Array(4), y: [1.5] }, T_NAMED, 'y', 'not a whole number'],
    [
      'data does not fill the shape',
      { data: new Float32Array(3), shape: [1, 4], dtype: 'float32' },
      T_UNNAMED,
      '0',
      '3 values do not fill shape (1, 4)',
    ],
    [
      'typed array disagrees with dtype',
      { data: new Float64Array(4), shape: [1, 4], dtype: 'float32' },
      T_UNNAMED,
      '0',
      'declares dtype float32 but its data is a Float64Array',
    ],
    [
      'scalar column for a (-1, 4) tensor',
      [{ x: 1, y: 1 }],
      T_NAMED,
      'x',
      'contains scalar values, which requires the shape to be (-1,) or (-1, 1)',
    ],
    [
      '3 columns for a (-1, 4) tensor',
      { dataframe_split: { columns: ['a', 'b', 'c'], data: [[1, 2, 3]] } },
      T_UNNAMED,
      '0',
      'the input shape must be of the structure (-1, number_of_dataframe_columns)',
    ],
    ['empty DataFrame', { dataframe_records: [] }, T_UNNAMED, '0', 'Input DataFrame is empty.'],
  ])('%s', (_label, input, signature, field, message) => {
    expectInvalid(() => run(input, signature), field, message);
  });
});
