/** MLflow's `infer_signature` for JavaScript values. */
import { MlflowEdgeError } from '../errors.js';
import { typeToDict } from './mlmodel-json.js';
import { typeRepr } from './repr.js';
import { isArrayLikeValue, isTensorObject, toTensor } from './input.js';
import { cloneValue, validateParamValue } from './params.js';
import { type AnyTypedArray, isPlainObject, isTypedArray } from '../predicates.js';
import { compareCodePoints, pyJsonDumps, pyRepr, pyStr, pyStrRepr, pyTypeName } from '../python.js';
import {
  type ArraySpec,
  type ColSpec,
  type DataType,
  type ModelSignature,
  type ParamSpec,
  type PropertySpec,
  type Schema,
  type Tensor,
  UNNAMED_INPUT,
  type ValueType,
} from './types.js';
import { cleanDtype, dtypeInfo, typedArrayDtype } from './dtypes.js';
import { isMissing } from './values.js';
import { schemaError } from './schema-error.js';

export const MULTIPLE_TYPES_ERROR_MSG =
  'Expected all values in the list to be of the same type. To specify a model signature with a list containing elements of multiple types, define the signature manually using the Array(AnyType()) type from mlflow.models.schema.';

export class InferenceError extends Error {}

export function sameType(a: ValueType, b: ValueType): boolean {
  return pyJsonDumps(typeToDict(a)) === pyJsonDumps(typeToDict(b));
}

/** JS numbers: an integer sample and a fractional one widen to double (Python would refuse). */
export function mergeScalar(a: DataType, b: ValueType): DataType {
  if (b === a || b === 'any') return a;
  if ((a === 'long' && b === 'double') || (a === 'double' && b === 'long')) return 'double';
  throw new InferenceError(MULTIPLE_TYPES_ERROR_MSG);
}

/** `BaseType._merge` for inferred types. */
export function mergeTypes(a: ValueType, b: ValueType): ValueType {
  if (a === 'any') {
    if (b === 'any') return 'any';
    if (typeof b === 'string') return b;
    return mergeTypes(b, 'any');
  }
  if (typeof a === 'string') return mergeScalar(a, b);
  switch (a.type) {
    case 'array': {
      if (b === 'any' || sameType(a, b)) return a;
      if (typeof b !== 'object' || b.type !== 'array')
        throw new InferenceError(`Can't merge array with non-array type`);
      if (typeof a.items === 'string' && a.items !== 'any')
        return { type: 'array', items: mergeScalar(a.items, b.items) };
      return { type: 'array', items: mergeTypes(a.items, b.items) };
    }
    case 'map': {
      if (b === 'any' || sameType(a, b)) return a;
      if (typeof b !== 'object' || b.type !== 'map') throw new InferenceError(`Can't merge map with non-map type`);
      if (typeof a.values === 'string' && a.values !== 'any')
        return { type: 'map', values: mergeScalar(a.values, b.values) };
      return { type: 'map', values: mergeTypes(a.values, b.values) };
    }
    case 'sparkml_vector':
      if (typeof b === 'object' && b.type === 'sparkml_vector') return a;
      throw new InferenceError("SparkML vector type can't be merged with another Array type.");
    case 'object': {
      if (b === 'any') {
        return {
          type: 'object',
          properties: Object.fromEntries(
            Object.entries(a.properties).map(([k, p]) => [k, { type: p.type, required: false }]),
          ),
        };
      }
      if (typeof b !== 'object' || b.type !== 'object')
        throw new InferenceError(`Can't merge object with non-object type`);
      const properties: Record<string, PropertySpec> = {};
      for (const [k, p] of Object.entries(a.properties)) {
        const q = b.properties[k];
        if (!q) properties[k] = { type: p.type, required: false };
        else {
          const type =
            typeof p.type === 'string' && p.type !== 'any' ? mergeScalar(p.type, q.type) : mergeTypes(p.type, q.type);
          properties[k] = { type, required: p.required && q.required };
        }
      }
      for (const [k, q] of Object.entries(b.properties))
        if (!(k in a.properties)) properties[k] = { type: q.type, required: false };
      return { type: 'object', properties: sortProps(properties) };
    }
  }
}

