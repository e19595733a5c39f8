/**
 * What the signature tests share: MLflow 3.17.2's own signature JSON, the
 * signatures the tables use, and helpers that run a predict call's checks
 * and catch its errors. Expected messages were checked against MLflow by
 * running it.
 */
import { expect } from 'vitest';
import { MlflowEdgeError } from '../../../../src/schema/errors.js';
import {
  enforceSchema,
  normalizeInput,
  parseSignature,
  type ModelSignature,
  type PredictInput,
  type Tensor,
} from '../../../../src/schema/signature.js';

// Generated with MLflow 3.17.2 (`infer_signature(...).to_dict()` / `ModelSignature(...).to_dict()`),
// pasted verbatim. See the comment above each for the Python call.
export const MLFLOW = {
  // infer_signature(pd.DataFrame({'age': [31, 42, None], 'n': np.array([1, 2, 3]), 'height': [1.7, 1.8, 1.65], 'name': [...], 'member': [True, False, True], 'note': ['x', None, 'z']}), np.array([0.5, 0.2, 0.1]))
  dataframe: {
    inputs:
      '[{"type": "double", "name": "age", "required": false}, {"type": "long", "name": "n", "required": true}, {"type": "double", "name": "height", "required": true}, {"type": "string", "name": "name", "required": true}, {"type": "boolean", "name": "member", "required": true}, {"type": "string", "name": "note", "required": false}]',
    outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]',
    params: null,
  },
  // infer_signature(np.random.rand(5, 4).astype(np.float32), np.array([1, 2, 0, 1, 0], dtype=np.int64))
  tensor: {
    inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]',
    outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
    params: null,
  },
  // infer_signature({'image': np.zeros((2, 28, 28), np.uint8), 'mask': np.zeros((2, 3), np.bool_)}, {'probs': np.zeros((2, 10), np.float32)})
  named_tensors: {
    inputs:
      '[{"name": "image", "type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 28, 28]}}, {"name": "mask", "type": "tensor", "tensor-spec": {"dtype": "bool", "shape": [-1, 3]}}]',
    outputs: '[{"name": "probs", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 10]}}]',
    params: null,
  },
  // infer_signature(df[['height', 'name']], ['a', 'b', 'c'], params={temperature: 0.7, top_k: 5, stop: [...], verbose: False, when: datetime(2024,5,6,7,8,9,123000), cfg: {'a': 1, 'b': 'x', 'w': 2.0}, ws: [0.5, 1.0], eps: 1e-05, big: 1e16, one: 1.0, day: datetime(2024,1,2)})
  params: {
    inputs:
      '[{"type": "double", "name": "height", "required": true}, {"type": "string", "name": "name", "required": true}]',
    outputs: '[{"type": "string", "required": true}]',
    params:
      '[{"name": "temperature", "default": 0.7, "shape": null, "type": "double"}, {"name": "top_k", "default": 5, "shape": null, "type": "long"}, {"name": "stop", "default": ["END", "STOP"], "shape": [-1], "type": "string"}, {"name": "verbose", "default": false, "shape": null, "type": "boolean"}, {"name": "when", "default": "2024-05-06T07:08:09.123000", "shape": null, "type": "datetime"}, {"name": "cfg", "default": {"a": 1, "b": "x", "w": 2.0}, "shape": null, "type": "object", "properties": {"a": {"type": "long", "required": true}, "b": {"type": "string", "required": true}, "w": {"type": "double", "required": true}}}, {"name": "ws", "default": [0.5, 1.0], "shape": [-1], "type": "double"}, {"name": "eps", "default": 1e-05, "shape": null, "type": "double"}, {"name": "big", "default": 1e+16, "shape": null, "type": "double"}, {"name": "one", "default": 1.0, "shape": null, "type": "double"}, {"name": "day", "default": "2024-01-02T00:00:00", "shape": null, "type": "datetime"}]',
  },
  // infer_signature([{'messages': [{'role': 'user', 'content': 'hi'}], 'tags': ['a', 'b'], 'meta': {'k': 1, 'v': 'z'}, 'maybe': None}, {'messages': [{'role': 'user', 'content': 'yo', 'name': 'bob'}], 'tags': [], 'meta': {'k': 2, 'v': 'w'}, 'maybe': [1.5]}], {'answer': 'x'})
  complex: {
    inputs:
      '[{"type": "array", "items": {"type": "object", "properties": {"content": {"type": "string", "required": true}, "name": {"type": "string", "required": false}, "role": {"type": "string", "required": true}}}, "name": "messages", "required": true}, {"type": "array", "items": {"type": "string"}, "name": "tags", "required": true}, {"type": "object", "properties": {"k": {"type": "long", "required": true}, "v": {"type": "string", "required": true}}, "name": "meta", "required": true}, {"type": "array", "items": {"type": "double"}, "name": "maybe", "required": false}]',
    outputs: '[{"type": "string", "name": "answer", "required": true}]',
    params: null,
  },
  // ModelSignature(Schema([ColSpec(Map(Array('long')), 'counts'), ColSpec(AnyType(), 'extra', required=False), ColSpec('binary', 'blob'), ColSpec('datetime', 'ts', required=False), ColSpec(Object([...]), 'nested'), ColSpec('integer', 'café 🎉')]), Schema([ColSpec('string')]), ParamSchema([ParamSpec('obj', Object(...), {'a': 1.0, 'b': ['x']}), ParamSpec('d', 'datetime', '2024-01-01'), ParamSpec('f', 'float', 2), ParamSpec('ls', 'long', [1, 2], (-1,))]))
  map_any: {
    inputs:
      '[{"type": "map", "values": {"type": "array", "items": {"type": "long"}}, "name": "counts", "required": true}, {"type": "any", "name": "extra", "required": false}, {"type": "binary", "name": "blob", "required": true}, {"type": "datetime", "name": "ts", "required": false}, {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "float", "required": true}}}, "required": false}, "z": {"type": "map", "values": {"type": "string"}, "required": true}}, "name": "nested", "required": true}, {"type": "integer", "name": "caf\\u00e9 \\ud83c\\udf89", "required": true}]',
    outputs: '[{"type": "string", "required": true}]',
    params:
      '[{"name": "obj", "default": {"a": 1.0, "b": ["x"]}, "shape": null, "type": "object", "properties": {"a": {"type": "double", "required": true}, "b": {"type": "array", "items": {"type": "string"}, "required": false}}}, {"name": "d", "default": "2024-01-01", "shape": null, "type": "datetime"}, {"name": "f", "default": 2.0, "shape": null, "type": "float"}, {"name": "ls", "default": [1, 2], "shape": [-1], "type": "long"}]',
  },
  // infer_signature(pd.DataFrame(np.zeros((2, 3))))  # pandas integer column labels
  int_names: {
    inputs:
      '[{"type": "double", "name": 0, "required": true}, {"type": "double", "name": 1, "required": true}, {"type": "double", "name": 2, "required": true}]',
    outputs: null,
    params: null,
  },
  // infer_signature(pd.DataFrame({'height': [1.7, 1.8, 1.65], 'name': ['a', 'b', 'c']}), ['a', 'b', 'c'], params={temperature: 0.7, top_k: 5, stop: ['END', 'STOP'], verbose: False, when: datetime(2024,5,6,7,8,9,123000), cfg: {'a': 1, 'b': 'x'}, ws: [0.5, 1.0], eps: 1e-05, day: datetime(2024,1,2)})
  params_infer: {
    inputs:
      '[{"type": "double", "name": "height", "required": true}, {"type": "string", "name": "name", "required": true}]',
    outputs: '[{"type": "string", "required": true}]',
    params:
      '[{"name": "temperature", "default": 0.7, "shape": null, "type": "double"}, {"name": "top_k", "default": 5, "shape": null, "type": "long"}, {"name": "stop", "default": ["END", "STOP"], "shape": [-1], "type": "string"}, {"name": "verbose", "default": false, "shape": null, "type": "boolean"}, {"name": "when", "default": "2024-05-06T07:08:09.123000", "shape": null, "type": "datetime"}, {"name": "cfg", "default": {"a": 1, "b": "x"}, "shape": null, "type": "object", "properties": {"a": {"type": "long", "required": true}, "b": {"type": "string", "required": true}}}, {"name": "ws", "default": [0.5, 1.0], "shape": [-1], "type": "double"}, {"name": "eps", "default": 1e-05, "shape": null, "type": "double"}, {"name": "day", "default": "2024-01-02T00:00:00", "shape": null, "type": "datetime"}]',
  },
} as const;

