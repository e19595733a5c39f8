/** MLflow's `_enforce_schema`: only the conversions MLflow allows, checked before the model runs. */
import { MlflowEdgeError } from '../errors.js';
import { type ColSpec, type Columns, DATATYPE_TO_DTYPE, DATATYPE_TO_NUMPY_STR, type DataType, INT_RANGES, type PredictInput, type PropertySpec, type Schema, type Tensor, type TensorSpec, UNNAMED_INPUT, type ValueType, cleanDtype, dtypeInfo, isMissing, isPlainObject, isTypedArray, jsValueDtype, parseIsoDatetime, pyTypeName, schemaError, typedArrayDtype, typedArrayFor } from './types.js';
import { typeName, typeRepr } from './repr.js';
import { castScalar, flattenNested, hasInputNames, inputNames, isArrayLikeValue, isScalarCell, isTensorObject, makeColumns, nestedShape, shapeSize, tensorFromNested } from './input.js';
import { pyRepr, pySet, pyStr, pyTuple } from '../python.js';

export const MISSING_INT_HINT =
  ' Hint: the type mismatch is likely caused by missing values. Integer columns in python can not represent missing values and are therefore encoded as floats. The best way to avoid this problem is to infer the model schema based on a realistic data sample (training dataset) that includes missing values. Alternatively, you can declare integer columns as doubles (float64) whenever these columns may have missing values. See `Handling Integers With Missing Values <https://www.mlflow.org/docs/latest/models.html#handling-integers-with-missing-values>`_ for more details.';

