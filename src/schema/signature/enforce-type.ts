/**
 * MLflow's `_enforce_type`: one value against an Array, Object, Map, Any or
 * DataType type, recursively (the values of Array/Object/Map columns and of
 * object params).
 */
import { MlflowEdgeError } from '../errors.js';
import { isPlainObject, isTypedArray } from '../predicates.js';
import { pyRepr, pySet, pyStr, pyTypeName } from '../python.js';
import { typedArrayDtype } from './dtypes.js';
import { enforceDataTypeValues, pathCtx } from './enforce-datatype.js';
import { isArrayLikeValue, isScalarCell } from './input.js';
import { typeName, typeRepr } from './repr.js';
import { schemaError } from './schema-error.js';
import type { DataType, PropertySpec, ValueType } from './types.js';
import { isMissing } from './values.js';

/** `_enforce_type`: one value against an Array/Object/Map/Any/DataType type. */
export function enforceType(
  data: unknown,
  type: ValueType,
  required: boolean,
  field: string,
  path: string,
  row: number | undefined,
): unknown {
  const extra = () => (row === undefined ? { path } : { path, row });
  if (type === 'any') return data;
  if (typeof type === 'string') {
    if (!required && isMissing(data)) return null;
    if (data === null || data === undefined || !isScalarCell(data) || data instanceof Uint8Array) {
      if (!(data instanceof Uint8Array && type === 'binary')) {
        throw schemaError(
          `Expected data to be scalar, got ${pyTypeName(data)} at ${path}. A ${type} value is required there.`,
          field,
          type,
          pyTypeName(data),
          extra(),
        );
      }
    }
    try {
      return enforceDataTypeValues([data], type, undefined, pathCtx(field, path, row))[0];
    } catch (error) {
      if (!(error instanceof MlflowEdgeError)) throw error;
      throw schemaError(
        `Failed to enforce schema of data \`${pyStr(data)}\` with dtype \`${type}\` at ${path}: expected ${type}, got ${pyTypeName(data)}. ${hintFor(type)}`,
        field,
        type,
        pyTypeName(data),
        extra(),
      );
    }
  }
  switch (type.type) {
    case 'array':
    case 'sparkml_vector': {
      const items: ValueType = type.type === 'array' ? type.items : 'double';
      if (!required || items === 'any') {
        if (data === null || data === undefined || (isArrayLikeValue(data) && data.length === 0)) return data ?? null;
      }
      if (!isArrayLikeValue(data)) {
        throw schemaError(
          `Expected data to be list or numpy array, got ${pyTypeName(data)} at ${path}. ${typeRepr(type)} needs an array value.`,
          field,
          typeRepr(type),
          pyTypeName(data),
          extra(),
        );
      }
      if (typeof items === 'string' && items !== 'any') {
        if (data.length === 0) return [];
        const dtype = isTypedArray(data) ? typedArrayDtype(data) : undefined;
        return enforceDataTypeValues(Array.from(data), items, dtype, pathCtx(field, path, row));
      }
      return Array.from(data).map((x, i) => enforceType(x, items, required, field, `${path}[${i}]`, row));
    }
    case 'object': {
      if (!required && (data === null || data === undefined || (isPlainObject(data) && Object.keys(data).length === 0)))
        return data ?? null;
      if (!isPlainObject(data)) {
        throw schemaError(
          `Failed to enforce schema of '${pyStr(data)}' with type '${typeRepr(type)}'. Expected data to be dictionary, got ${pyTypeName(data)} (at ${path}). Pass an object with keys ${pyRepr(Object.keys(type.properties))}.`,
          field,
          typeRepr(type),
          pyTypeName(data),
          extra(),
        );
      }
      const present = Object.keys(data).filter((k) => data[k] !== undefined);
      const missing = Object.entries(type.properties)
        .filter(([k, p]) => p.required && !present.includes(k))
        .map(([k]) => k);
      if (missing.length > 0) {
        throw schemaError(
          `Missing required properties: ${pySet(missing)} (at ${path}). Add ${missing.map((k) => `'${k}'`).join(', ')} to the object.`,
          field,
          missing,
          present,
          { ...extra(), property: missing[0] },
        );
      }
      const invalid = present.filter((k) => !(k in type.properties));
      if (invalid.length > 0) {
        throw schemaError(
          `Invalid properties not defined in the schema found: ${pySet(invalid)} (at ${path}). Remove them; allowed keys are ${pyRepr(Object.keys(type.properties))}.`,
          field,
          Object.keys(type.properties),
          invalid,
          { ...extra(), property: invalid[0] },
        );
      }
      const out: Record<string, unknown> = {};
      for (const k of present) {
        const prop = type.properties[k] as PropertySpec;
        try {
          out[k] = enforceType(data[k], prop.type, prop.required, field, `${path}.${k}`, row);
        } catch (error) {
          if (!(error instanceof MlflowEdgeError)) throw error;
          throw schemaError(
            `Failed to enforce schema for key \`${k}\`. Expected type ${typeName(prop.type)}, received type ${pyTypeName(data[k])} (at ${path}.${k}). ${
              typeof prop.type === 'string' && prop.type !== 'any' ? hintFor(prop.type) : error.message
            }`,
            field,
            typeName(prop.type),
            pyTypeName(data[k]),
            { ...extra(), path: `${path}.${k}`, property: k },
          );
        }
      }
      return out;
    }
    case 'map': {
      if (
        (!required || type.values === 'any') &&
        (data === null || data === undefined || (isPlainObject(data) && Object.keys(data).length === 0))
      ) {
        return data ?? null;
      }
      if (!isPlainObject(data)) {
        throw schemaError(
          `Expected data to be a dict, got ${pyTypeName(data)} at ${path}. ${typeRepr(type)} needs an object with string keys.`,
          field,
          typeRepr(type),
          pyTypeName(data),
          extra(),
        );
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(data)) {
        if (v === undefined) continue;
        out[k] = enforceType(v, type.values, required, field, `${path}.${k}`, row);
      }
      return out;
    }
  }
}

export function hintFor(t: DataType): string {
  switch (t) {
    case 'integer':
    case 'long':
      return 'Pass a whole number.';
    case 'float':
    case 'double':
      return 'Pass a number.';
    case 'boolean':
      return 'Pass true or false.';
    case 'string':
      return 'Pass text.';
    case 'binary':
      return 'Pass a Uint8Array or a base64 string.';
    case 'datetime':
      return 'Pass a Date or an ISO-8601 string.';
  }
}
