/** Predict inputs in every shape MLflow's scoring server takes, normalised to columns or tensors. */
import { type AnyTypedArray, isPlainObject, isTypedArray } from '../predicates.js';
import { pyRepr, pySet, pyStrRepr, pyTuple, pyTypeName } from '../python.js';
import {
  type Columns,
  type ModelSignature,
  type PredictInput,
  type Schema,
  type Tensor,
  type TensorSpec,
  UNNAMED_INPUT,
} from './types.js';
import { canonicalDtype, dtypeInfo, INT_RANGES, jsValueDtype, typedArrayDtype, typedArrayFor } from './dtypes.js';
import { schemaError } from './schema-error.js';

export const SERVING_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

export function isTensorObject(value: unknown): value is Tensor {
  return (
    isPlainObject(value) &&
    'data' in value &&
    'shape' in value &&
    'dtype' in value &&
    Array.isArray(value.shape) &&
    typeof value.dtype === 'string' &&
    typeof value.data === 'object' &&
    value.data !== null &&
    typeof (value.data as ArrayLike<unknown>).length === 'number'
  );
}

export function isArrayLikeValue(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || isTypedArray(value);
}

/** A "scalar" cell in pandas' sense: not a list, array, dict or tensor. */
export function isScalarCell(value: unknown): boolean {
  return !isArrayLikeValue(value) && !isPlainObject(value);
}

export function inputNames(schema: Schema): string[] {
  const specs = schema.kind === 'columns' ? schema.columns : schema.tensors;
  return specs.map((s, i) => s.name ?? String(i));
}

export function hasInputNames(schema: Schema): boolean {
  const first = schema.kind === 'columns' ? schema.columns[0] : schema.tensors[0];
  return first?.name !== undefined;
}

export function makeColumns(columns: Columns, dtypes: Record<string, string>, where: string): PredictInput {
  let rows = -1;
  let first = '';
  for (const [name, values] of Object.entries(columns)) {
    if (rows === -1) {
      rows = values.length;
      first = name;
    } else if (values.length !== rows) {
      throw schemaError(
        `The length of values for each input/column name are not the same: column '${first}' has ${rows} values but column '${name}' has ${values.length} (${where}). Give every column the same number of rows.`,
        name,
        rows,
        values.length,
      );
    }
  }
  const out: PredictInput = { kind: 'columns', columns, rows: Math.max(rows, 0) };
  if (Object.keys(dtypes).length > 0) out.dtypes = dtypes;
  return out;
}

/** Records (array of objects) → columns; keys in first-seen order, missing cells null (pandas NaN). */
export function recordsToColumns(records: Record<string, unknown>[]): PredictInput {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  const columns: Columns = {};
  for (const n of names) columns[n] = records.map((r) => (r[n] === undefined ? null : r[n]));
  return { kind: 'columns', columns, rows: records.length };
}

/** Rows (list of lists, as `pd.DataFrame(rows)` / dataframe_split `data`) → columns. */
export function rowsToColumns(rows: unknown[], names: string[] | null, where: string): PredictInput {
  const width = names?.length ?? rows.reduce<number>((w, r) => Math.max(w, isArrayLikeValue(r) ? r.length : 1), 0);
  const keys = names ?? Array.from({ length: width }, (_, i) => String(i));
  const columns: Columns = {};
  for (const k of keys) columns[k] = [];
  rows.forEach((row, r) => {
    const cells = isArrayLikeValue(row) ? Array.from(row) : [row];
    if (names && cells.length !== names.length) {
      throw schemaError(
        `${names.length} columns passed, passed data had ${cells.length} columns (row ${r} of ${where}). Every row of 'data' needs one value per entry of 'columns'.`,
        where,
        names.length,
        cells.length,
      );
    }
    keys.forEach((k, i) => (columns[k] as unknown[]).push(cells[i] === undefined ? null : cells[i]));
  });
  return { kind: 'columns', columns, rows: rows.length };
}

