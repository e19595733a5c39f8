/**
 * Model signatures: round trips against MLflow 3.17.2's own JSON, inference against
 * `infer_signature`, and enforcement tables (each invalid row asserts the error class, code and
 * `details.field`). Expected messages were checked against MLflow by running it (see the report).
 */
import { describe, expect, it } from 'vitest';
import { MlflowEdgeError } from '../../src/schema/errors.js';
import {
  enforceParams,
  enforceSchema,
  inferSignature,
  type ModelSignature,
  normalizeInput,
  parseSignature,
  type PredictInput,
  signatureToJsonSchema,
  signatureToMlmodel,
  type Tensor,
} from '../../src/schema/signature.js';
import { pyFloatRepr } from '../../src/schema/python.js';

// Generated with MLflow 3.17.2 (`infer_signature(...).to_dict()` / `ModelSignature(...).to_dict()`),
// pasted verbatim. See the comment above each for the Python call.
const MLFLOW = {
  // infer_signature(pd.DataFrame({'age': [31, 42, None], 'n': np.array([1, 2, 3]), 'height': [1.7, 1.8, 1.65], 'name': [...], 'member': [True, False, True], 'note': ['x', None, 'z']}), np.array([0.5, 0.2, 0.1]))
  dataframe: {
    inputs: "[{\"type\": \"double\", \"name\": \"age\", \"required\": false}, {\"type\": \"long\", \"name\": \"n\", \"required\": true}, {\"type\": \"double\", \"name\": \"height\", \"required\": true}, {\"type\": \"string\", \"name\": \"name\", \"required\": true}, {\"type\": \"boolean\", \"name\": \"member\", \"required\": true}, {\"type\": \"string\", \"name\": \"note\", \"required\": false}]",
    outputs: "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float64\", \"shape\": [-1]}}]",
    params: null,
  },
  // infer_signature(np.random.rand(5, 4).astype(np.float32), np.array([1, 2, 0, 1, 0], dtype=np.int64))
  tensor: {
    inputs: "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 4]}}]",
    outputs: "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"int64\", \"shape\": [-1]}}]",
    params: null,
  },
  // infer_signature({'image': np.zeros((2, 28, 28), np.uint8), 'mask': np.zeros((2, 3), np.bool_)}, {'probs': np.zeros((2, 10), np.float32)})
  named_tensors: {
    inputs: "[{\"name\": \"image\", \"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"uint8\", \"shape\": [-1, 28, 28]}}, {\"name\": \"mask\", \"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"bool\", \"shape\": [-1, 3]}}]",
    outputs: "[{\"name\": \"probs\", \"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 10]}}]",
    params: null,
  },
  // infer_signature(df[['height', 'name']], ['a', 'b', 'c'], params={temperature: 0.7, top_k: 5, stop: [...], verbose: False, when: datetime(2024,5,6,7,8,9,123000), cfg: {'a': 1, 'b': 'x', 'w': 2.0}, ws: [0.5, 1.0], eps: 1e-05, big: 1e16, one: 1.0, day: datetime(2024,1,2)})
  params: {
    inputs: "[{\"type\": \"double\", \"name\": \"height\", \"required\": true}, {\"type\": \"string\", \"name\": \"name\", \"required\": true}]",
    outputs: "[{\"type\": \"string\", \"required\": true}]",
    params: "[{\"name\": \"temperature\", \"default\": 0.7, \"shape\": null, \"type\": \"double\"}, {\"name\": \"top_k\", \"default\": 5, \"shape\": null, \"type\": \"long\"}, {\"name\": \"stop\", \"default\": [\"END\", \"STOP\"], \"shape\": [-1], \"type\": \"string\"}, {\"name\": \"verbose\", \"default\": false, \"shape\": null, \"type\": \"boolean\"}, {\"name\": \"when\", \"default\": \"2024-05-06T07:08:09.123000\", \"shape\": null, \"type\": \"datetime\"}, {\"name\": \"cfg\", \"default\": {\"a\": 1, \"b\": \"x\", \"w\": 2.0}, \"shape\": null, \"type\": \"object\", \"properties\": {\"a\": {\"type\": \"long\", \"required\": true}, \"b\": {\"type\": \"string\", \"required\": true}, \"w\": {\"type\": \"double\", \"required\": true}}}, {\"name\": \"ws\", \"default\": [0.5, 1.0], \"shape\": [-1], \"type\": \"double\"}, {\"name\": \"eps\", \"default\": 1e-05, \"shape\": null, \"type\": \"double\"}, {\"name\": \"big\", \"default\": 1e+16, \"shape\": null, \"type\": \"double\"}, {\"name\": \"one\", \"default\": 1.0, \"shape\": null, \"type\": \"double\"}, {\"name\": \"day\", \"default\": \"2024-01-02T00:00:00\", \"shape\": null, \"type\": \"datetime\"}]",
  },
  // infer_signature([{'messages': [{'role': 'user', 'content': 'hi'}], 'tags': ['a', 'b'], 'meta': {'k': 1, 'v': 'z'}, 'maybe': None}, {'messages': [{'role': 'user', 'content': 'yo', 'name': 'bob'}], 'tags': [], 'meta': {'k': 2, 'v': 'w'}, 'maybe': [1.5]}], {'answer': 'x'})
  complex: {
    inputs: "[{\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {\"content\": {\"type\": \"string\", \"required\": true}, \"name\": {\"type\": \"string\", \"required\": false}, \"role\": {\"type\": \"string\", \"required\": true}}}, \"name\": \"messages\", \"required\": true}, {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"name\": \"tags\", \"required\": true}, {\"type\": \"object\", \"properties\": {\"k\": {\"type\": \"long\", \"required\": true}, \"v\": {\"type\": \"string\", \"required\": true}}, \"name\": \"meta\", \"required\": true}, {\"type\": \"array\", \"items\": {\"type\": \"double\"}, \"name\": \"maybe\", \"required\": false}]",
    outputs: "[{\"type\": \"string\", \"name\": \"answer\", \"required\": true}]",
    params: null,
  },
  // ModelSignature(Schema([ColSpec(Map(Array('long')), 'counts'), ColSpec(AnyType(), 'extra', required=False), ColSpec('binary', 'blob'), ColSpec('datetime', 'ts', required=False), ColSpec(Object([...]), 'nested'), ColSpec('integer', 'café 🎉')]), Schema([ColSpec('string')]), ParamSchema([ParamSpec('obj', Object(...), {'a': 1.0, 'b': ['x']}), ParamSpec('d', 'datetime', '2024-01-01'), ParamSpec('f', 'float', 2), ParamSpec('ls', 'long', [1, 2], (-1,))]))
  map_any: {
    inputs: "[{\"type\": \"map\", \"values\": {\"type\": \"array\", \"items\": {\"type\": \"long\"}}, \"name\": \"counts\", \"required\": true}, {\"type\": \"any\", \"name\": \"extra\", \"required\": false}, {\"type\": \"binary\", \"name\": \"blob\", \"required\": true}, {\"type\": \"datetime\", \"name\": \"ts\", \"required\": false}, {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"float\", \"required\": true}}}, \"required\": false}, \"z\": {\"type\": \"map\", \"values\": {\"type\": \"string\"}, \"required\": true}}, \"name\": \"nested\", \"required\": true}, {\"type\": \"integer\", \"name\": \"caf\\u00e9 \\ud83c\\udf89\", \"required\": true}]",
    outputs: "[{\"type\": \"string\", \"required\": true}]",
    params: "[{\"name\": \"obj\", \"default\": {\"a\": 1.0, \"b\": [\"x\"]}, \"shape\": null, \"type\": \"object\", \"properties\": {\"a\": {\"type\": \"double\", \"required\": true}, \"b\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"required\": false}}}, {\"name\": \"d\", \"default\": \"2024-01-01\", \"shape\": null, \"type\": \"datetime\"}, {\"name\": \"f\", \"default\": 2.0, \"shape\": null, \"type\": \"float\"}, {\"name\": \"ls\", \"default\": [1, 2], \"shape\": [-1], \"type\": \"long\"}]",
  },
  // infer_signature(pd.DataFrame(np.zeros((2, 3))))  # pandas integer column labels
  int_names: {
    inputs: "[{\"type\": \"double\", \"name\": 0, \"required\": true}, {\"type\": \"double\", \"name\": 1, \"required\": true}, {\"type\": \"double\", \"name\": 2, \"required\": true}]",
    outputs: null,
    params: null,
  },
  // infer_signature(pd.DataFrame({'height': [1.7, 1.8, 1.65], 'name': ['a', 'b', 'c']}), ['a', 'b', 'c'], params={temperature: 0.7, top_k: 5, stop: ['END', 'STOP'], verbose: False, when: datetime(2024,5,6,7,8,9,123000), cfg: {'a': 1, 'b': 'x'}, ws: [0.5, 1.0], eps: 1e-05, day: datetime(2024,1,2)})
  params_infer: {
    inputs: "[{\"type\": \"double\", \"name\": \"height\", \"required\": true}, {\"type\": \"string\", \"name\": \"name\", \"required\": true}]",
    outputs: "[{\"type\": \"string\", \"required\": true}]",
    params: "[{\"name\": \"temperature\", \"default\": 0.7, \"shape\": null, \"type\": \"double\"}, {\"name\": \"top_k\", \"default\": 5, \"shape\": null, \"type\": \"long\"}, {\"name\": \"stop\", \"default\": [\"END\", \"STOP\"], \"shape\": [-1], \"type\": \"string\"}, {\"name\": \"verbose\", \"default\": false, \"shape\": null, \"type\": \"boolean\"}, {\"name\": \"when\", \"default\": \"2024-05-06T07:08:09.123000\", \"shape\": null, \"type\": \"datetime\"}, {\"name\": \"cfg\", \"default\": {\"a\": 1, \"b\": \"x\"}, \"shape\": null, \"type\": \"object\", \"properties\": {\"a\": {\"type\": \"long\", \"required\": true}, \"b\": {\"type\": \"string\", \"required\": true}}}, {\"name\": \"ws\", \"default\": [0.5, 1.0], \"shape\": [-1], \"type\": \"double\"}, {\"name\": \"eps\", \"default\": 1e-05, \"shape\": null, \"type\": \"double\"}, {\"name\": \"day\", \"default\": \"2024-01-02T00:00:00\", \"shape\": null, \"type\": \"datetime\"}]",
  },
} as const;

