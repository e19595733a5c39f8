/** The MLmodel `signature` map: MLflow's JSON strings read into specs and written back byte for byte. */
import type { MlflowEdgeError } from '../errors.js';
import { validateParamValue } from './params.js';
import { isPlainObject } from '../predicates.js';
import {
  compareCodePoints,
  parseJsonPreservingFloats,
  pyIsoformat,
  pyJsonDumps,
  pyRepr,
  pyTypeName,
} from '../python.js';
import {
  type ColSpec,
  DATA_TYPES,
  type DataType,
  type ModelSignature,
  type ObjectSpec,
  type ParamSpec,
  type PropertySpec,
  type Schema,
  type TensorSpec,
  type ValueType,
} from './types.js';
import { canonicalDtype } from './dtypes.js';
import { schemaError } from './schema-error.js';

/** ColSpecs whose JSON `name` was a number (pandas integer column labels). */
export const NUMERIC_NAMES = new WeakSet<ColSpec>();
/** Array/Object/Map/Any ColSpecs whose JSON had no `required` (MLflow keeps it as null). */
export const NULL_REQUIRED = new WeakSet<ColSpec>();

export const COMPLEX_KINDS = new Set(['array', 'object', 'map', 'sparkml_vector', 'any']);

export function isDataType(value: unknown): value is DataType {
  return typeof value === 'string' && (DATA_TYPES as readonly string[]).includes(value);
}

export function badSignature(message: string, field: string, expected: unknown, received: unknown): MlflowEdgeError {
  return schemaError(`Invalid model signature: ${message}`, field, expected, received);
}

/**
 * Reads the `signature` map of an MLmodel file (`{inputs, outputs, params}`, each a JSON string or
 * null) the way `ModelSignature.from_dict` does, with the same validation.
 */
export function parseSignature(mlmodelSignature: {
  inputs?: string | null;
  outputs?: string | null;
  params?: string | null;
}): ModelSignature {
  if (!isPlainObject(mlmodelSignature) && (typeof mlmodelSignature !== 'object' || mlmodelSignature === null)) {
    throw badSignature(
      `expected the MLmodel 'signature' map {inputs, outputs, params}, got ${pyTypeName(mlmodelSignature)}.`,
      'signature',
      'dict',
      pyTypeName(mlmodelSignature),
    );
  }
  const read = (key: 'inputs' | 'outputs' | 'params'): unknown => {
    const raw = mlmodelSignature[key] as unknown;
    if (raw === undefined || raw === null || raw === '') return null;
    if (typeof raw !== 'string') {
      if (Array.isArray(raw)) return raw; // already-parsed JSON
      throw badSignature(
        `'${key}' must be a JSON string, got ${pyTypeName(raw)}.`,
        key,
        'JSON string',
        pyTypeName(raw),
      );
    }
    try {
      return parseJsonPreservingFloats(raw);
    } catch (error) {
      throw badSignature(
        `'${key}' is not valid JSON (${(error as Error).message}). It must be the JSON string MLflow writes, e.g. '[{"type": "double", "name": "x", "required": true}]'.`,
        key,
        'JSON string',
        raw,
      );
    }
  };
  const inputs = read('inputs');
  const outputs = read('outputs');
  const params = read('params');
  return {
    inputs: inputs === null ? null : parseSchema(inputs, 'inputs'),
    outputs: outputs === null ? null : parseSchema(outputs, 'outputs'),
    params: params === null ? null : parseParamSchema(params),
  };
}

