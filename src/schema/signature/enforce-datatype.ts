/**
 * MLflow's `_enforce_mlflow_datatype`: the values of one column (or the
 * items of an Array value) against one DataType. Values from a typed array
 * or tensor carry a numpy dtype and follow numpy's safe-cast rules; plain JS
 * values follow the scoring server's JSON path, but only where the cast is
 * exact (see the module comment of schema/signature.ts).
 */
import { pyRepr, pyTypeName } from '../python.js';
import {
  cleanDtype,
  DATATYPE_TO_DTYPE,
  DATATYPE_TO_NUMPY_STR,
  dtypeInfo,
  INT_RANGES,
  jsValueDtype,
  typedArrayFor,
} from './dtypes.js';
import { schemaError } from './schema-error.js';
import type { DataType } from './types.js';
import { b64decode, isMissing, parseIsoDatetime } from './values.js';

export const MISSING_INT_HINT =
  ' Hint: the type mismatch is likely caused by missing values. Integer columns in python can not represent missing values and are therefore encoded as floats. The best way to avoid this problem is to infer the model schema based on a realistic data sample (training dataset) that includes missing values. Alternatively, you can declare integer columns as doubles (float64) whenever these columns may have missing values. See `Handling Integers With Missing Values <https://www.mlflow.org/docs/latest/models.html#handling-integers-with-missing-values>`_ for more details.';

/** Where a value sits, for messages and `details`. */
export interface Ctx {
  field: string;
  label(): string;
  where(i: number): string;
  rowOf(i: number): number | undefined;
  extra(): Record<string, unknown>;
}

export function columnCtx(name: string): Ctx {
  return {
    field: name,
    label: () => `column ${name}`,
    where: (i) => `row ${i}`,
    rowOf: (i) => i,
    extra: () => ({}),
  };
}

export function pathCtx(field: string, path: string, row: number | undefined): Ctx {
  return {
    field,
    label: () => `'${path}'`,
    where: (i) => `${path}[${i}]`,
    rowOf: () => row,
    extra: () => (row === undefined ? { path } : { path, row }),
  };
}

/** Throws MLflow's "Can not safely convert X to Y" for the value at index `i` (or the whole column when `i` is undefined). */
type Incompatible = (from: string, detail: string, hint: string, i?: number) => never;

function incompatibleFor(t: DataType, ctx: Ctx): Incompatible {
  return (from, detail, hint, i) => {
    throw schemaError(
      `Incompatible input types for ${ctx.label()}. Can not safely convert ${from} to ${DATATYPE_TO_NUMPY_STR[t]}.${detail ? ` ${detail}` : ''}${hint ? ` ${hint}` : ''}`,
      ctx.field,
      t,
      from,
      i === undefined ? ctx.extra() : { ...ctx.extra(), row: ctx.rowOf(i) },
    );
  };
}

/**
 * `_enforce_mlflow_datatype` for one column (or the elements of an Array value).
 * `dtype` is the numpy dtype when the values came from a typed array / tensor; then numpy's
 * rules apply. Otherwise the values are JSON-like JS values.
 */
export function enforceDataTypeValues(
  values: readonly unknown[],
  t: DataType,
  dtype: string | undefined,
  ctx: Ctx,
): unknown[] {
  const incompatible = incompatibleFor(t, ctx);
  if (dtype !== undefined && dtype !== 'object') return enforceNumpyValues(values, t, dtype, incompatible);
  switch (t) {
    case 'boolean':
    case 'string':
      return enforceBooleansOrStrings(values, t, ctx, incompatible);
    case 'integer':
    case 'long':
      return enforceIntegers(values, t, ctx, incompatible);
    case 'float':
    case 'double':
      return enforceFloats(values, t, ctx, incompatible);
    case 'binary':
      return enforceBinary(values, ctx, incompatible);
    case 'datetime':
      return enforceDatetimes(values, ctx, incompatible);
  }
}