export function sortProps(props: Record<string, PropertySpec>): Record<string, PropertySpec> {
  const out: Record<string, PropertySpec> = {};
  for (const k of Object.keys(props).sort(compareCodePoints)) out[k] = props[k] as PropertySpec;
  return out;
}

/** `_infer_numpy_dtype` for a typed array's dtype. */
export function dtypeToDataType(dtype: string): DataType {
  const info = dtypeInfo(dtype);
  if (info.kind === 'b') return 'boolean';
  if (info.kind === 'i' || info.kind === 'u') {
    if (info.itemsize < 4 || (info.kind === 'i' && info.itemsize === 4)) return 'integer';
    if (info.itemsize < 8 || (info.kind === 'i' && info.itemsize === 8)) return 'long';
  } else if (info.kind === 'f') {
    if (info.itemsize <= 4) return 'float';
    if (info.itemsize <= 8) return 'double';
  } else if (info.kind === 'U') return 'string';
  else if (info.kind === 'S') return 'binary';
  else if (info.kind === 'M') return 'datetime';
  throw new InferenceError(`Unsupported numpy data type '${dtype}', kind '${info.kind}'`);
}

/** `_infer_scalar_datatype` for JS scalars. */
export function inferScalar(v: unknown): DataType {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'double';
  if (typeof v === 'bigint') return 'long';
  if (typeof v === 'string') return 'string';
  if (v instanceof Date) return 'datetime';
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) return 'binary';
  throw new InferenceError(`Data ${pyStr(v)} is not one of the supported DataType`);
}

/** `_infer_datatype`. */
export function inferDatatype(v: unknown): ValueType {
  if (isMissing(v) || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0))
    return 'any';
  if (v instanceof Uint8Array && !(v instanceof Uint8ClampedArray)) return 'binary';
  if (isPlainObject(v)) {
    const properties: Record<string, PropertySpec> = {};
    for (const [k, x] of Object.entries(v)) {
      const t = inferDatatype(x);
      properties[k] = { type: t, required: t !== 'any' };
    }
    return { type: 'object', properties: sortProps(properties) };
  }
  if (isTypedArray(v)) {
    if (v.length === 0) throw new InferenceError('Dictionary value must not be an empty numpy array.');
    return { type: 'array', items: dtypeToDataType(typedArrayDtype(v)) };
  }
  if (Array.isArray(v)) {
    const arr = inferArrayDatatype(v);
    if (!arr) throw new InferenceError('Numpy array must include at least one non-empty item.');
    return arr;
  }
  return inferScalar(v);
}

/** `_infer_array_datatype`. */
export function inferArrayDatatype(values: readonly unknown[]): ArraySpec | null {
  let result: ArraySpec | null = null;
  for (const item of values) {
    const t = inferDatatype(item);
    if (result === null) result = { type: 'array', items: t };
    else if (typeof result.items === 'string' && result.items !== 'any')
      result = { type: 'array', items: mergeScalar(result.items, t) };
    else {
      try {
        result = { type: 'array', items: mergeTypes(result.items, t) };
      } catch {
        throw new InferenceError(MULTIPLE_TYPES_ERROR_MSG);
      }
    }
  }
  return result;
}

/** `_infer_pandas_column` for a JS array (pandas dtype rules) or a typed array. */
export function inferColumn(values: unknown): { type: ValueType; required: boolean } {
  if (isTypedArray(values))
    return {
      type: dtypeToDataType(typedArrayDtype(values)),
      required: !Array.from(values as ArrayLike<unknown>).some(isMissing),
    };
  const arr = values as unknown[];
  const required = !arr.some(isMissing);
  const present = arr.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return { type: 'any', required };
  if (present.every((v) => typeof v === 'number' || typeof v === 'bigint')) {
    // pandas: ints → int64; any NaN/None or fraction → float64.
    const ints = !arr.some(isMissing) && present.every((v) => typeof v === 'bigint' || Number.isInteger(v));
    return { type: ints ? 'long' : 'double', required };
  }
  const items = inferArrayDatatype(present);
  return { type: items?.items ?? 'any', required };
}