export function parseSchema(json: unknown, where: string): Schema {
  if (!Array.isArray(json)) {
    throw badSignature(
      `Inputs of Schema must be a list, got type ${pyTypeName(json)}.`,
      where,
      'list',
      pyTypeName(json),
    );
  }
  if (json.length === 0) {
    throw badSignature(
      `Creating Schema with empty inputs is not allowed (signature '${where}').`,
      where,
      'a non-empty list',
      '[]',
    );
  }
  const specs = json.map((x, i) => {
    if (!isPlainObject(x)) {
      throw badSignature(
        `${where}[${i}] must be an object, got ${pyTypeName(x)}.`,
        `${where}[${i}]`,
        'dict',
        pyTypeName(x),
      );
    }
    return x.type === 'tensor' ? parseTensorSpec(x, `${where}[${i}]`) : parseColSpec(x, `${where}[${i}]`);
  });
  const tensors = specs.filter((s): s is TensorSpec => 'shape' in s);
  const cols = specs.filter((s): s is ColSpec => !('shape' in s));
  const names = specs.map((s) => s.name);
  if (!(names.every((n) => n === undefined) || names.every((n) => n !== undefined))) {
    throw badSignature(
      `Creating Schema with a combination of named and unnamed inputs is not allowed. Got input names ${pyRepr(names.map((n) => n ?? null))}.`,
      where,
      'all inputs named or all unnamed',
      names,
    );
  }
  if (tensors.length > 0 && cols.length > 0) {
    throw badSignature(
      'Creating Schema with a combination of ColSpec and TensorSpec is not supported. Please choose one of ColSpec or TensorSpec.',
      where,
      'only ColSpec or only TensorSpec',
      'both',
    );
  }
  if (tensors.length > 1 && names.some((n) => n === undefined)) {
    throw badSignature(
      'Creating Schema with multiple unnamed TensorSpecs is not supported. Please provide names for each TensorSpec.',
      where,
      'named TensorSpecs',
      'unnamed TensorSpecs',
    );
  }
  if (
    cols.length > 0 &&
    names.every((n) => n === undefined) &&
    cols.some((c) => c.required === false && !NULL_REQUIRED.has(c))
  ) {
    throw badSignature(
      'Creating Schema with unnamed optional inputs is not supported. Please name all inputs or make all inputs required.',
      where,
      'required unnamed inputs',
      'optional unnamed input',
    );
  }
  const seen = new Set<string>();
  for (const n of names) {
    if (n === undefined) continue;
    if (seen.has(n)) {
      throw badSignature(`Duplicate input name '${n}' in signature '${where}'.`, n, 'unique names', n);
    }
    seen.add(n);
  }
  return tensors.length > 0 ? { kind: 'tensors', tensors } : { kind: 'columns', columns: cols };
}

export function parseColSpec(x: Record<string, unknown>, where: string): ColSpec {
  if (!('type' in x)) {
    throw badSignature(
      `Missing keys in ColSpec JSON. Expected to find key \`type\` (at ${where}).`,
      where,
      'type',
      Object.keys(x),
    );
  }
  const spec: ColSpec = { type: 'any', required: true };
  const name = x.name;
  if (typeof name === 'string') spec.name = name;
  else if (typeof name === 'number') spec.name = String(name);
  else if (name !== undefined && name !== null) {
    throw badSignature(
      `ColSpec name must be a string, got ${pyTypeName(name)} (at ${where}).`,
      where,
      'str',
      pyTypeName(name),
    );
  }
  if (typeof name === 'number') NUMERIC_NAMES.add(spec);
  const field = spec.name ?? where;
  const required = x.required;
  if (isDataType(x.type) || !COMPLEX_KINDS.has(String(x.type))) {
    if (!isDataType(x.type)) {
      throw badSignature(
        `Unsupported type '${String(x.type)}' for column '${field}', expected instance of DataType or one of ${pyRepr([...DATA_TYPES])}.`,
        field,
        [...DATA_TYPES],
        x.type,
      );
    }
    spec.type = x.type;
    if (required !== undefined && typeof required !== 'boolean') {
      throw badSignature(`'required' of column '${field}' must be true or false.`, field, 'bool', pyTypeName(required));
    }
    spec.required = required ?? true;
    return spec;
  }
  spec.type = parseValueType(x, field);
  if (required === undefined || required === null) {
    spec.required = false;
    NULL_REQUIRED.add(spec);
  } else if (typeof required !== 'boolean') {
    throw badSignature(`'required' of column '${field}' must be true or false.`, field, 'bool', pyTypeName(required));
  } else spec.required = required;
  return spec;
}