/** Shape of nested JS arrays (following first elements). */
export function nestedShape(value: unknown): number[] {
  const shape: number[] = [];
  let v = value;
  while (isArrayLikeValue(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

/** Flattens nested arrays, checking they are rectangular. */
export function flattenNested(value: unknown, shape: number[], field: string): unknown[] {
  const out: unknown[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (isArrayLikeValue(node)) {
        throw schemaError(
          `Tensor '${field}': setting an array element with a sequence. The nested arrays have an inhomogeneous shape after ${depth} dimensions (expected a rectangular array of shape ${pyTuple(shape)}). Make every row the same length.`,
          field,
          pyTuple(shape),
          'ragged nested array',
        );
      }
      out.push(node);
      return;
    }
    if (!isArrayLikeValue(node) || node.length !== shape[depth]) {
      throw schemaError(
        `Tensor '${field}': the nested arrays have an inhomogeneous shape after ${depth} dimensions (expected a rectangular array of shape ${pyTuple(shape)}). Make every row the same length.`,
        field,
        pyTuple(shape),
        'ragged nested array',
      );
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1);
  };
  walk(value, 0);
  return out;
}

/** Converts one JS value to a numpy dtype the way `np.array(v, dtype)` would, refusing lossy casts. */
export function castScalar(
  value: unknown,
  dtype: string,
  field: string,
  index: number,
): number | bigint | boolean | string {
  const info = dtypeInfo(dtype);
  const fail = (why: string, hint: string): never => {
    throw schemaError(
      `Tensor '${field}': can not convert ${pyRepr(value)} (${jsValueDtype(value)}, element ${index}) to dtype ${dtype}: ${why}. ${hint}`,
      field,
      dtype,
      jsValueDtype(value),
      { index },
    );
  };
  switch (info.kind) {
    case 'f': {
      if (value === null || value === undefined) return NaN;
      if (typeof value === 'number') return dtype === 'float32' ? Math.fround(value) : value;
      if (typeof value === 'bigint') return Number(value);
      if (typeof value === 'string')
        return fail(`could not convert string to float: ${pyStrRepr(value)}`, 'Pass numbers.');
      return fail('not a number', 'Pass numbers.');
    }
    case 'i':
    case 'u': {
      const range = INT_RANGES[dtype] as readonly [bigint, bigint];
      let big: bigint;
      if (typeof value === 'bigint') big = value;
      else if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
      else if (typeof value === 'number') {
        return fail(
          Number.isNaN(value) ? 'missing value (NaN)' : 'not a whole number',
          `Pass whole numbers for an ${dtype} tensor, or change the signature's dtype.`,
        );
      } else
        return fail(
          value === null || value === undefined ? 'missing value' : 'not an integer',
          `Pass whole numbers for an ${dtype} tensor.`,
        );
      if (big < range[0] || big > range[1])
        return fail(`out of range [${range[0]}, ${range[1]}]`, 'Pass values that fit the dtype.');
      return info.itemsize === 8 ? big : Number(big);
    }
    case 'b':
      if (typeof value === 'boolean') return value;
      return fail('not a boolean', 'Pass true/false.');
    case 'U':
    case 'S':
      if (typeof value === 'string') return value;
      return fail('not a string', 'Pass strings.');
    case 'O':
      return value as string;
    default:
      return fail('this dtype can not be built from JavaScript values', 'Pass a typed array or change the signature.');
  }
}

/**
 * Tensors whose dtype nobody chose: built from plain JS values with no spec,
 * so `int64` / `float64` is only numpy's guess. A flavor may convert them
 * exactly to what the model declares (a typed array's dtype is the caller's).
 */
const guessedDtype = new WeakSet<Tensor>();
export function hasGuessedDtype(t: Tensor): boolean {
  return guessedDtype.has(t);
}

/** Builds a tensor of `dtype` from nested JS arrays (the scoring server's `np.array(data, dtype=...)`). */
export function tensorFromNested(value: unknown, dtype: string | null, field: string, spec?: TensorSpec): Tensor {
  if (spec && spec.type === 'object' && spec.shape.length === 1 && spec.shape[0] === -1 && isArrayLikeValue(value)) {
    // Ragged object tensor (-1,): anything goes.
    return { data: Array.from(value) as string[], shape: [value.length], dtype: 'object' };
  }
  const shape = nestedShape(value);
  const flat = flattenNested(value, shape, field);
  const dt = dtype ?? inferJsDtype(flat);
  const Ctor = typedArrayFor(dt);
  const values = flat.map((v, i) => castScalar(v, dt, field, i));
  let out: Tensor = { data: values, shape, dtype: dt };
  if (Ctor) {
    const data = new Ctor(values.length);
    values.forEach((v, i) => ((data as unknown as (number | bigint)[])[i] = v as number | bigint));
    out = { data: data as unknown as Tensor['data'], shape, dtype: dt };
  }
  if (dtype === null) guessedDtype.add(out);
  return out;
}

/** numpy's dtype for `np.array(values)` of JSON-like JS values. */
export function inferJsDtype(values: unknown[]): string {
  if (values.length === 0) return 'float64';
  if (values.every((v) => typeof v === 'boolean')) return 'bool';
  if (values.every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v)))) return 'int64';
  if (values.every((v) => typeof v === 'number' || typeof v === 'bigint' || v === null)) return 'float64';
  if (values.every((v) => typeof v === 'string')) return 'str';
  return 'object';
}