/** numpy's safe casts (`np.can_cast`), plus MLflow's int64 → float rule for columns of 0/1 and its acceptance of any datetime64. */
function enforceNumpyValues(
  values: readonly unknown[],
  t: DataType,
  dtype: string,
  incompatible: Incompatible,
): unknown[] {
  const target = DATATYPE_TO_DTYPE[t];
  const from = cleanDtype(dtype);
  const fi = dtypeInfo(from);
  const ti = dtypeInfo(target);
  let ok = from === target;
  if (!ok && fi.kind === ti.kind && ['b', 'i', 'u', 'f'].includes(fi.kind)) ok = fi.itemsize <= ti.itemsize;
  else if (!ok && fi.kind === 'u' && ti.kind === 'i') ok = fi.itemsize < ti.itemsize;
  else if (!ok && (fi.kind === 'i' || fi.kind === 'u') && target === 'float64') ok = fi.itemsize <= 6;
  if (!ok && from === 'int64' && (target === 'float32' || target === 'float64')) {
    ok = values.every((v) => isMissing(v) || v === 0 || v === 1 || v === 0n || v === 1n);
  }
  if (!ok && fi.kind === 'M' && t === 'datetime') ok = true;
  if (!ok) {
    const ctor = typedArrayFor(target);
    const hint =
      ti.kind === 'f' && fi.kind === 'f'
        ? `Pass a ${t === 'float' ? 'Float32Array' : 'Float64Array'} (or plain numbers), or declare the column as double.`
        : `Pass values of type ${t}${ctor ? ` (e.g. a ${ctor.name})` : ''}.`;
    incompatible(from, '', hint);
  }
  return values.map((v) => {
    if (ti.kind === 'f') return t === 'float' ? Math.fround(Number(v)) : Number(v);
    if (ti.kind === 'i') return ti.itemsize === 8 ? (typeof v === 'bigint' ? v : Number(v)) : Number(v);
    if (ti.kind === 'b') return Boolean(v);
    return v;
  });
}

/** What MLflow prints for a value of the wrong kind: its pandas dtype and Python type. */
function wrongKind(v: unknown, i: number, ctx: Ctx, hint: string, incompatible: Incompatible): never {
  return incompatible(jsValueDtype(v), `The value ${pyRepr(v)} at ${ctx.where(i)} is ${pyTypeName(v)}.`, hint, i);
}

/** booleans / strings as they are; null kept; nothing is converted (numbers are not stringified). */
function enforceBooleansOrStrings(
  values: readonly unknown[],
  t: 'boolean' | 'string',
  ctx: Ctx,
  incompatible: Incompatible,
): unknown[] {
  const hint = t === 'boolean' ? 'Pass true/false.' : 'Pass text (convert the value with String()).';
  return values.map((v, i) => {
    if (v === null || v === undefined) return null;
    if (typeof v === t) return v;
    return wrongKind(v, i, ctx, hint, incompatible);
  });
}

/** Whole numbers within range, or bigints; a missing value is an error (Python's integers cannot be missing). */
function enforceIntegers(
  values: readonly unknown[],
  t: 'integer' | 'long',
  ctx: Ctx,
  incompatible: Incompatible,
): unknown[] {
  const target = DATATYPE_TO_DTYPE[t];
  const [min, max] = INT_RANGES[target] ?? [0n, 0n];
  const hasMissing = values.some(isMissing);
  const allIntegral = values.every(
    (v) => isMissing(v) || typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)),
  );
  return values.map((v, i) => {
    if (typeof v === 'number' && Number.isInteger(v)) {
      const fitsInt64 = v >= -(2 ** 63) && v < 2 ** 63;
      const fits = t === 'integer' ? v >= -2147483648 && v <= 2147483647 : fitsInt64;
      if (!fits) {
        incompatible(
          fitsInt64 ? 'int64' : 'float64',
          `The value ${v} at ${ctx.where(i)} does not fit in ${target}.`,
          t === 'integer'
            ? 'Declare the column as long, or pass smaller values.'
            : 'Pass values within the int64 range (BigInt for exact large integers).',
          i,
        );
      }
      return v;
    }
    if (typeof v === 'bigint') {
      if (v < min || v > max)
        incompatible(
          'int64',
          `The value ${v} at ${ctx.where(i)} does not fit in ${target}.`,
          'Pass smaller values.',
          i,
        );
      return t === 'integer' ? Number(v) : v;
    }
    if (isMissing(v) || typeof v === 'number') {
      if (hasMissing && allIntegral) {
        incompatible(
          'float64',
          `The value at ${ctx.where(i)} is missing (${v === null ? 'null' : String(v)}).${MISSING_INT_HINT}`,
          '',
          i,
        );
      }
      return incompatible(
        'float64',
        `The value ${pyRepr(v)} at ${ctx.where(i)} is ${isMissing(v) ? 'missing' : 'not a whole number'}.`,
        `Pass whole numbers (Number.isInteger) or BigInt for an ${t} column, or declare it as double.`,
        i,
      );
    }
    return wrongKind(v, i, ctx, `Pass whole numbers for an ${t} column.`, incompatible);
  });
}