export function parseValueType(x: Record<string, unknown>, field: string): ValueType {
  const t = x.type;
  if (isDataType(t)) return t;
  const child = (key: string, kind: string): Record<string, unknown> => {
    const v = x[key];
    if (!isPlainObject(v)) {
      throw badSignature(
        `Missing keys in ${kind} JSON for '${field}'. Expected '${key}' to be a dictionary with a \`type\`.`,
        field,
        `${key}: {type: ...}`,
        v === undefined ? 'missing' : pyTypeName(v),
      );
    }
    if (!('type' in v)) {
      throw badSignature(
        `Missing keys in ${kind}'s ${key} JSON for '${field}'. Expected to find key \`type\`.`,
        field,
        'type',
        Object.keys(v),
      );
    }
    return v;
  };
  switch (t) {
    case 'array':
      return { type: 'array', items: parseValueType(child('items', 'Array'), field) };
    case 'map':
      return { type: 'map', values: parseValueType(child('values', 'Map'), field) };
    case 'sparkml_vector':
      return { type: 'sparkml_vector' };
    case 'any':
      return 'any';
    case 'object': {
      const props = x.properties;
      if (!isPlainObject(props) || Object.values(props).some((p) => !isPlainObject(p))) {
        throw badSignature(
          `Expected properties of the object type of '${field}' to be a dictionary of Property JSON.`,
          field,
          'dict',
          pyTypeName(props),
        );
      }
      const keys = Object.keys(props);
      if (keys.length === 0) {
        throw badSignature(
          `Creating Object with empty properties is not allowed (at '${field}').`,
          field,
          'at least one property',
          '{}',
        );
      }
      const properties: Record<string, PropertySpec> = {};
      for (const key of keys.sort(compareCodePoints)) {
        const p = props[key] as Record<string, unknown>;
        if (!('type' in p)) {
          throw badSignature(
            `Missing keys in Property \`${key}\`. Expected to find key \`type\` (at '${field}').`,
            `${field}.${key}`,
            'type',
            Object.keys(p),
          );
        }
        const req = p.required ?? true;
        if (typeof req !== 'boolean') {
          throw badSignature(
            `'required' of property '${key}' in '${field}' must be true or false.`,
            `${field}.${key}`,
            'bool',
            pyTypeName(req),
          );
        }
        properties[key] = { type: parseValueType(p, `${field}.${key}`), required: req };
      }
      return { type: 'object', properties };
    }
    default:
      throw badSignature(
        `Unsupported type '${String(t)}' for '${field}', expected instance of DataType, Array, Object, Map or one of ${pyRepr([...DATA_TYPES])}.`,
        field,
        [...DATA_TYPES, 'array', 'object', 'map', 'any'],
        t,
      );
  }
}

export function parseTensorSpec(x: Record<string, unknown>, where: string): TensorSpec {
  const info = x['tensor-spec'];
  const field = typeof x.name === 'string' ? x.name : where;
  if (!isPlainObject(info)) {
    throw badSignature(
      `Missing keys in TensorSpec JSON. Expected to find keys \`tensor-spec\` and \`type\` (at ${where}).`,
      field,
      'tensor-spec',
      Object.keys(x),
    );
  }
  if (typeof info.dtype !== 'string' || !Array.isArray(info.shape)) {
    throw badSignature(
      `Missing keys in TensorSpec JSON. Expected to find keys \`dtype\` and \`shape\` (at ${where}).`,
      field,
      ['dtype', 'shape'],
      Object.keys(info),
    );
  }
  const shape = info.shape as unknown[];
  if (!shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= -1)) {
    throw badSignature(
      `The shape of tensor '${field}' must be a list of integers (-1 = any size), got ${pyRepr(shape)}.`,
      field,
      'list of int',
      shape,
    );
  }
  const spec: TensorSpec = { type: canonicalDtype(info.dtype, field), shape: shape as number[] };
  if (typeof x.name === 'string') spec.name = x.name;
  else if (x.name !== undefined && x.name !== null) {
    throw badSignature(
      `TensorSpec name must be a string, got ${pyTypeName(x.name)}.`,
      where,
      'str',
      pyTypeName(x.name),
    );
  }
  return spec;
}

export function parseParamSchema(json: unknown): ParamSpec[] {
  if (!Array.isArray(json)) {
    throw badSignature(
      `'params' must be a JSON list of ParamSpec, got ${pyTypeName(json)}.`,
      'params',
      'list',
      pyTypeName(json),
    );
  }
  const specs = json.map((x, i): ParamSpec => {
    if (!isPlainObject(x) || !('name' in x) || !('default' in x) || !('type' in x || 'dtype' in x)) {
      throw badSignature(
        `Missing keys in ParamSpec JSON. Expected to find keys \`name\`, \`type\`(or \`dtype\`) and \`default\`. Received keys: ${pyRepr(isPlainObject(x) ? Object.keys(x) : [])}.`,
        `params[${i}]`,
        ['name', 'type', 'default'],
        isPlainObject(x) ? Object.keys(x) : pyTypeName(x),
      );
    }
    const name = String(x.name);
    const typeName = x.type ?? x.dtype;
    let type: DataType | ObjectSpec;
    if (typeName === 'object') type = parseValueType({ ...x, type: 'object' }, name) as ObjectSpec;
    else if (isDataType(typeName)) {
      if (typeName === 'binary') {
        throw badSignature(
          `Binary type is not supported for parameters, ParamSpec '${name}'has dtype 'binary'`,
          name,
          'a non-binary type',
          'binary',
        );
      }
      type = typeName;
    } else {
      throw badSignature(
        `Unsupported type '${String(typeName)}' for param '${name}', expected instance of DataType or one of ${pyRepr(DATA_TYPES.filter((t) => t !== 'binary'))}.`,
        name,
        DATA_TYPES.filter((t) => t !== 'binary'),
        typeName,
      );
    }
    const shape = x.shape ?? null;
    if (shape !== null && !(Array.isArray(shape) && shape.every((d) => typeof d === 'number'))) {
      throw badSignature(
        `The shape of param '${name}' must be null or [-1], got ${pyRepr(shape)}.`,
        name,
        'None or (-1,)',
        shape,
      );
    }
    const spec: ParamSpec = { name, type, default: x.default, shape: shape as number[] | null };
    validateParamValue(spec, x.default, true);
    return spec;
  });
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const s of specs) {
    if (seen.has(s.name)) dups.push(s.name);
    seen.add(s.name);
  }
  if (dups.length > 0) {
    throw badSignature(
      `Duplicated parameters found in schema: ${pyRepr(dups)}`,
      dups[0] as string,
      'unique names',
      dups,
    );
  }
  return specs;
}