export function b64decode(text: string): Uint8Array | null {
  try {
    const bin = atob(text.replace(/\s+/g, ''));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/**
 * `_enforce_mlflow_datatype` for one column (or the elements of an Array value).
 * `dtype` is the numpy dtype when the values came from a typed array / tensor; then numpy's
 * rules apply. Otherwise the values are JSON-like JS values (see the module comment).
 */
export function enforceDataTypeValues(values: readonly unknown[], t: DataType, dtype: string | undefined, ctx: Ctx): unknown[] {
  const target = DATATYPE_TO_DTYPE[t];
  const targetStr = DATATYPE_TO_NUMPY_STR[t];
  const incompatible = (from: string, detail: string, hint: string, extra?: Record<string, unknown>): never => {
    throw schemaError(
      `Incompatible input types for ${ctx.label()}. Can not safely convert ${from} to ${targetStr}.${detail ? ` ${detail}` : ''}${hint ? ` ${hint}` : ''}`,
      ctx.field,
      t,
      from,
      { ...ctx.extra(), ...extra },
    );
  };
  if (dtype !== undefined && dtype !== 'object') {
    // numpy rules (typed arrays / tensors).
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
      const hint =
        ti.kind === 'f' && fi.kind === 'f'
          ? `Pass a ${t === 'float' ? 'Float32Array' : 'Float64Array'} (or plain numbers), or declare the column as double.`
          : `Pass values of type ${t}${typedArrayFor(target) ? ` (e.g. a ${typedArrayFor(target)?.name})` : ''}.`;
      incompatible(from, '', hint);
    }
    return values.map((v) => {
      if (ti.kind === 'f') return t === 'float' ? Math.fround(Number(v)) : Number(v);
      if (ti.kind === 'i') return ti.itemsize === 8 ? (typeof v === 'bigint' ? v : Number(v)) : Number(v);
      if (ti.kind === 'b') return Boolean(v);
      return v;
    });
  }
  const out: unknown[] = new Array<unknown>(values.length);
  const rowExtra = (i: number) => ({ row: ctx.rowOf(i) });
  switch (t) {
    case 'boolean':
    case 'string': {
      const want = t === 'boolean' ? 'boolean' : 'string';
      values.forEach((v, i) => {
        if (v === null || v === undefined) out[i] = null;
        else if (typeof v === want) out[i] = v;
        else {
          incompatible(
            jsValueDtype(v),
            `The value ${pyRepr(v)} at ${ctx.where(i)} is ${pyTypeName(v)}.`,
            t === 'boolean' ? 'Pass true/false.' : 'Pass text (convert the value with String()).',
            rowExtra(i),
          );
        }
      });
      return out;
    }
    case 'integer':
    case 'long': {
      const range = INT_RANGES[target] as readonly [bigint, bigint];
      const hasMissing = values.some(isMissing);
      const allIntegral = values.every((v) => isMissing(v) || typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)));
      values.forEach((v, i) => {
        if (typeof v === 'number' && Number.isInteger(v)) {
          const fits = t === 'integer' ? v >= -2147483648 && v <= 2147483647 : v >= -(2 ** 63) && v < 2 ** 63;
          if (!fits) {
            const fitsInt64 = v >= -(2 ** 63) && v < 2 ** 63;
            incompatible(
              fitsInt64 ? 'int64' : 'float64',
              `The value ${v} at ${ctx.where(i)} does not fit in ${target}.`,
              t === 'integer' ? 'Declare the column as long, or pass smaller values.' : 'Pass values within the int64 range (BigInt for exact large integers).',
              rowExtra(i),
            );
          }
          out[i] = v;
        } else if (typeof v === 'bigint') {
          if (v < range[0] || v > range[1]) {
            incompatible('int64', `The value ${v} at ${ctx.where(i)} does not fit in ${target}.`, 'Pass smaller values.', rowExtra(i));
          }
          out[i] = t === 'integer' ? Number(v) : v;
        } else if (isMissing(v) || typeof v === 'number') {
          const from = 'float64';
          if (hasMissing && allIntegral) {
            incompatible(from, `The value at ${ctx.where(i)} is missing (${v === null ? 'null' : String(v)}).${MISSING_INT_HINT}`, '', rowExtra(i));
          }
          incompatible(
            from,
            `The value ${pyRepr(v)} at ${ctx.where(i)} is ${isMissing(v) ? 'missing' : 'not a whole number'}.`,
            `Pass whole numbers (Number.isInteger) or BigInt for an ${t} column, or declare it as double.`,
            rowExtra(i),
          );
        } else {
          incompatible(jsValueDtype(v), `The value ${pyRepr(v)} at ${ctx.where(i)} is ${pyTypeName(v)}.`, `Pass whole numbers for an ${t} column.`, rowExtra(i));
        }
      });
      return out;
    }
    case 'float':
    case 'double': {
      const bigs = values.filter((v) => typeof v === 'bigint');
      values.forEach((v, i) => {
        if (v === null || v === undefined) out[i] = NaN;
        else if (typeof v === 'number') out[i] = t === 'float' ? Math.fround(v) : v;
        else if (typeof v === 'bigint') {
          if (!bigs.every((b) => b === 0n || b === 1n)) {
            incompatible('int64', `The value ${v}n at ${ctx.where(i)} is a BigInt (int64).`, 'Pass JavaScript numbers for a floating-point column.', rowExtra(i));
          }
          out[i] = Number(v);
        } else {
          incompatible(jsValueDtype(v), `The value ${pyRepr(v)} at ${ctx.where(i)} is ${pyTypeName(v)}.`, 'Pass numbers.', rowExtra(i));
        }
      });
      return out;
    }
    case 'binary': {
      values.forEach((v, i) => {
        if (v === null || v === undefined) out[i] = null;
        else if (v instanceof Uint8Array) out[i] = v;
        else if (v instanceof ArrayBuffer) out[i] = new Uint8Array(v);
        else if (typeof v === 'string') {
          const bytes = b64decode(v);
          if (!bytes) {
            incompatible('str', `The value at ${ctx.where(i)} is not valid base64.`, 'Send binary data as a Uint8Array or a base64 string.', rowExtra(i));
          }
          out[i] = bytes;
        } else incompatible(jsValueDtype(v), `The value ${pyRepr(v)} at ${ctx.where(i)} is ${pyTypeName(v)}.`, 'Pass a Uint8Array or a base64 string.', rowExtra(i));
      });
      return out;
    }
    case 'datetime': {
      values.forEach((v, i) => {
        if (v === null || v === undefined) out[i] = null;
        else if (v instanceof Date) out[i] = Number.isNaN(v.getTime()) ? null : new Date(v.getTime());
        else if (typeof v === 'string') {
          const parsed = parseIsoDatetime(v);
          if (!parsed) {
            throw schemaError(
              `Failed to convert ${ctx.label()} from type str to datetime: ${pyRepr(v)} at ${ctx.where(i)} is not an ISO-8601 datetime. Pass a Date or a string like '2024-05-06T07:08:09'.`,
              ctx.field,
              'datetime',
              'str',
              { ...ctx.extra(), ...rowExtra(i) },
            );
          }
          if (parsed.hasZone) {
            throw schemaError(
              `Please ensure that the input data of datetime column only contains timezone-naive datetime objects. ${pyRepr(v)} at ${ctx.where(i)} (${ctx.label()}) has a timezone. Pass a Date object, or the time without 'Z'/offset (read as UTC).`,
              ctx.field,
              'timezone-naive datetime',
              v,
              { ...ctx.extra(), ...rowExtra(i) },
            );
          }
          out[i] = parsed.date;
        } else incompatible(jsValueDtype(v), `The value ${pyRepr(v)} at ${ctx.where(i)} is ${pyTypeName(v)}.`, 'Pass a Date or an ISO-8601 string.', rowExtra(i));
      });
      return out;
    }
  }
}

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