type Mlmodel = { inputs: string | null; outputs: string | null; params: string | null };

const sig = (inputs: string | null, params: string | null = null): ModelSignature => parseSignature({ inputs, outputs: null, params });

/** normalizeInput + enforceSchema, as a predict call does. */
function run(input: unknown, signature: ModelSignature): PredictInput {
  const normalized = normalizeInput(input, signature).input;
  if (!signature.inputs) return normalized;
  return enforceSchema(normalized, signature.inputs);
}

function caught(fn: () => unknown): MlflowEdgeError {
  expect(fn).toThrow(MlflowEdgeError);
  try {
    fn();
  } catch (error) {
    return error as MlflowEdgeError;
  }
  throw new Error('did not throw');
}

function expectInvalid(fn: () => unknown, field: string, message?: string | RegExp): MlflowEdgeError {
  const error = caught(fn);
  expect(error.code).toBe('INVALID_PARAMETER_VALUE');
  expect(error.details?.field).toBe(field);
  expect(error.details).toHaveProperty('expected');
  expect(error.details).toHaveProperty('received');
  if (typeof message === 'string') expect(error.message).toContain(message);
  else if (message) expect(error.message).toMatch(message);
  return error;
}

const cols = (p: PredictInput) => {
  if (p.kind !== 'columns') throw new Error(`expected columns, got ${p.kind}`);
  return p.columns;
};
const tensors = (p: PredictInput) => {
  if (p.kind !== 'tensors') throw new Error(`expected tensors, got ${p.kind}`);
  return p.tensors;
};
const plain = (t: Tensor | undefined) => ({ shape: t?.shape, dtype: t?.dtype, data: Array.from((t?.data ?? []) as ArrayLike<unknown>) });