/** The JSON form of a type (`{"type": "long"}`, `{"type": "array", "items": ...}`) in MLflow's key order. */
export function typeToDict(t: ValueType): Record<string, unknown> {
  if (t === 'any') return { type: 'any' };
  if (typeof t === 'string') return { type: t };
  switch (t.type) {
    case 'array':
      return { type: 'array', items: typeToDict(t.items) };
    case 'map':
      return { type: 'map', values: typeToDict(t.values) };
    case 'sparkml_vector':
      return { type: 'sparkml_vector' };
    case 'object': {
      const properties: Record<string, unknown> = {};
      for (const key of Object.keys(t.properties).sort(compareCodePoints)) {
        const p = t.properties[key] as PropertySpec;
        properties[key] = { ...typeToDict(p.type), required: p.required };
      }
      return { type: 'object', properties };
    }
  }
}

export function schemaToJson(schema: Schema): string {
  if (schema.kind === 'tensors') {
    const items = schema.tensors.map((t) => {
      const spec = { dtype: t.type, shape: t.shape };
      return t.name === undefined
        ? { type: 'tensor', 'tensor-spec': spec }
        : { name: t.name, type: 'tensor', 'tensor-spec': spec };
    });
    return pyJsonDumps(items);
  }
  const items = schema.columns.map((c) => {
    const d: Record<string, unknown> = typeToDict(c.type);
    if (c.name !== undefined) d.name = NUMERIC_NAMES.has(c) && /^-?\d+$/.test(c.name) ? Number(c.name) : c.name;
    d.required = NULL_REQUIRED.has(c) && c.required === false ? null : c.required;
    return d;
  });
  return pyJsonDumps(items);
}

export function paramToJson(p: ParamSpec): string {
  const isFloat = p.type === 'float' || p.type === 'double';
  let def: unknown = p.default;
  if (p.type === 'datetime') {
    def = Array.isArray(def)
      ? def.map((v) => (v instanceof Date ? pyIsoformat(v) : v))
      : def instanceof Date
        ? pyIsoformat(def)
        : def;
  }
  const parts = [
    `"name": ${pyJsonDumps(p.name)}`,
    `"default": ${pyJsonDumps(def, isFloat)}`,
    `"shape": ${p.shape === null ? 'null' : pyJsonDumps(p.shape)}`,
  ];
  if (typeof p.type === 'string') parts.push(`"type": ${pyJsonDumps(p.type)}`);
  else {
    const d = typeToDict(p.type);
    parts.push(`"type": "object"`, `"properties": ${pyJsonDumps(d.properties)}`);
  }
  return `{${parts.join(', ')}}`;
}

/**
 * The `signature` map MLflow writes into MLmodel (`ModelSignature.to_dict()`): JSON strings
 * byte-identical to Python's `json.dumps` output (key order, `", "`/`": "`, ASCII escapes,
 * `1.0` for float values), or null.
 */
export function signatureToMlmodel(signature: ModelSignature): {
  inputs: string | null;
  outputs: string | null;
  params: string | null;
} {
  return {
    inputs: signature.inputs ? schemaToJson(signature.inputs) : null,
    outputs: signature.outputs ? schemaToJson(signature.outputs) : null,
    params:
      signature.params && signature.params.length > 0 ? `[${signature.params.map(paramToJson).join(', ')}]` : null,
  };
}