/** Number of elements of a shape, or null if it has a -1. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A flat row-major list as nested arrays of `shape` (the inverse of flattenNested). */
export function nest(flat: unknown[], shape: number[]): unknown[] {
  if (shape.length <= 1) return flat;
  const inner = shapeSize(shape.slice(1));
  return Array.from({ length: shape[0] ?? 0 }, (_, i) => nest(flat.slice(i * inner, (i + 1) * inner), shape.slice(1)));
}

/** A typed array or {data, shape, dtype} as a checked Tensor; a flat typed array is shaped after `spec`. */
export function toTensor(value: AnyTypedArray | Tensor, field: string, spec?: TensorSpec): Tensor {
  if (isTypedArray(value)) {
    const dtype = typedArrayDtype(value);
    if (dtype === 'object') {
      throw schemaError(
        `Tensor '${field}': unsupported typed array ${value.constructor.name}.`,
        field,
        'a numeric typed array',
        value.constructor.name,
      );
    }
    let shape = [value.length];
    if (spec && spec.shape.length > 1 && spec.shape.filter((d) => d === -1).length <= 1) {
      const fixed = spec.shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      if (fixed > 0 && value.length % fixed === 0) {
        const shaped = spec.shape.map((d) => (d === -1 ? value.length / fixed : d));
        if (shapeSize(shaped) === value.length) shape = shaped;
      }
    }
    return { data: value as unknown as Tensor['data'], shape, dtype };
  }
  const shape = value.shape;
  if (!shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw schemaError(
      `Tensor '${field}': shape must be a list of non-negative integers, got ${pyRepr(shape)}.`,
      field,
      'list of int',
      shape,
    );
  }
  const dtype = canonicalDtype(value.dtype, field);
  if (shapeSize(shape) !== value.data.length) {
    throw schemaError(
      `Tensor '${field}': ${value.data.length} values do not fill shape ${pyTuple(shape)} (${shapeSize(shape)} values). Make data.length equal the product of the shape.`,
      field,
      shapeSize(shape),
      value.data.length,
    );
  }
  if (isTypedArray(value.data)) {
    const actual = typedArrayDtype(value.data);
    const ok = actual === dtype || (dtype === 'bool' && actual === 'uint8');
    if (!ok) {
      throw schemaError(
        `Tensor '${field}' declares dtype ${dtype} but its data is a ${value.data.constructor.name} (${actual}). Use a typed array matching the dtype.`,
        field,
        dtype,
        actual,
      );
    }
    return { data: value.data, shape: [...shape], dtype };
  }
  const Ctor = typedArrayFor(dtype);
  const flat = Array.from(value.data as ArrayLike<unknown>).map((v, i) => castScalar(v, dtype, field, i));
  if (Ctor) {
    const data = new Ctor(flat.length);
    flat.forEach((v, i) => ((data as unknown as (number | bigint)[])[i] = v as number | bigint));
    return { data: data as unknown as Tensor['data'], shape: [...shape], dtype };
  }
  return { data: flat, shape: [...shape], dtype };
}

export function tensorSpecFor(schema: Schema | null, name: string): TensorSpec | undefined {
  if (schema?.kind !== 'tensors') return undefined;
  if (!hasInputNames(schema)) return schema.tensors[0];
  return (
    schema.tensors.find((t) => t.name === name) ??
    (name === UNNAMED_INPUT && schema.tensors.length === 1 ? schema.tensors[0] : undefined)
  );
}

/** The key a single unnamed value (array, scalar, tensor) gets: the only input's name, or "0". */
export function singleKey(schema: Schema | null): string {
  if (!schema || !hasInputNames(schema)) return UNNAMED_INPUT;
  const names = inputNames(schema);
  return names.length === 1 ? (names[0] as string) : UNNAMED_INPUT;
}