// ---------------------------------------------------------------------------
// Signatures used by the tables (JSON as MLflow writes it)
// ---------------------------------------------------------------------------

const ABC = sig(
  '[{"type": "long", "name": "a", "required": true}, {"type": "double", "name": "b", "required": true}, {"type": "string", "name": "c", "required": false}]',
);
const SCALARS = sig(
  '[{"type": "integer", "name": "i", "required": false}, {"type": "float", "name": "f", "required": false}, {"type": "boolean", "name": "flag", "required": false}, {"type": "datetime", "name": "ts", "required": false}, {"type": "binary", "name": "blob", "required": false}, {"type": "double", "name": "d", "required": false}, {"type": "long", "name": "l", "required": false}]',
);
const COMPLEX = sig(
  '[{"type": "array", "items": {"type": "string"}, "name": "tags", "required": true}, {"type": "object", "properties": {"content": {"type": "string", "required": true}, "n": {"type": "long", "required": false}, "role": {"type": "string", "required": true}}, "name": "m", "required": true}, {"type": "map", "values": {"type": "long"}, "name": "counts", "required": false}, {"type": "array", "items": {"type": "long"}, "name": "ids", "required": false}, {"type": "any", "name": "extra", "required": false}]',
);
const UNNAMED2 = sig('[{"type": "long", "required": true}, {"type": "long", "required": true}]');
const TEXT = sig('[{"type": "string", "name": "text", "required": true}]');
const T_UNNAMED = sig('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]');
const T_NAMED = sig(
  '[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}, {"name": "y", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
);
const T_SINGLE = sig('[{"name": "pixels", "type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2, 2]}}]');
const T_RAGGED = sig('[{"type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}}]');
const PARAMS = sig(
  '[{"type": "string", "required": true}]',
  '[{"name": "k", "default": 5, "shape": null, "type": "long"}, {"name": "t", "default": 0.5, "shape": null, "type": "double"}, {"name": "s", "default": ["a"], "shape": [-1], "type": "string"}, {"name": "d", "default": "2024-01-01", "shape": null, "type": "datetime"}, {"name": "b", "default": false, "shape": null, "type": "boolean"}, {"name": "f", "default": 1.0, "shape": null, "type": "float"}, {"name": "cfg", "default": {"a": 1.0}, "shape": null, "type": "object", "properties": {"a": {"type": "double", "required": true}, "b": {"type": "array", "items": {"type": "string"}, "required": false}}}]',
).params;

// ---------------------------------------------------------------------------
// Round trips of MLflow's own JSON
// ---------------------------------------------------------------------------

describe('signature JSON round trip (MLflow 3.17.2 fixtures)', () => {
  it.each(Object.entries(MLFLOW))('%s: signatureToMlmodel(parseSignature(x)) is byte-identical', (_name, fixture) => {
    const parsed = parseSignature(fixture as Mlmodel);
    expect(signatureToMlmodel(parsed)).toEqual(fixture);
  });

  it('parses types, names and params as MLflow models them', () => {
    const s = parseSignature(MLFLOW.complex);
    expect(s.inputs?.kind).toBe('columns');
    const c = s.inputs?.kind === 'columns' ? s.inputs.columns : [];
    expect(c[0]).toEqual({
      name: 'messages',
      required: true,
      type: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            content: { type: 'string', required: true },
            name: { type: 'string', required: false },
            role: { type: 'string', required: true },
          },
        },
      },
    });
    const t = parseSignature(MLFLOW.named_tensors);
    expect(t.inputs).toEqual({
      kind: 'tensors',
      tensors: [
        { name: 'image', type: 'uint8', shape: [-1, 28, 28] },
        { name: 'mask', type: 'bool', shape: [-1, 3] },
      ],
    });
    const p = parseSignature(MLFLOW.map_any).params ?? [];
    expect(p.map((x) => [x.name, x.type, x.shape])).toEqual([
      ['obj', { type: 'object', properties: { a: { type: 'double', required: true }, b: { type: { type: 'array', items: 'string' }, required: false } } }, null],
      ['d', 'datetime', null],
      ['f', 'float', null],
      ['ls', 'long', [-1]],
    ]);
  });

  it('writes float-typed values as floats and Dates with isoformat', () => {
    const out = signatureToMlmodel({
      inputs: { kind: 'columns', columns: [{ type: 'double', name: 'x', required: true }] },
      outputs: null,
      params: [
        { name: 'p', type: 'double', default: 1, shape: null },
        { name: 'q', type: 'datetime', default: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 600)), shape: null },
        { name: 'r', type: 'float', default: [1, 2.5], shape: [-1] },
      ],
    });
    expect(out.params).toBe(
      '[{"name": "p", "default": 1.0, "shape": null, "type": "double"}, {"name": "q", "default": "2024-01-02T03:04:05.600000", "shape": null, "type": "datetime"}, {"name": "r", "default": [1.0, 2.5], "shape": [-1], "type": "float"}]',
    );
  });
});

