/** A signature as JSON Schema (draft 2020-12), for forms and APIs. */
import { hasInputNames } from './input.js';
import { compareCodePoints, pyIsoformat, pyTuple } from '../python.js';
import type { ColSpec, ModelSignature, ParamSpec, PropertySpec, TensorSpec, ValueType } from './types.js';
import { dtypeInfo, INT_RANGES } from './dtypes.js';

export type JsonSchema = Record<string, unknown>;

export function typeToJsonSchema(t: ValueType): JsonSchema {
  if (t === 'any') return {};
  if (typeof t === 'string') {
    switch (t) {
      case 'boolean':
        return { type: 'boolean' };
      case 'integer':
        return { type: 'integer', format: 'int32', minimum: -2147483648, maximum: 2147483647 };
      case 'long':
        return { type: 'integer', format: 'int64' };
      case 'float':
        return { type: 'number', format: 'float' };
      case 'double':
        return { type: 'number', format: 'double' };
      case 'string':
        return { type: 'string' };
      case 'binary':
        return { type: 'string', contentEncoding: 'base64' };
      case 'datetime':
        return { type: 'string', format: 'date-time', description: 'ISO-8601, timezone-naive (read as UTC)' };
    }
  }
  switch (t.type) {
    case 'array':
      return { type: 'array', items: typeToJsonSchema(t.items) };
    case 'sparkml_vector':
      return { type: 'array', items: { type: 'number', format: 'double' } };
    case 'map':
      return { type: 'object', additionalProperties: typeToJsonSchema(t.values) };
    case 'object': {
      const keys = Object.keys(t.properties).sort(compareCodePoints);
      return {
        type: 'object',
        properties: Object.fromEntries(
          keys.map((k) => [
            k,
            optional(
              typeToJsonSchema((t.properties[k] as PropertySpec).type),
              (t.properties[k] as PropertySpec).required,
            ),
          ]),
        ),
        required: keys.filter((k) => (t.properties[k] as PropertySpec).required),
        additionalProperties: false,
      };
    }
  }
}

export function optional(schema: JsonSchema, required: boolean): JsonSchema {
  if (required || Object.keys(schema).length === 0) return schema;
  return { anyOf: [schema, { type: 'null' }] };
}

export function tensorToJsonSchema(t: TensorSpec): JsonSchema {
  const info = dtypeInfo(t.type);
  let leaf: JsonSchema;
  if (info.kind === 'f') leaf = { type: 'number' };
  else if (info.kind === 'i' || info.kind === 'u') {
    const range = INT_RANGES[t.type];
    leaf =
      range && info.itemsize < 8
        ? { type: 'integer', minimum: Number(range[0]), maximum: Number(range[1]) }
        : { type: 'integer' };
  } else if (info.kind === 'b') leaf = { type: 'boolean' };
  else if (info.kind === 'U' || info.kind === 'S') leaf = { type: 'string' };
  else if (info.kind === 'M') leaf = { type: 'string', format: 'date-time' };
  else leaf = {};
  let schema = leaf;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    const d = t.shape[i] as number;
    schema = d === -1 ? { type: 'array', items: schema } : { type: 'array', items: schema, minItems: d, maxItems: d };
  }
  return {
    ...schema,
    description: `${t.type} tensor of shape ${pyTuple(t.shape)} (-1 = any size)`,
    'x-dtype': t.type,
    'x-shape': t.shape,
  };
}

export function paramToJsonSchema(p: ParamSpec): JsonSchema {
  const base = typeToJsonSchema(p.type);
  const schema: JsonSchema = p.shape === null ? { ...base } : { type: 'array', items: base };
  let def = p.default;
  if (def instanceof Date) def = pyIsoformat(def);
  if (Array.isArray(def))
    def = def.map((v) => (v instanceof Date ? pyIsoformat(v) : typeof v === 'bigint' ? Number(v) : v));
  if (typeof def === 'bigint') def = Number(def);
  if (def !== undefined) schema.default = def;
  return schema;
}

/**
 * JSON Schema (draft 2020-12) for forms and APIs: `properties.input` describes ONE input record for
 * a column signature (an object of columns, or a positional array for an unnamed one) or the tensor
 * inputs (nested arrays with fixed dimensions as min/maxItems); `properties.params` the params with
 * their defaults. Optional columns may be absent or null; extra keys in a record are allowed (MLflow
 * drops them).
 */
export function signatureToJsonSchema(signature: ModelSignature): object {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const inputs = signature.inputs;
  if (inputs) {
    if (inputs.kind === 'columns') {
      if (hasInputNames(inputs)) {
        properties.input = {
          type: 'object',
          title: 'Input record',
          properties: Object.fromEntries(
            inputs.columns.map((c) => [c.name as string, optional(typeToJsonSchema(c.type), c.required)]),
          ),
          required: inputs.columns.filter((c) => c.required).map((c) => c.name as string),
        };
      } else {
        const cols = inputs.columns;
        properties.input =
          cols.length === 1
            ? { title: 'Input value', ...typeToJsonSchema((cols[0] as ColSpec).type) }
            : {
                type: 'array',
                title: 'Input record (positional)',
                prefixItems: cols.map((c) => typeToJsonSchema(c.type)),
                minItems: cols.length,
              };
      }
    } else if (hasInputNames(inputs)) {
      properties.input = {
        type: 'object',
        title: 'Input tensors',
        properties: Object.fromEntries(inputs.tensors.map((t) => [t.name as string, tensorToJsonSchema(t)])),
        required: inputs.tensors.map((t) => t.name as string),
      };
    } else {
      properties.input = { title: 'Input tensor', ...tensorToJsonSchema(inputs.tensors[0] as TensorSpec) };
    }
    required.push('input');
  }
  if (signature.params && signature.params.length > 0) {
    properties.params = {
      type: 'object',
      title: 'Params',
      properties: Object.fromEntries(signature.params.map((p) => [p.name, paramToJsonSchema(p)])),
      additionalProperties: false,
    };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties,
    required,
  };
}