export type Mlmodel = { inputs: string | null; outputs: string | null; params: string | null };

export const sig = (inputs: string | null, params: string | null = null): ModelSignature =>
  parseSignature({ inputs, outputs: null, params });

/** normalizeInput + enforceSchema, as a predict call does. */
export function run(input: unknown, signature: ModelSignature): PredictInput {
  const normalized = normalizeInput(input, signature).input;
  if (!signature.inputs) return normalized;
  return enforceSchema(normalized, signature.inputs);
}

export function caught(fn: () => unknown): MlflowEdgeError {
  expect(fn).toThrow(MlflowEdgeError);
  try {
    fn();
  } catch (error) {
    return error as MlflowEdgeError;
  }
  throw new Error('did not throw');
}

export function expectInvalid(fn: () => unknown, field: string, message?: string | RegExp): MlflowEdgeError {
  const error = caught(fn);
  expect(error.code).toBe('INVALID_PARAMETER_VALUE');
  expect(error.details?.field).toBe(field);
  expect(error.details).toHaveProperty('expected');
  expect(error.details).toHaveProperty('received');
  if (typeof message === 'string') expect(error.message).toContain(message);
  else if (message) expect(error.message).toMatch(message);
  return error;
}

export const cols = (p: PredictInput) => {
  if (p.kind !== 'columns') throw new Error(`expected columns, got ${p.kind}`);
  return p.columns;
};
export const tensors = (p: PredictInput) => {
  if (p.kind !== 'tensors') throw new Error(`expected tensors, got ${p.kind}`);
  return p.tensors;
};
export const plain = (t: Tensor | undefined) => ({
  shape: t?.shape,
  dtype: t?.dtype,
  data: Array.from((t?.data ?? []) as ArrayLike<unknown>),
});