export function isSingleArrayColumnSchema(schema: Schema | null): boolean {
  if (schema?.kind !== 'columns' || schema.columns.length !== 1) return false;
  const t = schema.columns[0]?.type;
  return typeof t === 'object' && (t.type === 'array' || t.type === 'sparkml_vector');
}

export function fromValue(v: unknown, schema: Schema | null): PredictInput {
  const kind = schema?.kind ?? null;
  if (isTypedArray(v) || isTensorObject(v)) {
    const key = singleKey(schema);
    return { kind: 'tensors', tensors: { [key]: toTensor(v, key, tensorSpecFor(schema, key)) } };
  }
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every(isPlainObject) && !v.some(isTensorObject)) return recordsToColumns(v);
    const nested = v.some(isArrayLikeValue);
    if (kind === 'tensors' || (kind === null && nested)) {
      const key = singleKey(schema);
      const spec = tensorSpecFor(schema, key);
      return { kind: 'tensors', tensors: { [key]: tensorFromNested(v, spec?.type ?? null, key, spec) } };
    }
    if (isSingleArrayColumnSchema(schema) && (nested || v.length === 0)) {
      // Each element is one array cell of the only column.
      return { kind: 'columns', columns: { [singleKey(schema)]: [...v] }, rows: v.length };
    }
    if (nested) return rowsToColumns(v, null, 'input');
    return {
      kind: 'columns',
      columns: { [singleKey(schema)]: v.map((x) => (x === undefined ? null : x)) },
      rows: v.length,
    };
  }
  if (isPlainObject(v)) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    // A Uint8Array for a binary column is one binary value, not a uint8 column.
    const binaryCell = (name: string, x: unknown) =>
      x instanceof Uint8Array &&
      schema?.kind === 'columns' &&
      schema.columns.some((c) => c.name === name && c.type === 'binary');
    const allTensors =
      entries.length > 0 && entries.every(([n, x]) => (isTypedArray(x) || isTensorObject(x)) && !binaryCell(n, x));
    if (kind === 'tensors' || (kind === null && allTensors)) {
      const tensors: Record<string, Tensor> = {};
      for (const [name, x] of entries) {
        const spec = tensorSpecFor(schema, name);
        if (isTypedArray(x) || isTensorObject(x)) tensors[name] = toTensor(x, name, spec);
        else tensors[name] = tensorFromNested(x, spec?.type ?? null, name, spec);
      }
      return { kind: 'tensors', tensors };
    }
    if (allTensors) {
      return {
        kind: 'tensors',
        tensors: Object.fromEntries(entries.map(([n, x]) => [n, toTensor(x as AnyTypedArray | Tensor, n)])),
      };
    }
    const hasComplexColumn =
      schema?.kind === 'columns' &&
      schema.columns.some((c) => typeof c.type === 'object' && (c.type.type === 'array' || c.type.type === 'object'));
    const allScalar = entries.every(([n, x]) => isScalarCell(x) || binaryCell(n, x));
    if (hasComplexColumn || allScalar) return recordsToColumns([Object.fromEntries(entries)]);
    // Columnar: {col: values}; scalars are broadcast like pd.DataFrame(dict).
    const length = Math.max(...entries.map(([, x]) => (isArrayLikeValue(x) ? x.length : 1)));
    const columns: Columns = {};
    const dtypes: Record<string, string> = {};
    for (const [name, x] of entries) {
      if (binaryCell(name, x)) columns[name] = Array.from({ length }, () => x);
      else if (isTypedArray(x)) {
        columns[name] = Array.from(x as ArrayLike<unknown>);
        dtypes[name] = typedArrayDtype(x);
      } else if (Array.isArray(x)) columns[name] = x.map((c) => (c === undefined ? null : c));
      else columns[name] = Array.from({ length }, () => x);
    }
    return makeColumns(columns, dtypes, 'input');
  }
  // Scalar → one row (or a 0-d tensor).
  if (kind === 'tensors') {
    const key = singleKey(schema);
    const spec = tensorSpecFor(schema, key);
    return { kind: 'tensors', tensors: { [key]: tensorFromNested(v, spec?.type ?? null, key, spec) } };
  }
  return { kind: 'columns', columns: { [singleKey(schema)]: [v === undefined ? null : v] }, rows: 1 };
}