export function colSpec(type: ValueType, required: boolean, name?: string): ColSpec {
  const c: ColSpec = { type, required };
  if (name !== undefined) c.name = name;
  return c;
}

/** `_infer_schema`. */
export function inferSchema(data: unknown): Schema {
  if (Array.isArray(data) && data.length === 0) return { kind: 'columns', columns: [colSpec('string', true)] };
  if (isTypedArray(data) || isTensorObject(data)) {
    const t = toTensor(data, UNNAMED_INPUT);
    if (t.shape.length === 0)
      throw new InferenceError(
        'The specified variable_dimension 0 is out of bounds with respect to the number of dimensions 0 in the input dataset',
      );
    return { kind: 'tensors', tensors: [{ type: cleanDtype(t.dtype), shape: [-1, ...t.shape.slice(1)] }] };
  }
  if (Array.isArray(data) && data.every((x) => isPlainObject(x) && !isTensorObject(x))) {
    const records = data as Record<string, unknown>[];
    const columns = new Map<string, unknown[]>();
    for (const r of records) {
      for (const [k, v] of Object.entries(r)) {
        if (!columns.has(k)) columns.set(k, []);
        (columns.get(k) as unknown[]).push(v);
      }
    }
    return {
      kind: 'columns',
      columns: [...columns.entries()].map(([name, values]) => {
        const arr = inferArrayDatatype(values);
        if (!arr) throw new InferenceError(`Column ${name} has no values`);
        const required = records.every((r) => r[name] !== null && r[name] !== undefined);
        return colSpec(arr.items, required, name);
      }),
    };
  }
  if (isPlainObject(data)) {
    const entries = Object.entries(data);
    if (entries.length > 0 && entries.every(([, v]) => isTypedArray(v) || isTensorObject(v))) {
      return {
        kind: 'tensors',
        tensors: entries.map(([name, v]) => {
          const t = toTensor(v as AnyTypedArray | Tensor, name);
          if (t.shape.length === 0) throw new InferenceError(`Tensor ${name} has no dimensions`);
          return { type: cleanDtype(t.dtype), shape: [-1, ...t.shape.slice(1)], name };
        }),
      };
    }
    if (entries.length > 0 && entries.every(([, v]) => Array.isArray(v) || isTypedArray(v))) {
      return { kind: 'columns', columns: entries.map(([name, v]) => ({ ...inferColumn(v), name })) };
    }
    return {
      kind: 'columns',
      columns: entries.map(([name, v]) => colSpec(inferDatatype(v), !isMissing(v), name)),
    };
  }
  if (Array.isArray(data)) {
    const arr = inferArrayDatatype(data);
    if (!arr) throw new InferenceError('Numpy array must include at least one non-empty item.');
    return { kind: 'columns', columns: [colSpec(arr.items, true)] };
  }
  return { kind: 'columns', columns: [colSpec(inferDatatype(data), true)] };
}

/** `_infer_type_and_shape` for one param value. */
export function inferParam(name: string, value: unknown): ParamSpec {
  const spec = inferParamType(name, value);
  // ParamSpec validates its default (e.g. [1, true] infers long, then fails on `true`).
  validateParamValue(spec, spec.default);
  return spec;
}

