/** Signatures as MLmodel files hold them (JSON strings): round trips of MLflow 3.17.2's own JSON, and what parseSignature refuses as MLflow does. */
import { describe, expect, it } from 'vitest';
import { parseSignature, signatureToMlmodel } from '../../../../src/schema/signature.js';
import { MLFLOW, expectInvalid, type Mlmodel } from './fixtures.js';

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
      [
        'obj',
        {
          type: 'object',
          properties: {
            a: { type: 'double', required: true },
            b: { type: { type: 'array', items: 'string' }, required: false },
          },
        },
        null,
      ],
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

describe('parseSignature rejects what MLflow rejects', () => {
  it.each([
    [
      'mixed named/unnamed',
      { inputs: '[{"type": "long", "name": "a"}, {"type": "long"}]' },
      'inputs',
      'combination of named and unnamed',
    ],
    ['unnamed optional', { inputs: '[{"type": "long", "required": false}]' }, 'inputs', 'unnamed optional inputs'],
    [
      'several unnamed tensors',
      {
        inputs:
          '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}, {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]',
      },
      'inputs',
      'multiple unnamed TensorSpecs',
    ],
    [
      'ColSpec + TensorSpec',
      {
        inputs:
          '[{"type": "long", "name": "a"}, {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]',
      },
      'inputs',
      'ColSpec and TensorSpec',
    ],
    ['unknown type', { inputs: '[{"type": "decimal", "name": "a"}]' }, 'a', "Unsupported type 'decimal'"],
    [
      'sized string dtype',
      { inputs: '[{"name": "t", "type": "tensor", "tensor-spec": {"dtype": "<U5", "shape": [-1]}}]' },
      't',
      'size information',
    ],
    ['not JSON', { inputs: '[{type: long}]' }, 'inputs', 'not valid JSON'],
    [
      'empty object type',
      { inputs: '[{"type": "object", "properties": {}, "name": "o", "required": true}]' },
      'o',
      'empty properties',
    ],
    [
      'binary param',
      { params: '[{"name": "p", "default": "", "shape": null, "type": "binary"}]' },
      'p',
      'Binary type is not supported',
    ],
    [
      'param default of the wrong type',
      { params: '[{"name": "k", "default": "five", "shape": null, "type": "long"}]' },
      'k',
      'Can not safely convert',
    ],
    [
      'duplicated params',
      {
        params:
          '[{"name": "k", "default": 1, "shape": null, "type": "long"}, {"name": "k", "default": 2, "shape": null, "type": "long"}]',
      },
      'k',
      'Duplicated parameters',
    ],
  ])('%s', (_label, json, field, message) => {
    expectInvalid(() => parseSignature(json), field, message);
  });
});