/**
 * Accepts: records (array of objects), columns ({col: array}), MLflow serving payloads
 * ({dataframe_split:{columns,data}}, {dataframe_records:[...]}, {inputs: ...}, {instances: ...}) with
 * an optional top-level `params`, a typed array, a `{data, shape, dtype}` tensor, or
 * {name: typed array | tensor | nested array}. Returns the normalised input and the params found in
 * the payload. Which form a value takes depends on the signature (as in MLflow's scoring server):
 * a tensor signature turns nested arrays into tensors of its dtype, a column signature turns them
 * into rows. An unnamed input is stored under the key "0" (`UNNAMED_INPUT`).
 */
export function normalizeInput(
  input: unknown,
  signature: ModelSignature | null,
): { input: PredictInput; params?: Record<string, unknown> } {
  const schema = signature?.inputs ?? null;
  if (schema?.kind === 'tensors') {
    const given = namedTensorsAsGiven(input, schema);
    if (given !== undefined) return { input: given };
  }
  if (isPlainObject(input) && !isTensorObject(input)) {
    const names = schema ? inputNames(schema) : [];
    const dataKeys = SERVING_KEYS.filter((k) => k in input && input[k] !== undefined && !names.includes(k));
    if (dataKeys.length > 1) {
      const inOrder = Object.keys(input).filter((k) => (dataKeys as string[]).includes(k));
      throw schemaError(
        `The input must be a JSON dictionary with exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}. Received dictionary with input fields: ${pyRepr(Object.keys(input))}. Keep only one of them.`,
        inOrder[1] as string,
        'exactly one of dataframe_split, dataframe_records, instances, inputs',
        dataKeys,
      );
    }
    const key = dataKeys[0];
    if (key !== undefined) {
      let params: Record<string, unknown> | undefined;
      const rawParams = input.params;
      if (rawParams !== undefined && rawParams !== null && !names.includes('params')) {
        if (!isPlainObject(rawParams)) {
          throw schemaError(
            `Parameters must be a dictionary. Got type '${pyTypeName(rawParams)}'. Send params as {"params": {"name": value}}.`,
            'params',
            'dict',
            pyTypeName(rawParams),
          );
        }
        params = rawParams;
      }
      const body = input[key];
      let result: PredictInput;
      if (key === 'dataframe_split') result = fromSplit(body);
      else if (key === 'dataframe_records') result = fromRecords(body);
      else {
        const extra = Object.keys(input).filter((k) => k !== key && k !== 'params');
        if (extra.length > 0) {
          throw schemaError(
            `One of "instances" and "inputs" must be specified (not both or any other keys).Received: ${pyRepr(Object.keys(input).filter((k) => k !== 'params'))}. Remove ${pyRepr(extra)}.`,
            extra[0] as string,
            [key],
            Object.keys(input),
          );
        }
        result = key === 'instances' ? fromInstances(body, schema) : fromInputs(body, schema);
      }
      return params ? { input: result, params } : { input: result };
    }
  }
  return { input: fromValue(input, schema) };
}

/**
 * The common case, `{ name: { data: typed array, shape, dtype } }` with every
 * name in a named tensor signature and each dtype exactly its typed array's,
 * without the general walk (a batch-1 predict spends a fair share of its
 * worker time there). Returns what `fromValue` returns for such input, or
 * undefined for anything else, which then takes the general path.
 */
function namedTensorsAsGiven(input: unknown, schema: Schema & { kind: 'tensors' }): PredictInput | undefined {
  if (!isPlainObject(input) || isTensorObject(input) || !hasInputNames(schema)) return undefined;
  const tensors: Record<string, Tensor> = {};
  let count = 0;
  for (const name of Object.keys(input)) {
    const x = input[name];
    if (!isTensorObject(x) || !schema.tensors.some((t) => t.name === name) || !isTypedArray(x.data)) return undefined;
    const dtype = typedArrayDtype(x.data);
    if (x.dtype !== dtype || dtype === 'object') return undefined; // aliases, bool as uint8, …: the general path
    let size = 1;
    for (const d of x.shape) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) return undefined;
      size *= d;
    }
    if (size !== x.data.length) return undefined;
    tensors[name] = { data: x.data, shape: [...x.shape], dtype };
    count++;
  }
  return count > 0 ? { kind: 'tensors', tensors } : undefined;
}