// ---------------------------------------------------------------------------
// Signatures used by the tables (JSON as MLflow writes it)
// ---------------------------------------------------------------------------

export const ABC = sig(
  '[{"type": "long", "name": "a", "required": true}, {"type": "double", "name": "b", "required": true}, {"type": "string", "name": "c", "required": false}]',
);
export const SCALARS = sig(
  '[{"type": "integer", "name": "i", "required": false}, {"type": "float", "name": "f", "required": false}, {"type": "boolean", "name": "flag", "required": false}, {"type": "datetime", "name": "ts", "required": false}, {"type": "binary", "name": "blob", "required": false}, {"type": "double", "name": "d", "required": false}, {"type": "long", "name": "l", "required": false}]',
);
export const COMPLEX = sig(
  '[{"type": "array", "items": {"type": "string"}, "name": "tags", "required": true}, {"type": "object", "properties": {"content": {"type": "string", "required": true}, "n": {"type": "long", "required": false}, "role": {"type": "string", "required": true}}, "name": "m", "required": true}, {"type": "map", "values": {"type": "long"}, "name": "counts", "required": false}, {"type": "array", "items": {"type": "long"}, "name": "ids", "required": false}, {"type": "any", "name": "extra", "required": false}]',
);
export const UNNAMED2 = sig('[{"type": "long", "required": true}, {"type": "long", "required": true}]');
export const TEXT = sig('[{"type": "string", "name": "text", "required": true}]');
export const T_UNNAMED = sig('[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]');
export const T_NAMED = sig(
  '[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}, {"name": "y", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
);
export const T_SINGLE = sig(
  '[{"name": "pixels", "type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2, 2]}}]',
);
export const T_RAGGED = sig('[{"type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}}]');
export const PARAMS = sig(
  '[{"type": "string", "required": true}]',
  '[{"name": "k", "default": 5, "shape": null, "type": "long"}, {"name": "t", "default": 0.5, "shape": null, "type": "double"}, {"name": "s", "default": ["a"], "shape": [-1], "type": "string"}, {"name": "d", "default": "2024-01-01", "shape": null, "type": "datetime"}, {"name": "b", "default": false, "shape": null, "type": "boolean"}, {"name": "f", "default": 1.0, "shape": null, "type": "float"}, {"name": "cfg", "default": {"a": 1.0}, "shape": null, "type": "object", "properties": {"a": {"type": "double", "required": true}, "b": {"type": "array", "items": {"type": "string"}, "required": false}}}]',
).params;