/** `_enforce_type`: one value against an Array/Object/Map/Any/DataType type. */
export function enforceType(data: unknown, type: ValueType, required: boolean, field: string, path: string, row: number | undefined): unknown {
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
      if (!required && (data === null || data === undefined || (isPlainObject(data) && Object.keys(data).length === 0))) return data ?? null;
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
      const missing = Object.keys(type.properties).filter((k) => (type.properties[k] as PropertySpec).required && !present.includes(k));
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
      if ((!required || type.values === 'any') && (data === null || data === undefined || (isPlainObject(data) && Object.keys(data).length === 0))) {
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

export function describeMissing(missing: string[], extra: string[]): string {
  let message = `Model is missing inputs ${pyRepr(missing)}.`;
  if (extra.length > 0) message += ` Note that there were extra inputs: ${pyRepr(extra)}.`;
  return message;
}

/** Tensors given to a column signature become columns (`pd.DataFrame(ndarray | dict)`). */
export function tensorsToColumns(tensors: Record<string, Tensor>, schema: Schema & { kind: 'columns' }): PredictInput {
  const entries = Object.entries(tensors);
  const names = new Set(inputNames(schema));
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only && (!hasInputNames(schema) || !names.has(only[0]))) {
    const [, t] = only;
    const values = Array.from(t.data as ArrayLike<unknown>);
    if (t.shape.length <= 1) {
      const required = schema.columns.filter((c) => c.required);
      const key = hasInputNames(schema) && required.length === 1 ? (required[0]?.name as string) : UNNAMED_INPUT;
      return { kind: 'columns', columns: { [key]: values }, rows: values.length, dtypes: { [key]: t.dtype } };
    }
    if (t.shape.length === 2) {
      const [n = 0, k = 0] = t.shape;
      const columns: Columns = {};
      const dtypes: Record<string, string> = {};
      for (let j = 0; j < k; j++) {
        columns[String(j)] = Array.from({ length: n }, (_, i) => values[i * k + j]);
        dtypes[String(j)] = t.dtype;
      }
      return { kind: 'columns', columns, rows: n, dtypes };
    }
    throw schemaError(
      `Must pass 2-d input. shape=${pyTuple(t.shape)}: this model has a column-based signature, so a tensor input must have 1 or 2 dimensions. Reshape it to (rows, columns).`,
      only[0],
      '1-D or 2-D',
      pyTuple(t.shape),
    );
  }
  const columns: Columns = {};
  const dtypes: Record<string, string> = {};
  for (const [name, t] of entries) {
    const values = Array.from(t.data as ArrayLike<unknown>);
    if (t.shape.length <= 1) {
      columns[name] = values;
      dtypes[name] = t.dtype;
    } else {
      const inner = shapeSize(t.shape.slice(1));
      columns[name] = Array.from({ length: t.shape[0] ?? 0 }, (_, i) => nest(values.slice(i * inner, (i + 1) * inner), t.shape.slice(1)));
      dtypes[name] = 'object';
    }
  }
  return makeColumns(columns, dtypes, 'input');
}

export function nest(flat: unknown[], shape: number[]): unknown[] {
  if (shape.length <= 1) return flat;
  const inner = shapeSize(shape.slice(1));
  return Array.from({ length: shape[0] ?? 0 }, (_, i) => nest(flat.slice(i * inner, (i + 1) * inner), shape.slice(1)));
}

export function enforceColumns(input: PredictInput, schema: Schema & { kind: 'columns' }): PredictInput {
  const cols = input.kind === 'tensors' ? tensorsToColumns(input.tensors, schema) : input;
  if (cols.kind !== 'columns') throw new Error('unreachable');
  const dtypes = cols.dtypes ?? {};
  const out: Columns = {};
  const outDtypes: Record<string, string> = {};
  const enforceOne = (name: string, values: unknown[], spec: ColSpec) => {
    if (typeof spec.type === 'string' && spec.type !== 'any') {
      out[name] = enforceDataTypeValues(values, spec.type, dtypes[name], columnCtx(name));
      outDtypes[name] = DATATYPE_TO_DTYPE[spec.type];
    } else {
      out[name] = values.map((v, r) => enforceType(v, spec.type, spec.required, name, `${name}[${r}]`, r));
      outDtypes[name] = 'object';
    }
  };
  const actual = Object.keys(cols.columns);
  if (hasInputNames(schema)) {
    const required = schema.columns.filter((c) => c.required).map((c) => c.name as string);
    const all = new Set(schema.columns.map((c) => c.name as string));
    const missing = required.filter((n) => !actual.includes(n));
    const extra = actual.filter((n) => !all.has(n));
    if (missing.length > 0) {
      const spec = schema.columns.find((c) => c.name === missing[0]);
      throw schemaError(
        `${describeMissing(missing, extra)} Add ${missing.length === 1 ? 'the column' : 'the columns'} ${missing.map((m) => `'${m}'`).join(', ')}${extra.length > 0 ? ' (check the spelling of the extra ones)' : ''}.`,
        missing[0] as string,
        spec ? typeRepr(spec.type) : missing,
        'missing',
        { missing, extra },
      );
    }
    for (const spec of schema.columns) {
      const name = spec.name as string;
      const values = cols.columns[name];
      if (values === undefined) continue; // optional and absent
      enforceOne(name, values, spec);
    }
  } else {
    if (actual.length < schema.columns.length) {
      throw schemaError(
        `Model inference is missing inputs. The model signature declares ${schema.columns.length} inputs  but the provided value only has ${actual.length} inputs. Note: the inputs were not named in the signature so we can only verify their count. Pass ${schema.columns.length} columns in the signature's order.`,
        String(actual.length),
        schema.columns.length,
        actual.length,
      );
    }
    schema.columns.forEach((spec, i) => {
      const name = actual[i] as string;
      enforceOne(name, cols.columns[name] as unknown[], spec);
    });
  }
  return { kind: 'columns', columns: out, rows: cols.rows, dtypes: outDtypes };
}

/** `_enforce_tensor_spec`: shape (with -1 wildcards) and exact dtype. */
export function enforceTensorSpec(name: string, tensor: Tensor, spec: TensorSpec): Tensor {
  const expected = spec.shape;
  const actual = tensor.shape;
  const actualType = cleanDtype(tensor.dtype);
  if (expected.length === 1 && expected[0] === -1 && spec.type === 'object') return tensor;
  if (expected.length > 1 && expected.slice(1).includes(-1) && actual.length === 1 && actualType === 'object') return tensor;
  const label = spec.name === undefined ? 'the unnamed input tensor' : `tensor '${name}'`;
  if (actual.length !== expected.length || expected.some((d, i) => d !== -1 && d !== actual[i])) {
    throw schemaError(
      `Shape of input ${pyTuple(actual)} does not match expected shape ${pyTuple(expected)}. (${label}; -1 means any size) Reshape the data to ${pyTuple(expected)}.`,
      name,
      pyTuple(expected),
      pyTuple(actual),
    );
  }
  if (actualType !== spec.type) {
    const ctor = typedArrayFor(spec.type);
    throw schemaError(
      `dtype of input ${actualType} does not match expected dtype ${spec.type} (${label}). ${ctor ? `Pass a ${ctor.name}` : `Pass ${spec.type} data`}; MLflow does not convert tensor types.`,
      name,
      spec.type,
      actualType,
    );
  }
  return tensor;
}

/** `_reshape_and_cast_pandas_column_values`: a column (one tensor row per cell) → tensor. */
export function columnToTensor(name: string | null, values: unknown[], spec: TensorSpec): Tensor {
  const field = name ?? UNNAMED_INPUT;
  if (spec.shape[0] !== -1 || spec.shape.slice(1).includes(-1)) {
    throw schemaError(
      `For pandas dataframe input, the first dimension of shape must be a variable dimension and other dimensions must be fixed, but in model signature the shape of ${name ? `input ${name}` : 'the unnamed input'} is ${pyTuple(spec.shape)}. Pass a tensor (typed array) instead of columns.`,
      field,
      '(-1, fixed, ...)',
      pyTuple(spec.shape),
    );
  }
  const first = values[0];
  const castAll = (flat: unknown[]): Tensor['data'] => {
    const Ctor = typedArrayFor(spec.type);
    const vals = flat.map((v, i) => castScalar(v, spec.type, field, i));
    if (!Ctor) return vals;
    const data = new Ctor(vals.length);
    vals.forEach((v, i) => ((data as unknown as (number | bigint)[])[i] = v as number | bigint));
    return data as unknown as Tensor['data'];
  };
  if (isScalarCell(first)) {
    const shape = spec.shape.length === 1 ? [values.length] : spec.shape.length === 2 && spec.shape[1] === 1 ? [values.length, 1] : null;
    if (!shape) {
      throw schemaError(
        `The input pandas dataframe column '${name ?? 'None'}' contains scalar values, which requires the shape to be (-1,) or (-1, 1), but got tensor spec shape of ${pyTuple(spec.shape)}. Put one array of shape ${pyTuple(spec.shape.slice(1))} in each cell, or pass a tensor.`,
        field,
        pyTuple(spec.shape),
        'scalar cells',
      );
    }
    return enforceTensorSpec(field, { data: castAll(values), shape, dtype: spec.type }, spec);
  }
  const inner = spec.shape.slice(1);
  const fixed = shapeSize(inner);
  const reshapeError = (kind: string) =>
    schemaError(
      `The value in the Input DataFrame column '${name ?? 'None'}' could not be converted to the expected shape of: '${pyTuple(spec.shape)}'. Ensure that each of the input ${kind} elements are of uniform length and that the data can be coerced to the tensor type '${spec.type}'.`,
      field,
      pyTuple(spec.shape),
      'cells of another size',
    );
  if (Array.isArray(first)) {
    const flat: unknown[] = [];
    for (const cell of values) {
      if (!isArrayLikeValue(cell)) throw reshapeError('list');
      const cellFlat = flattenNested(cell, nestedShape(cell), field);
      if (cellFlat.length !== fixed) throw reshapeError('list');
      flat.push(...cellFlat);
    }
    return { data: castAll(flat), shape: [values.length, ...inner], dtype: spec.type };
  }
  if (isTypedArray(first) || isTensorObject(first)) {
    const cellDtype = isTypedArray(first) ? typedArrayDtype(first) : (first as Tensor).dtype;
    const Ctor = typedArrayFor(cellDtype);
    const parts: unknown[] = [];
    for (const cell of values) {
      const data = isTypedArray(cell) ? cell : isTensorObject(cell) ? cell.data : null;
      if (!data || data.length !== fixed) throw reshapeError('numpy array');
      parts.push(...Array.from(data as ArrayLike<unknown>));
    }
    let data: Tensor['data'] = parts as Tensor['data'];
    if (Ctor) {
      const typed = new Ctor(parts.length);
      parts.forEach((v, i) => ((typed as unknown as unknown[])[i] = v));
      data = typed as unknown as Tensor['data'];
    }
    // MLflow keeps the cells' own dtype here (no cast, no dtype check).
    return { data, shape: [values.length, ...inner], dtype: cellDtype };
  }
  throw schemaError(
    'Because the model signature requires tensor spec input, the input pandas dataframe values should be either scalar value, python list containing scalar values or numpy array containing scalar values, other types are not supported.',
    field,
    'scalars or arrays',
    pyTypeName(first),
  );
}

export function enforceTensors(input: PredictInput, schema: Schema & { kind: 'tensors' }): PredictInput {
  const named = hasInputNames(schema);
  if (input.kind === 'columns') {
    const names = Object.keys(input.columns);
    const dtypes = input.dtypes ?? {};
    if (named) {
      const missing = schema.tensors.map((t) => t.name as string).filter((n) => !names.includes(n));
      if (missing.length > 0) {
        const extra = names.filter((n) => !schema.tensors.some((t) => t.name === n));
        throw schemaError(`${describeMissing(missing, extra)} Add the missing input${missing.length > 1 ? 's' : ''}.`, missing[0] as string, missing, names, {
          missing,
          extra,
        });
      }
      const tensors: Record<string, Tensor> = {};
      for (const spec of schema.tensors) {
        const n = spec.name as string;
        tensors[n] = columnToTensor(n, input.columns[n] as unknown[], spec);
      }
      return { kind: 'tensors', tensors };
    }
    const spec = schema.tensors[0] as TensorSpec;
    if (input.rows === 0 || names.length === 0) {
      throw schemaError('Input DataFrame is empty. Pass at least one row.', UNNAMED_INPUT, 'at least one row', 0);
    }
    if (names.length === 1) {
      const n = names[0] as string;
      return { kind: 'tensors', tensors: { [UNNAMED_INPUT]: columnToTensor(null, input.columns[n] as unknown[], spec) } };
    }
    if (spec.shape.length !== 2 || spec.shape[0] !== -1 || spec.shape[1] !== names.length) {
      throw schemaError(
        `This model contains a model signature with an unnamed input. Since the input data is a pandas DataFrame containing multiple columns, the input shape must be of the structure (-1, number_of_dataframe_columns). Instead, the input DataFrame passed had ${names.length} columns and an input shape of ${pyTuple(spec.shape)} with all values within the DataFrame of scalar type. Please adjust the passed in DataFrame to match the expected structure`,
        UNNAMED_INPUT,
        pyTuple(spec.shape),
        `${names.length} columns`,
      );
    }
    const known = names.map((n) => dtypes[n]);
    const common = known.every((d) => d !== undefined && d === known[0]) ? known[0] : undefined;
    const flat: unknown[] = [];
    for (let r = 0; r < input.rows; r++) for (const n of names) flat.push((input.columns[n] as unknown[])[r]);
    if (common !== undefined) {
      const Ctor = typedArrayFor(common);
      let data: Tensor['data'] = flat as Tensor['data'];
      if (Ctor) {
        const typed = new Ctor(flat.length);
        flat.forEach((v, i) => ((typed as unknown as unknown[])[i] = v));
        data = typed as unknown as Tensor['data'];
      }
      return { kind: 'tensors', tensors: { [UNNAMED_INPUT]: enforceTensorSpec(UNNAMED_INPUT, { data, shape: [input.rows, names.length], dtype: common }, spec) } };
    }
    const t = tensorFromNested(nest(flat, [input.rows, names.length]), spec.type, UNNAMED_INPUT);
    return { kind: 'tensors', tensors: { [UNNAMED_INPUT]: enforceTensorSpec(UNNAMED_INPUT, t, spec) } };
  }
  const given = input.tensors;
  const keys = Object.keys(given);
  if (named) {
    let tensors = given;
    if (keys.length === 1 && keys[0] === UNNAMED_INPUT && schema.tensors.length === 1 && schema.tensors[0]?.name !== UNNAMED_INPUT) {
      tensors = { [schema.tensors[0]?.name as string]: given[UNNAMED_INPUT] as Tensor };
    }
    const have = Object.keys(tensors);
    const missing = schema.tensors.map((t) => t.name as string).filter((n) => !have.includes(n));
    if (missing.length > 0) {
      const extra = have.filter((n) => !schema.tensors.some((t) => t.name === n));
      const spec = schema.tensors.find((t) => t.name === missing[0]);
      throw schemaError(
        `${describeMissing(missing, extra)} Pass {${missing.map((m) => `${m}: <tensor>`).join(', ')}}.`,
        missing[0] as string,
        spec ? `${spec.type} ${pyTuple(spec.shape)}` : missing,
        'missing',
        { missing, extra },
      );
    }
    const out: Record<string, Tensor> = {};
    for (const spec of schema.tensors) {
      const n = spec.name as string;
      out[n] = enforceTensorSpec(n, tensors[n] as Tensor, spec);
    }
    return { kind: 'tensors', tensors: out };
  }
  if (keys.length !== 1 || keys[0] !== UNNAMED_INPUT) {
    throw schemaError(
      `This model contains a tensor-based model signature with no input names, which suggests a numpy array input or a pandas dataframe input with proper column values, but an input of type dict was found (keys ${pyRepr(keys)}). Pass the tensor itself (a typed array or {data, shape, dtype}).`,
      keys[0] ?? UNNAMED_INPUT,
      'a single unnamed tensor',
      keys,
    );
  }
  const spec = schema.tensors[0] as TensorSpec;
  return { kind: 'tensors', tensors: { [UNNAMED_INPUT]: enforceTensorSpec(UNNAMED_INPUT, given[UNNAMED_INPUT] as Tensor, spec) } };
}

/**
 * MLflow's `_enforce_schema`: only the conversions MLflow allows (see the module comment), extra
 * columns dropped and the rest put in signature order, optional columns may be missing, a missing
 * required column is an error; tensors: dtype and shape checked with -1 as a wildcard. Columns given
 * to a tensor signature are reshaped per `_reshape_and_cast_pandas_column_values`; tensors given to
 * a column signature become columns. Throws MlflowEdgeError (INVALID_PARAMETER_VALUE) before any
 * model runs; `details.field` names the column / tensor at fault.
 */
export function enforceSchema(input: PredictInput, schema: Schema): PredictInput {
  return schema.kind === 'columns' ? enforceColumns(input, schema) : enforceTensors(input, schema);
}