describe('inferSignature mirrors infer_signature (same JSON as MLflow)', () => {
  it.each([
    [
      'pandas-like columns',
      () =>
        inferSignature(
          { age: [31, 42, null], n: [1, 2, 3], height: [1.7, 1.8, 1.65], name: ['a', 'b', 'c'], member: [true, false, true], note: ['x', null, 'z'] },
          new Float64Array([0.5, 0.2, 0.1]),
        ),
      MLFLOW.dataframe,
    ],
    [
      'float32 (-1, 4) tensor',
      () => inferSignature({ data: new Float32Array(20), shape: [5, 4], dtype: 'float32' }, new BigInt64Array([1n, 2n, 0n, 1n, 0n])),
      MLFLOW.tensor,
    ],
    [
      'named tensors',
      () =>
        inferSignature(
          { image: { data: new Uint8Array(2 * 28 * 28), shape: [2, 28, 28], dtype: 'uint8' }, mask: { data: [true, false, true, false, true, false], shape: [2, 3], dtype: 'bool' } },
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
            { messages: [{ role: 'user', content: 'yo', name: 'bob' }], tags: [], meta: { k: 2, v: 'w' }, maybe: [1.5] },
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
    ['Int32Array → int32 tensor', new Int32Array(3), '[{"type": "tensor", "tensor-spec": {"dtype": "int32", "shape": [-1]}}]'],
    ['dict with scalar values → one record', { q: 'hi', k: 3, w: 0.5 }, '[{"type": "string", "name": "q", "required": true}, {"type": "long", "name": "k", "required": true}, {"type": "double", "name": "w", "required": true}]'],
    ['mixed int and fraction widen to double', { x: [1, 2.5] }, '[{"type": "double", "name": "x", "required": true}]'],
    ['mixed types fall back to any', { x: [1, 'a'] }, '[{"type": "any", "required": true}]'],
  ])('%s', (_label, input, expected) => {
    expect(signatureToMlmodel(inferSignature(input)).inputs).toBe(expected);
  });

  it.each([
    ['[] infers datetime (MLflow: all() of nothing is True)', { a: [] }, '[{"name": "a", "default": [], "shape": [-1], "type": "datetime"}]'],
    ['BigInt → long', { a: 5n }, '[{"name": "a", "default": 5, "shape": null, "type": "long"}]'],
  ])('params: %s', (_label, params, expected) => {
    expect(signatureToMlmodel(inferSignature(undefined, undefined, params)).params).toBe(expected);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['null', { a: null }, 'a', 'Expected parameters to be 1D array or scalar, got NoneType'],
    ['2-D list', { b: [[1]] }, 'b', 'Expected parameters to be 1D array or scalar, got 2D array'],
    ['[1, true] (default fails validation as in MLflow)', { c: [1, true] }, 'c', "Can not safely convert `<class 'bool'>` to `DataType.long` for value `True`"],
  ])('params refuse %s', (_label, params, field, message) => {
    expectInvalid(() => inferSignature(undefined, undefined, params), field, message);
  });
});

// ---------------------------------------------------------------------------
// Invalid signatures
// ---------------------------------------------------------------------------

describe('parseSignature rejects what MLflow rejects', () => {
  it.each([
    ['mixed named/unnamed', { inputs: '[{"type": "long", "name": "a"}, {"type": "long"}]' }, 'inputs', 'combination of named and unnamed'],
    ['unnamed optional', { inputs: '[{"type": "long", "required": false}]' }, 'inputs', 'unnamed optional inputs'],
    ['several unnamed tensors', { inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}, {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]' }, 'inputs', 'multiple unnamed TensorSpecs'],
    ['ColSpec + TensorSpec', { inputs: '[{"type": "long", "name": "a"}, {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]' }, 'inputs', 'ColSpec and TensorSpec'],
    ['unknown type', { inputs: '[{"type": "decimal", "name": "a"}]' }, 'a', "Unsupported type 'decimal'"],
    ['sized string dtype', { inputs: '[{"name": "t", "type": "tensor", "tensor-spec": {"dtype": "<U5", "shape": [-1]}}]' }, 't', 'size information'],
    ['not JSON', { inputs: '[{type: long}]' }, 'inputs', 'not valid JSON'],
    ['empty object type', { inputs: '[{"type": "object", "properties": {}, "name": "o", "required": true}]' }, 'o', 'empty properties'],
    ['binary param', { params: '[{"name": "p", "default": "", "shape": null, "type": "binary"}]' }, 'p', 'Binary type is not supported'],
    ['param default of the wrong type', { params: '[{"name": "k", "default": "five", "shape": null, "type": "long"}]' }, 'k', 'Can not safely convert'],
    ['duplicated params', { params: '[{"name": "k", "default": 1, "shape": null, "type": "long"}, {"name": "k", "default": 2, "shape": null, "type": "long"}]' }, 'k', 'Duplicated parameters'],
  ])('%s', (_label, json, field, message) => {
    expectInvalid(() => parseSignature(json), field, message);
  });
});

// ---------------------------------------------------------------------------
// Column signatures
// ---------------------------------------------------------------------------

describe('enforceSchema: column signatures accept', () => {
  const hello = new TextEncoder().encode('hello');
  it.each<[string, unknown, ModelSignature, Record<string, unknown[]>]>([
    ['records; JSON ints for long and double', [{ a: 1, b: 2 }], ABC, { a: [1], b: [2] }],
    ['columns object; optional string column with null', { a: [1, 2], b: [0.5, 1], c: ['x', null] }, ABC, { a: [1, 2], b: [0.5, 1], c: ['x', null] }],
    ['extra columns dropped, signature order', [{ zz: 3, b: 1, a: 2 }], ABC, { a: [2], b: [1] }],
    ['BigInt for long', { a: [2n ** 62n], b: [1] }, ABC, { a: [2n ** 62n], b: [1] }],
    ['null in double → NaN', { a: [1], b: [null] }, ABC, { a: [1], b: [NaN] }],
    ['Int32Array → long, Float32Array → double (numpy upcasts)', { a: new Int32Array([1, 2]), b: new Float32Array([0.5, 2]) }, ABC, { a: [1, 2], b: [0.5, 2] }],
    ['BigInt64Array of 0/1 → double (MLflow allows int64 0/1)', { a: [1, 2], b: new BigInt64Array([0n, 1n]) }, ABC, { a: [1, 2], b: [0, 1] }],
    ['float column rounds to float32', [{ f: 0.1 }], SCALARS, { f: [Math.fround(0.1)] }],
    ['int32 column', [{ i: -2147483648 }], SCALARS, { i: [-2147483648] }],
    ['boolean with null', { flag: [true, null] }, SCALARS, { flag: [true, null] }],
    ['datetime: ISO string and Date', { ts: ['2024-01-02T03:04:05', new Date(Date.UTC(2024, 0, 2))] }, SCALARS, { ts: [new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), new Date(Date.UTC(2024, 0, 2))] }],
    ['binary: base64 string and Uint8Array', { blob: ['aGVsbG8=', hello] }, SCALARS, { blob: [hello, hello] }],
    [
      'Array / Object / Map / Any cells',
      [{ tags: ['a'], m: { role: 'u', content: 'x' }, counts: { a: 1 }, ids: [1, 2n], extra: { any: ['thing'] } }],
      COMPLEX,
      { tags: [['a']], m: [{ role: 'u', content: 'x' }], counts: [{ a: 1 }], ids: [[1, 2n]], extra: [{ any: ['thing'] }] },
    ],
    ['optional Array / Map cells may be null', [{ tags: [], m: { role: 'u', content: 'x', n: 3 }, counts: null, ids: null }], COMPLEX, { tags: [[]], m: [{ role: 'u', content: 'x', n: 3 }], counts: [null], ids: [null] }],
    ['a dict is one row when the signature has Array columns', { tags: ['a', 'b'], m: { role: 'u', content: 'x' } }, COMPLEX, { tags: [['a', 'b']], m: [{ role: 'u', content: 'x' }] }],
    ['unnamed signature: rows by position', [[1, 2, 3]], UNNAMED2, { '0': [1], '1': [2] }],
    ['list of strings → the only named column', ['hi', 'yo'], TEXT, { text: ['hi', 'yo'] }],
    ['scalar → one row of the only column', 'hi', TEXT, { text: ['hi'] }],
    ['dataframe_split payload', { dataframe_split: { columns: ['a', 'b'], data: [[1, 2], [3, 4.5]] } }, ABC, { a: [1, 3], b: [2, 4.5] }],
    ['dataframe_records payload', { dataframe_records: [{ a: 1, b: 2, c: 'x' }] }, ABC, { a: [1], b: [2], c: ['x'] }],
    ['instances payload', { instances: [{ a: 1, b: 2 }, { a: 3, b: 4 }] }, ABC, { a: [1, 3], b: [2, 4] }],
    ['inputs payload (columnar)', { inputs: { a: [1, 2], b: [1, 2] } }, ABC, { a: [1, 2], b: [1, 2] }],
    ['a Uint8Array for a binary column is one value', { blob: hello, l: 3 }, SCALARS, { blob: [hello], l: [3] }],
    ['a 1-D tensor for a single-column signature', new Float64Array([1, 2]), sig('[{"type": "double", "name": "x", "required": true}]'), { x: [1, 2] }],
  ])('%s', (_label, input, signature, expected) => {
    expect(cols(run(input, signature))).toEqual(expected);
  });

  it('reports rows and the signature dtypes after enforcement', () => {
    const out = run({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] }, params: { k: 1 } }, ABC);
    expect(out).toMatchObject({ kind: 'columns', rows: 1, dtypes: { a: 'int64', b: 'float64' } });
    expect(normalizeInput({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] }, params: { k: 1 } }, ABC).params).toEqual({ k: 1 });
  });
});