export function inferParamType(name: string, value: unknown): ParamSpec {
  if (isArrayLikeValue(value)) {
    const depth = ndimMax(value);
    if (depth !== 1) throw new InferenceError(`Expected parameters to be 1D array or scalar, got ${depth}D array`);
    const items = Array.from(value as ArrayLike<unknown>);
    let type: DataType;
    if (items.every((v) => v instanceof Date)) type = 'datetime';
    else if (isTypedArray(value)) type = dtypeToDataType(typedArrayDtype(value));
    else if (items.some((v) => !['number', 'bigint', 'boolean', 'string'].includes(typeof v))) {
      throw new InferenceError('Can not infer object without looking at the values, call _map_numpy_array instead.');
    } else if (items.some((v) => typeof v === 'string')) type = 'string';
    else if (items.some((v) => typeof v === 'number' && !Number.isInteger(v))) type = 'double';
    else if (items.some((v) => typeof v === 'number' || typeof v === 'bigint')) type = 'long';
    else type = 'boolean';
    return { name, type, default: items.map(cloneValue), shape: [-1] };
  }
  if (value instanceof Date) return { name, type: 'datetime', default: new Date(value.getTime()), shape: null };
  if (['number', 'bigint', 'boolean', 'string'].includes(typeof value)) {
    return { name, type: inferScalar(value), default: value, shape: null };
  }
  if (isPlainObject(value)) {
    const t = inferDatatype(value);
    if (typeof t !== 'object' || t.type !== 'object')
      throw new InferenceError(`'dtype' must be DataType, Object or str, got ${typeRepr(t)}`);
    return { name, type: t, default: cloneValue(value), shape: null };
  }
  throw new InferenceError(`Expected parameters to be 1D array or scalar, got ${pyTypeName(value)}`);
}

export function ndimMax(value: unknown): number {
  if (isTypedArray(value)) return 1;
  if (!Array.isArray(value)) return 0;
  return value.length === 0 ? 1 : 1 + Math.max(...value.map(ndimMax));
}

/**
 * Mirrors `infer_signature(model_input, model_output, params)` for JS values:
 * - typed array / `{data, shape, dtype}` → one unnamed TensorSpec (dim 0 = -1);
 *   `{name: typed array}` → named TensorSpecs (Float32Array → float32, BigInt64Array → int64, …);
 * - records (array of objects) → named ColSpecs (union of keys; optional when a row lacks the key or
 *   has null);
 * - columns `{col: array}` → named ColSpecs with pandas' column rules (integers → long, fractions or
 *   missing values → double, optional when a value is null/NaN);
 * - a single object with scalar / nested values → one ColSpec per key (Array / Object types);
 * - array of scalars → one unnamed ColSpec; `[]` → string; scalar → one unnamed ColSpec.
 * JS numbers: integers infer `long`, others `double`; a mix widens to `double`. Data that can not be
 * inferred gives `[{"type": "any"}]`, as MLflow does after its warning.
 */
export function inferSignature(input: unknown, output?: unknown, params?: Record<string, unknown>): ModelSignature {
  const infer = (data: unknown): Schema | null => {
    if (data === undefined || data === null) return null;
    try {
      return inferSchema(data);
    } catch (error) {
      if (error instanceof InferenceError || error instanceof MlflowEdgeError) {
        return { kind: 'columns', columns: [colSpec('any', true)] };
      }
      throw error;
    }
  };
  let paramSpecs: ParamSpec[] | null = null;
  if (params !== undefined && params !== null) {
    if (!isPlainObject(params)) {
      throw schemaError(
        `Expected parameters to be dict, got ${pyTypeName(params)}.`,
        'params',
        'dict',
        pyTypeName(params),
      );
    }
    const entries = Object.entries(params);
    if (entries.length > 0) {
      const invalid: [string, unknown, string][] = [];
      paramSpecs = [];
      for (const [name, value] of entries) {
        try {
          paramSpecs.push(inferParam(name, value));
        } catch (error) {
          if (!(error instanceof InferenceError || error instanceof MlflowEdgeError)) throw error;
          invalid.push([name, value, error.message]);
        }
      }
      if (invalid.length > 0) {
        const [field, value] = invalid[0] as [string, unknown, string];
        throw schemaError(
          `Failed to infer schema for parameters: [${invalid.map(([n, v, m]) => `(${pyStrRepr(n)}, ${pyRepr(v)}, ${pyStrRepr(m)})`).join(', ')}]. Params must be scalars, 1-D arrays of scalars, Dates or objects.`,
          field,
          'scalar, 1-D array or object',
          pyTypeName(value),
        );
      }
    }
  }
  const signature: ModelSignature = { inputs: infer(input), outputs: infer(output), params: paramSpecs };
  if (!signature.inputs && !signature.outputs && !signature.params) {
    throw schemaError('At least one of inputs, outputs or params must be provided.', 'input', 'data', 'nothing');
  }
  return signature;
}
