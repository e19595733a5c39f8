/** signatureToJsonSchema: a signature as JSON Schema. */
import { describe, expect, it } from 'vitest';
import { parseSignature, signatureToJsonSchema } from '../../../../src/schema/signature.js';
import { MLFLOW } from './fixtures.js';

describe('signatureToJsonSchema', () => {
  it('describes one record and the params', () => {
    const s = parseSignature({ inputs: MLFLOW.dataframe.inputs, params: MLFLOW.params_infer.params });
    const js = signatureToJsonSchema(s) as {
      $schema: string;
      properties: Record<string, { properties: Record<string, unknown>; required?: string[] }>;
    };
    expect(js.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(js.properties.input?.required).toEqual(['n', 'height', 'name', 'member']);
    expect(js.properties.input?.properties.age).toEqual({
      anyOf: [{ type: 'number', format: 'double' }, { type: 'null' }],
    });
    expect(js.properties.input?.properties.n).toEqual({ type: 'integer', format: 'int64' });
    expect(js.properties.params?.properties.stop).toEqual({
      type: 'array',
      items: { type: 'string' },
      default: ['END', 'STOP'],
    });
    expect(js.properties.params?.properties.when).toMatchObject({
      type: 'string',
      format: 'date-time',
      default: '2024-05-06T07:08:09.123000',
    });
  });

  it('describes tensors with fixed dimensions', () => {
    const js = signatureToJsonSchema(parseSignature(MLFLOW.named_tensors)) as {
      properties: { input: { properties: Record<string, unknown> } };
    };
    expect(js.properties.input.properties.mask).toMatchObject({
      type: 'array',
      items: { type: 'array', items: { type: 'boolean' }, minItems: 3, maxItems: 3 },
      'x-dtype': 'bool',
      'x-shape': [-1, 3],
    });
  });
});