describe('enforceSchema: column signatures refuse', () => {
  it.each<[string, unknown, ModelSignature, string, string | RegExp]>([
    ['missing required column (MLflow wording)', [{ b: 1, y: 2 }], ABC, 'a', "Model is missing inputs ['a']. Note that there were extra inputs: ['y']."],
    ['fraction in a long column', [{ a: 1.5, b: 2 }], ABC, 'a', 'Incompatible input types for column a. Can not safely convert float64 to int64.'],
    ['missing value in a long column (MLflow hint)', { a: [1, null], b: [1, 2] }, ABC, 'a', 'Integer columns in python can not represent missing values'],
    ['string in a long column', [{ a: 'x', b: 2 }], ABC, 'a', 'Can not safely convert str to int64'],
    ['number in a string column', [{ a: 1, b: 2, c: 5 }], ABC, 'c', 'Can not safely convert int64 to <U0'],
    ['int32 overflow', [{ i: 2 ** 40 }], SCALARS, 'i', 'does not fit in int32'],
    ['int64 overflow', [{ l: 2 ** 64 }], SCALARS, 'l', 'Can not safely convert float64 to int64. The value 18446744073709552000 at row 0 does not fit in int64'],
    ['Float64Array for a float column (numpy refuses)', { f: new Float64Array([1.5]) }, SCALARS, 'f', 'Can not safely convert float64 to float32'],
    ['Int32Array for a float column', { f: new Int32Array([1]) }, SCALARS, 'f', 'Can not safely convert int32 to float32'],
    ['BigInt64Array (not 0/1) for a double column', { d: new BigInt64Array([5n]) }, SCALARS, 'd', 'Can not safely convert int64 to float64'],
    ['BigInt (not 0/1) for a double column', [{ d: 5n }], SCALARS, 'd', 'Can not safely convert int64 to float64'],
    ['number in a boolean column', [{ flag: 1 }], SCALARS, 'flag', 'Can not safely convert int64 to bool'],
    ['boolean in a double column', [{ d: true }], SCALARS, 'd', 'Can not safely convert bool to float64'],
    ['timezone-aware datetime string', [{ ts: '2024-01-02T03:04:05Z' }], SCALARS, 'ts', 'timezone-naive'],
    ['unparsable datetime', [{ ts: 'yesterday' }], SCALARS, 'ts', 'Failed to convert column ts from type str to datetime'],
    ['number for datetime', [{ ts: 5 }], SCALARS, 'ts', 'Can not safely convert int64 to datetime64[ns]'],
    ['bad base64', [{ blob: '***' }], SCALARS, 'blob', 'not valid base64'],
    ['string for an Array column', [{ tags: 'x', m: { role: 'u', content: 'x' } }], COMPLEX, 'tags', 'Expected data to be list or numpy array, got str'],
    ['null for a required Array column', [{ tags: null, m: { role: 'u', content: 'x' } }], COMPLEX, 'tags', 'Expected data to be list or numpy array, got NoneType'],
    ['fraction inside Array(long)', [{ tags: [], m: { role: 'u', content: 'x' }, ids: [1.5] }], COMPLEX, 'ids', 'Can not safely convert float64 to int64'],
    ['object missing a required property', [{ tags: [], m: { role: 'u' } }], COMPLEX, 'm', "Missing required properties: {'content'}"],
    ['object with an unknown property', [{ tags: [], m: { role: 'u', content: 'x', zz: 1 } }], COMPLEX, 'm', "Invalid properties not defined in the schema found: {'zz'}"],
    ['object property of the wrong type', [{ tags: [], m: { role: 'u', content: 5 } }], COMPLEX, 'm', 'Failed to enforce schema for key `content`. Expected type string, received type int'],
    ['object column given a string', [{ tags: [], m: 's' }], COMPLEX, 'm', 'Expected data to be dictionary, got str'],
    ['map value of the wrong type', [{ tags: [], m: { role: 'u', content: 'x' }, counts: { a: 'x' } }], COMPLEX, 'counts', 'Failed to enforce schema of data `x` with dtype `long`'],
    ['map column given a list', [{ tags: [], m: { role: 'u', content: 'x' }, counts: [1] }], COMPLEX, 'counts', 'Expected data to be a dict, got list'],
    ['unnamed signature with too few columns', [[1]], UNNAMED2, '1', 'The model signature declares 2 inputs  but the provided value only has 1 inputs'],
    ['columns of different lengths', { a: [1, 2], b: [1] }, ABC, 'b', 'The length of values for each input/column name are not the same'],
    ['3-D tensor for a column signature', { data: new Float64Array(8), shape: [2, 2, 2], dtype: 'float64' }, UNNAMED2, '0', 'Must pass 2-d input'],
  ])('%s', (_label, input, signature, field, message) => {
    expectInvalid(() => run(input, signature), field, message);
  });
});