/** Any number (null becomes NaN; `float` rounds to float32); bigints only when every one is 0 or 1. */
function enforceFloats(
  values: readonly unknown[],
  t: 'float' | 'double',
  ctx: Ctx,
  incompatible: Incompatible,
): unknown[] {
  const bigsAreBits = values.every((v) => typeof v !== 'bigint' || v === 0n || v === 1n);
  return values.map((v, i) => {
    if (v === null || v === undefined) return NaN;
    if (typeof v === 'number') return t === 'float' ? Math.fround(v) : v;
    if (typeof v === 'bigint') {
      if (!bigsAreBits)
        incompatible(
          'int64',
          `The value ${v}n at ${ctx.where(i)} is a BigInt (int64).`,
          'Pass JavaScript numbers for a floating-point column.',
          i,
        );
      return Number(v);
    }
    return wrongKind(v, i, ctx, 'Pass numbers.', incompatible);
  });
}

/** Uint8Array, ArrayBuffer, or base64 text (decoded, as the scoring server does; invalid base64 is refused). */
function enforceBinary(values: readonly unknown[], ctx: Ctx, incompatible: Incompatible): unknown[] {
  return values.map((v, i) => {
    if (v === null || v === undefined) return null;
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (typeof v === 'string') {
      return (
        b64decode(v) ??
        incompatible(
          'str',
          `The value at ${ctx.where(i)} is not valid base64.`,
          'Send binary data as a Uint8Array or a base64 string.',
          i,
        )
      );
    }
    return wrongKind(v, i, ctx, 'Pass a Uint8Array or a base64 string.', incompatible);
  });
}

/** Dates (an invalid Date is missing), or ISO-8601 text without a zone (MLflow refuses timezone-aware datetimes). */
function enforceDatetimes(values: readonly unknown[], ctx: Ctx, incompatible: Incompatible): unknown[] {
  return values.map((v, i) => {
    if (v === null || v === undefined) return null;
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : new Date(v.getTime());
    if (typeof v !== 'string') return wrongKind(v, i, ctx, 'Pass a Date or an ISO-8601 string.', incompatible);
    const parsed = parseIsoDatetime(v);
    const extra = { ...ctx.extra(), row: ctx.rowOf(i) };
    if (!parsed) {
      throw schemaError(
        `Failed to convert ${ctx.label()} from type str to datetime: ${pyRepr(v)} at ${ctx.where(i)} is not an ISO-8601 datetime. Pass a Date or a string like '2024-05-06T07:08:09'.`,
        ctx.field,
        'datetime',
        'str',
        extra,
      );
    }
    if (parsed.hasZone) {
      throw schemaError(
        `Please ensure that the input data of datetime column only contains timezone-naive datetime objects. ${pyRepr(v)} at ${ctx.where(i)} (${ctx.label()}) has a timezone. Pass a Date object, or the time without 'Z'/offset (read as UTC).`,
        ctx.field,
        'timezone-naive datetime',
        v,
        extra,
      );
    }
    return parsed.date;
  });
}
