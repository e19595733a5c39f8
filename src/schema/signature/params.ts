/** MLflow's `_enforce_params_schema`: defaults, unknown params dropped with a warning, types and shapes checked. */
import { MlflowEdgeError } from '../errors.js';
import { typeRepr } from './repr.js';
import { isArrayLikeValue, isScalarCell } from './input.js';
import { isPlainObject, isTypedArray } from '../predicates.js';
import { pyRepr, pySet, pyStr, pyStrRepr, pyTuple, pyTypeName } from '../python.js';
import type { DataType, ParamSpec } from './types.js';
import { parseIsoDatetime } from './values.js';
import { schemaError } from './schema-error.js';
import { enforceType } from './enforce-type.js';

export function paramSpecRepr(spec: ParamSpec): string {
  let def = spec.default;
  if (spec.type === 'datetime' && typeof def === 'string') def = def.replace('T', ' ');
  const shape = spec.shape === null ? '' : ` (shape: ${pyTuple(spec.shape)})`;
  return `${pyStrRepr(spec.name)}: ${typeRepr(spec.type)} (default: ${pyStr(def)})${shape}`;
}

export function pyClass(value: unknown): string {
  return `<class '${pyTypeName(value)}'>`;
}

/** `_enforce_param_datatype`: one scalar param value. */
export function enforceParamDatatype(value: unknown, t: DataType): unknown {
  if (value === null || value === undefined) return null;
  const fail = (message: string): never => {
    throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', message);
  };
  if (t === 'datetime') {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return new Date(value.getTime());
    if (typeof value === 'string') {
      const parsed = parseIsoDatetime(value);
      if (parsed) return parsed.date;
    }
    return fail(`Failed to convert value \`${pyStr(value)}\` from type \`${pyClass(value)}\` to \`DataType.datetime\``);
  }
  if (!isScalarCell(value) || value instanceof Date || value instanceof Uint8Array) {
    return fail(`Value must be a scalar for type \`DataType.${t}\`, got \`${pyStr(value)}\``);
  }
  switch (t) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'integer':
    case 'long':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
      break;
    case 'float':
    case 'double':
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      break;
    case 'binary':
      break;
  }
  return fail(`Can not safely convert \`${pyClass(value)}\` to \`DataType.${t}\` for value \`${pyStr(value)}\``);
}

export function ndim(value: unknown): number {
  if (isTypedArray(value)) return 1;
  if (!Array.isArray(value)) return 0;
  if (value.length === 0) return 1;
  const inner = value.map(ndim);
  return 1 + Math.min(...inner);
}

/** `ParamSpec.validate_type_and_shape`; throws INVALID_PARAMETER_VALUE with MLflow's message. */
export function validateParamValue(spec: ParamSpec, value: unknown, isDefault = false): unknown {
  const repr = paramSpecRepr(spec);
  const shape = spec.shape;
  const isMinusOne = shape !== null && shape.length === 1 && shape[0] === -1;
  const wrap = (message: string): MlflowEdgeError =>
    schemaError(
      isDefault ? `Invalid model signature: ${message}` : message,
      spec.name,
      describeParamType(spec),
      pyTypeName(value),
    );
  if (isMinusOne && !(isArrayLikeValue(value) && ndim(value) === 1)) {
    throw wrap(
      `Value must be a 1D array with shape (-1,) for param ${repr}, received ${pyTypeName(value)} with ndim ${ndim(value)}`,
    );
  }
  try {
    if (shape === null) {
      if (typeof spec.type === 'string') return enforceParamDatatype(value, spec.type);
      enforceType(value, spec.type, true, spec.name, spec.name, undefined);
      return value;
    }
    if (isMinusOne) {
      const t = spec.type;
      if (typeof t !== 'string')
        throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', 'Object params can not have a shape');
      return Array.from(value as ArrayLike<unknown>, (v) => enforceParamDatatype(v, t));
    }
  } catch (error) {
    if (!(error instanceof MlflowEdgeError)) throw error;
    throw wrap(`Failed to validate type and shape for ${repr}, error: ${error.message}`);
  }
  throw wrap(
    `Shape must be None for scalar or dictionary value, or (-1,) for 1D array value for ParamSpec ${repr}), received ${pyTuple(shape)}`,
  );
}

export function describeParamType(spec: ParamSpec): string {
  const t = typeof spec.type === 'string' ? spec.type : typeRepr(spec.type);
  return spec.shape === null ? t : `list of ${t}`;
}

export function cloneValue<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(cloneValue) as T;
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneValue(v)])) as T;
  return value;
}

/**
 * MLflow's `_enforce_params_schema`: params given are validated and converted (int → float/double,
 * ISO string → Date for datetime); missing ones get the ParamSpec default; unknown ones are dropped
 * with a warning; wrong type/shape → INVALID_PARAMETER_VALUE listing every bad param
 * ("Invalid parameters found: {('k', '...')}"), `details.field` = the first bad param.
 * With no params schema, params are dropped with MLflow's warning.
 */
export function enforceParams(
  params: Record<string, unknown> | undefined,
  specs: ParamSpec[] | null,
): { params: Record<string, unknown>; warnings: string[] } {
  const warnings: string[] = [];
  const given = params as unknown;
  if (specs === null) {
    if (given === undefined || given === null || (isPlainObject(given) && Object.keys(given).length === 0))
      return { params: {}, warnings };
    const info = isPlainObject(given)
      ? `Ignoring provided params: ${pyRepr(Object.keys(given))}`
      : 'Ignoring invalid params (not a dictionary).';
    warnings.push(
      `\`params\` can only be specified at inference time if the model signature defines a params schema. This model does not define a params schema. ${info}`,
    );
    return { params: {}, warnings };
  }
  if (given !== undefined && given !== null && !isPlainObject(given)) {
    throw schemaError(
      `Parameters must be a dictionary. Got type '${pyTypeName(given)}'. Pass params as {name: value}.`,
      'params',
      'dict',
      pyTypeName(given),
    );
  }
  const input = (given ?? {}) as Record<string, unknown>;
  const allowed = new Set(specs.map((s) => s.name));
  const ignored = Object.keys(input).filter((k) => !allowed.has(k));
  if (ignored.length > 0) {
    warnings.push(
      `Unrecognized params ${pyRepr(ignored)} are ignored for inference. Supported params are: ${pySet([...allowed])}. To enable them, please add corresponding schema in ModelSignature.`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (allowed.has(k) && v !== undefined) out[k] = v;
  const invalid: { field: string; message: string; expected: unknown; received: unknown }[] = [];
  for (const spec of specs) {
    if (spec.name in out) {
      try {
        out[spec.name] = validateParamValue(spec, out[spec.name]);
      } catch (error) {
        if (!(error instanceof MlflowEdgeError)) throw error;
        invalid.push({
          field: spec.name,
          message: error.message,
          expected: error.details?.expected,
          received: error.details?.received,
        });
      }
    } else {
      out[spec.name] = cloneValue(spec.type === 'datetime' ? validateParamValue(spec, spec.default) : spec.default);
    }
  }
  if (invalid.length > 0) {
    const first = invalid[0] as (typeof invalid)[number];
    throw schemaError(
      `Invalid parameters found: {${invalid.map((e) => `(${pyStrRepr(e.field)}, ${pyStrRepr(e.message)})`).join(', ')}}`,
      first.field,
      first.expected,
      first.received,
      { errors: invalid },
    );
  }
  return { params: out, warnings };
}