describe('normalizeInput: malformed serving payloads', () => {
  it.each<[string, unknown, string, string]>([
    ['two data keys', { inputs: [1], instances: [1] }, 'instances', 'exactly one of the input fields'],
    ['dataframe_split without data', { dataframe_split: { columns: ['a'], rows: [] } }, 'rows', "must have 'data' field"],
    ['dataframe_split row of the wrong width', { dataframe_split: { columns: ['a', 'b'], data: [[1]] } }, 'dataframe_split', '2 columns passed, passed data had 1 columns'],
    ['dataframe_records as a dict', { dataframe_records: { a: [1] } }, 'dataframe_records', 'must be a list of records. Got dictionary'],
    ['params not a dict', { inputs: ['x'], params: [1] }, 'params', "Parameters must be a dictionary. Got type 'list'."],
    ['inputs with another key', { inputs: ['x'], extra: 1 }, 'extra', 'One of "instances" and "inputs" must be specified'],
    ['dict for an unnamed signature', { inputs: { a: [1] } }, 'inputs', 'un-named  model signature'],
    ['instance missing a required column', { instances: [{ a: 1, b: 2 }, { b: 3 }] }, 'a', 'The length of values for each input/column name are not the same'],
  ])('%s', (_label, payload, field, message) => {
    const signature = _label === 'dict for an unnamed signature' ? UNNAMED2 : ABC;
    expectInvalid(() => normalizeInput(payload, signature), field, message);
  });
});

// ---------------------------------------------------------------------------
// Tensor signatures
// ---------------------------------------------------------------------------