export function fromSplit(body: unknown): PredictInput {
  if (!isPlainObject(body)) {
    const t = Array.isArray(body) ? 'list' : `type ${pyTypeName(body)}`;
    throw schemaError(
      `Dataframe split format must be a dictionary. Got ${t}. Send {"dataframe_split": {"columns": [...], "data": [[...], ...]}}.`,
      'dataframe_split',
      'dict',
      pyTypeName(body),
    );
  }
  const keys = Object.keys(body);
  const extra = keys.filter((k) => !['columns', 'data', 'index'].includes(k));
  if (!('data' in body) || extra.length > 0) {
    throw schemaError(
      `Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got ${pySet(keys)}.`,
      extra[0] ?? 'data',
      ['data', 'columns', 'index'],
      keys,
    );
  }
  const data = body.data;
  if (!Array.isArray(data)) {
    throw schemaError(
      `'dataframe_split.data' must be a list of rows, got ${pyTypeName(data)}.`,
      'data',
      'list',
      pyTypeName(data),
    );
  }
  const cols = body.columns;
  if (cols !== undefined && cols !== null && !Array.isArray(cols)) {
    throw schemaError(
      `'dataframe_split.columns' must be a list of names, got ${pyTypeName(cols)}.`,
      'columns',
      'list',
      pyTypeName(cols),
    );
  }
  const names = Array.isArray(cols) ? cols.map(String) : null;
  return rowsToColumns(data, names, 'dataframe_split');
}

export function fromRecords(body: unknown): PredictInput {
  if (!Array.isArray(body)) {
    const t = isPlainObject(body) ? 'dictionary' : `type ${pyTypeName(body)}`;
    throw schemaError(
      `Dataframe records format must be a list of records. Got ${t}. Send {"dataframe_records": [{"col": value, ...}, ...]}.`,
      'dataframe_records',
      'list',
      pyTypeName(body),
    );
  }
  if (body.every(isPlainObject)) return recordsToColumns(body);
  if (body.every(isArrayLikeValue)) return rowsToColumns(body, null, 'dataframe_records');
  const bad = body.findIndex((r) => !isPlainObject(r));
  throw schemaError(
    `Provided dataframe_records field is not a valid dataframe representation in 'records' format: element ${bad} is ${pyTypeName(body[bad])}, not a record. Every element must be an object {"col": value}.`,
    'dataframe_records',
    'list of dict',
    pyTypeName(body[bad]),
  );
}

export function fromInstances(body: unknown, schema: Schema | null): PredictInput {
  if (Array.isArray(body) && body.length > 0 && isPlainObject(body[0])) {
    if (!body.every(isPlainObject)) {
      throw schemaError(
        `'instances' mixes records and other values. Send a list of objects or a list of values.`,
        'instances',
        'list of dict',
        'mixed list',
      );
    }
    const cols = recordsToColumns(body);
    if (cols.kind === 'columns' && schema?.kind === 'columns' && hasInputNames(schema)) {
      // MLflow builds one list per key, so a record missing a required scalar column is a length mismatch.
      for (const c of schema.columns) {
        const t = c.type;
        if (!c.required || (typeof t === 'object' && t.type === 'array')) continue;
        const name = c.name as string;
        const missingAt = body.findIndex((r) => !(name in r));
        if (name in cols.columns && missingAt >= 0) {
          throw schemaError(
            `The length of values for each input/column name are not the same: instance ${missingAt} has no '${name}'. Give every instance a value for '${name}'.`,
            name,
            body.length,
            body.length - body.filter((r) => !(name in r)).length,
          );
        }
      }
    }
    if (schema?.kind === 'tensors') return fromInputs(cols.kind === 'columns' ? cols.columns : {}, schema);
    return cols;
  }
  return fromInputs(body, schema);
}

export function fromInputs(body: unknown, schema: Schema | null): PredictInput {
  if (schema && !hasInputNames(schema) && isPlainObject(body) && !isTensorObject(body)) {
    throw schemaError(
      `Failed to parse input data. This model contains an un-named  model signature which expects a single n-dimensional array or a single value as input, however, an input of type dict was found. Send {"inputs": [...]} with a list, or name the inputs in the signature.`,
      'inputs',
      'list or scalar',
      'dict',
    );
  }
  return fromValue(body, schema);
}