describe('enforceSchema: tensor signatures accept', () => {
  it.each<[string, unknown, ModelSignature, Record<string, ReturnType<typeof plain>>]>([
    ['flat Float32Array shaped after the spec', new Float32Array(8).fill(1), T_UNNAMED, { '0': { shape: [2, 4], dtype: 'float32', data: Array(8).fill(1) } }],
    ['{data, shape, dtype}', { data: new Float32Array(4), shape: [1, 4], dtype: 'float32' }, T_UNNAMED, { '0': { shape: [1, 4], dtype: 'float32', data: [0, 0, 0, 0] } }],
    ['nested arrays are cast to the spec dtype (scoring server)', [[1, 2, 3, 4.5]], T_UNNAMED, { '0': { shape: [1, 4], dtype: 'float32', data: [1, 2, 3, 4.5] } }],
    ['{"inputs": [[...]]} payload', { inputs: [[0.5, 0, 0, 1]] }, T_UNNAMED, { '0': { shape: [1, 4], dtype: 'float32', data: [0.5, 0, 0, 1] } }],
    [
      'named typed arrays; extra tensors dropped',
      { x: { data: new Float32Array(4), shape: [1, 4], dtype: 'float32' }, y: new BigInt64Array([7n]), z: new Float32Array(1) },
      T_NAMED,
      { x: { shape: [1, 4], dtype: 'float32', data: [0, 0, 0, 0] }, y: { shape: [1], dtype: 'int64', data: [7n] } },
    ],
    ['bare typed array for a single named tensor', new Uint8Array([1, 2, 3, 4]), T_SINGLE, { pixels: { shape: [1, 2, 2], dtype: 'uint8', data: [1, 2, 3, 4] } }],
    [
      'records for named tensors (list cells reshaped and cast)',
      [{ x: [1, 2, 3, 4], y: 1 }, { x: [5, 6, 7, 8], y: 2 }],
      T_NAMED,
      { x: { shape: [2, 4], dtype: 'float32', data: [1, 2, 3, 4, 5, 6, 7, 8] }, y: { shape: [2], dtype: 'int64', data: [1n, 2n] } },
    ],
    [
      'dataframe_split with 4 columns for a (-1, 4) tensor',
      { dataframe_split: { columns: ['a', 'b', 'c', 'd'], data: [[1, 2, 3, 4]] } },
      T_UNNAMED,
      { '0': { shape: [1, 4], dtype: 'float32', data: [1, 2, 3, 4] } },
    ],
    ['object (-1,) spec accepts ragged data', [[1], [2, 3]], T_RAGGED, { '0': { shape: [2], dtype: 'object', data: [[1], [2, 3]] } }],
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
    ['wrong fixed dimension (MLflow wording)', [[1, 2, 3]], T_UNNAMED, '0', 'Shape of input (1, 3) does not match expected shape (-1, 4).'],
    ['wrong rank', new Float32Array(6), T_UNNAMED, '0', 'Shape of input (6,) does not match expected shape (-1, 4).'],
    ['float64 data for a float32 tensor (no implicit cast)', new Float64Array(4), T_UNNAMED, '0', 'dtype of input float64 does not match expected dtype float32'],
    ['missing named tensor', { x: new Float32Array(4) }, T_NAMED, 'y', "Model is missing inputs ['y']."],
    ['dict for an unnamed tensor', { x: new Float32Array(4) }, T_UNNAMED, 'x', 'no input names'],
    ['string in a float tensor', [['a', 2, 3, 4]], T_UNNAMED, '0', "could not convert string to float: 'a'"],
    ['ragged nested arrays', [[1, 2, 3, 4], [1]], T_UNNAMED, '0', 'inhomogeneous shape'],
    ['fraction in an int64 tensor', { x: new Float32Array(4), y: [1.5] }, T_NAMED, 'y', 'not a whole number'],
    ['data does not fill the shape', { data: new Float32Array(3), shape: [1, 4], dtype: 'float32' }, T_UNNAMED, '0', '3 values do not fill shape (1, 4)'],
    ['typed array disagrees with dtype', { data: new Float64Array(4), shape: [1, 4], dtype: 'float32' }, T_UNNAMED, '0', 'declares dtype float32 but its data is a Float64Array'],
    ['scalar column for a (-1, 4) tensor', [{ x: 1, y: 1 }], T_NAMED, 'x', 'contains scalar values, which requires the shape to be (-1,) or (-1, 1)'],
    ['3 columns for a (-1, 4) tensor', { dataframe_split: { columns: ['a', 'b', 'c'], data: [[1, 2, 3]] } }, T_UNNAMED, '0', 'the input shape must be of the structure (-1, number_of_dataframe_columns)'],
    ['empty DataFrame', { dataframe_records: [] }, T_UNNAMED, '0', 'Input DataFrame is empty.'],
  ])('%s', (_label, input, signature, field, message) => {
    expectInvalid(() => run(input, signature), field, message);
  });
});

// ---------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------

describe('enforceParams accepts', () => {
  const defaults = { k: 5, t: 0.5, s: ['a'], d: new Date(Date.UTC(2024, 0, 1)), b: false, f: 1, cfg: { a: 1 } };
  it.each<[string, Record<string, unknown> | undefined, Record<string, unknown>]>([
    ['no params → defaults (datetime default as Date)', undefined, defaults],
    ['int for double (allowed widening)', { t: 1 }, { ...defaults, t: 1 }],
    ['1.0 for long (JS has no float/int split)', { k: 1.0 }, { ...defaults, k: 1 }],
    ['BigInt for long', { k: 2n ** 60n }, { ...defaults, k: 2n ** 60n }],
    ['ISO string for datetime', { d: '2024-02-03T04:05:06' }, { ...defaults, d: new Date(Date.UTC(2024, 1, 3, 4, 5, 6)) }],
    ['offset string for datetime (np.datetime64 converts to UTC)', { d: '2024-02-03T04:05:06+02:00' }, { ...defaults, d: new Date(Date.UTC(2024, 1, 3, 2, 5, 6)) }],
    ['1-D list', { s: ['x', 'y'] }, { ...defaults, s: ['x', 'y'] }],
    ['object param', { cfg: { a: 2, b: ['z'] } }, { ...defaults, cfg: { a: 2, b: ['z'] } }],
    ['null value stays null (MLflow passes None)', { k: null }, { ...defaults, k: null }],
  ])('%s', (_label, params, expected) => {
    const { params: out, warnings } = enforceParams(params, PARAMS);
    expect(out).toEqual(expected);
    expect(warnings).toEqual([]);
  });

  it('drops unknown params with MLflow warning', () => {
    const { params, warnings } = enforceParams({ zz: 1, k: 3 }, PARAMS);
    expect(params.k).toBe(3);
    expect(params).not.toHaveProperty('zz');
    expect(warnings[0]).toMatch(/^Unrecognized params \['zz'\] are ignored for inference\. Supported params are: \{'b', 'cfg', 'd', 'f', 'k', 's', 't'\}\./);
  });

  it('drops all params when the signature has no params schema', () => {
    expect(enforceParams({ a: 1 }, null)).toEqual({
      params: {},
      warnings: [
        "`params` can only be specified at inference time if the model signature defines a params schema. This model does not define a params schema. Ignoring provided params: ['a']",
      ],
    });
    expect(enforceParams(undefined, null)).toEqual({ params: {}, warnings: [] });
  });
});

describe('enforceParams refuses (MLflow messages)', () => {
  it.each<[string, unknown, string, string]>([
    ['fraction for long', { k: 1.5 }, 'k', "Can not safely convert `<class 'float'>` to `DataType.long` for value `1.5`"],
    ['boolean for long', { k: true }, 'k', "Can not safely convert `<class 'bool'>` to `DataType.long` for value `True`"],
    ['string for long', { k: '5' }, 'k', "Can not safely convert `<class 'str'>` to `DataType.long` for value `5`"],
    ['list for a scalar', { k: [5] }, 'k', 'Value must be a scalar for type `DataType.long`, got `[5]`'],
    ['scalar for a 1-D list', { s: 'x' }, 's', "Value must be a 1D array with shape (-1,) for param 's': string (default: ['a']) (shape: (-1,)), received str with ndim 0"],
    ['2-D list', { s: [['x']] }, 's', 'received list with ndim 2'],
    ['wrong element in a list', { s: ['x', 1] }, 's', "Can not safely convert `<class 'int'>` to `DataType.string` for value `1`"],
    ['number for datetime', { d: 5 }, 'd', "Failed to convert value `5` from type `<class 'int'>` to `DataType.datetime`"],
    ['bad datetime string', { d: 'nope' }, 'd', "Failed to convert value `nope` from type `<class 'str'>` to `DataType.datetime`"],
    ['string for boolean', { b: 'true' }, 'b', "Can not safely convert `<class 'str'>` to `DataType.boolean` for value `true`"],
    ['object param missing a property', { cfg: { b: ['x'] } }, 'cfg', "Missing required properties: {'a'}"],
    ['params not a dict', [1], 'params', "Parameters must be a dictionary. Got type 'list'."],
  ])('%s', (_label, params, field, message) => {
    const error = expectInvalid(() => enforceParams(params as Record<string, unknown>, PARAMS), field, message);
    if (field !== 'params') expect(error.message).toMatch(/^Invalid parameters found: \{\('/);
  });

  it('lists every bad param, field = the first one', () => {
    const error = expectInvalid(() => enforceParams({ k: 'x', t: 'y' }, PARAMS), 'k');
    expect(error.details?.errors).toHaveLength(2);
    expect(error.message).toBe(
      "Invalid parameters found: {('k', \"Failed to validate type and shape for 'k': long (default: 5), error: Can not safely convert `<class 'str'>` to `DataType.long` for value `x`\"), ('t', \"Failed to validate type and shape for 't': double (default: 0.5), error: Can not safely convert `<class 'str'>` to `DataType.double` for value `y`\")}",
    );
  });
});

// ---------------------------------------------------------------------------
// JSON Schema and Python formatting
// ---------------------------------------------------------------------------

describe('signatureToJsonSchema', () => {
  it('describes one record and the params', () => {
    const s = parseSignature({ inputs: MLFLOW.dataframe.inputs, params: MLFLOW.params_infer.params });
    const js = signatureToJsonSchema(s) as { $schema: string; properties: Record<string, { properties: Record<string, unknown>; required?: string[] }> };
    expect(js.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(js.properties.input?.required).toEqual(['n', 'height', 'name', 'member']);
    expect(js.properties.input?.properties.age).toEqual({ anyOf: [{ type: 'number', format: 'double' }, { type: 'null' }] });
    expect(js.properties.input?.properties.n).toEqual({ type: 'integer', format: 'int64' });
    expect(js.properties.params?.properties.stop).toEqual({ type: 'array', items: { type: 'string' }, default: ['END', 'STOP'] });
    expect(js.properties.params?.properties.when).toMatchObject({ type: 'string', format: 'date-time', default: '2024-05-06T07:08:09.123000' });
  });

  it('describes tensors with fixed dimensions', () => {
    const js = signatureToJsonSchema(parseSignature(MLFLOW.named_tensors)) as { properties: { input: { properties: Record<string, unknown> } } };
    expect(js.properties.input.properties.mask).toMatchObject({
      type: 'array',
      items: { type: 'array', items: { type: 'boolean' }, minItems: 3, maxItems: 3 },
      'x-dtype': 'bool',
      'x-shape': [-1, 3],
    });
  });
});

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
