/**
 * Datasets as MLflow logs them (`mlflow.data.from_pandas`, `from_numpy`):
 * plain data (name, digest, source, schema, profile) computed once, here,
 * from the values; the values themselves are not kept. Tables (records or
 * columns) are MLflow's PandasDataset; typed arrays with a shape are its
 * NumpyDataset. Every check runs before a dataset exists: a bad one throws
 * and nothing is logged.
 */
import { invalidParameter } from '../errors.js';
import { loneSurrogateIndex } from '../text.js';
import { pyJsonDumps } from '../python.js';
import { MAX_ROWS, numpyDigest, pandasDigest, type DigestColumn } from './digest.js';
import {
  checkLength,
  MAX_DATASET_DIGEST_SIZE,
  MAX_DATASET_NAME_SIZE,
  MAX_DATASET_PROFILE_SIZE,
  MAX_DATASET_SCHEMA_SIZE,
  MAX_DATASET_SOURCE_SIZE,
} from './limits.js';
import type { HashInput } from './pandas-hash.js';
import { codeSource, resolveSource, type DatasetSource } from './sources.js';

/** MLflow's Dataset entity (`mlflow.entities.Dataset`), as logged with a run input. */
export interface Dataset {
  name: string;
  /** 8 hex digits, as MLflow computes them for this kind of dataset. */
  digest: string;
  /** e.g. `http`, `local`, `s3`, `code`. */
  sourceType: string;
  /** The source as JSON, e.g. `{"url": "https://…"}`. */
  source: string;
  /** MLflow's schema JSON: `{"mlflow_colspec": […]}` for a table, `{"mlflow_tensorspec": …}` for arrays. */
  schema?: string;
  /** JSON: `{"num_rows": …, "num_elements": …}` for a table; shapes, sizes and bytes for arrays. */
  profile?: string;
}

export interface DatasetOptions {
  /** Default `dataset`, as MLflow's. */
  name?: string;
  /**
   * A URL (`https://…` → MLflow's HTTPDatasetSource), a storage URI
   * (`s3://…`, `gs://…`), a path (`local`), or `{ sourceType, source }`.
   * Default: the code that logs it (MLflow's CodeDatasetSource), named by
   * the run's `mlflow.user`, `mlflow.source.name` and `mlflow.source.type`
   * tags when it is logged.
   */
  source?: string | DatasetSource;
  /** Your own digest instead of the computed one (≤ 36 characters). */
  digest?: string;
}

/** Values of one table column: JS values, or a typed array (its dtype is then exact). */
export type ColumnValues =
  | readonly (number | string | boolean | bigint | null | undefined)[]
  | Float64Array
  | Float32Array
  | Int32Array
  | BigInt64Array;

/** A numpy-like array: elements in row-major (C) order and a shape; a bare typed array is 1-D. */
export type ArrayData = Float64Array | Float32Array | Int32Array | BigInt64Array;
export type NumpyArray = ArrayData | { data: ArrayData; shape: readonly number[] };

/** The code source logInput fills with the run's tags. */
export const UNRESOLVED_CODE_SOURCE = codeSource({});

/** MLflow's ColSpec type of each column dtype (`_infer_pandas_column`). */
const COLSPEC_TYPE = {
  int64: 'long',
  int32: 'integer',
  float64: 'double',
  float32: 'float',
  bool: 'boolean',
  str: 'string',
} as const;
type Dtype = keyof typeof COLSPEC_TYPE;

interface TypedColumn {
  name: string;
  dtype: Dtype;
  required: boolean;
  hash?: HashInput;
}

/** pandas hashes strings as UTF-8, which a lone surrogate is not: MLflow Python fails on them too. */
const notWellFormed = (what: string, details: Record<string, unknown>) =>
  invalidParameter(
    `${what} is not well-formed Unicode (it has a lone surrogate), so it has no UTF-8 form to hash. Remove it, or replace it with text.toWellFormed().`,
    details,
  );

const isMissing = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
const kindOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : v instanceof Date ? 'Date' : typeof v;

/** A column's dtype as pandas gives a Python list of the same values, and what the digest hashes of it. */
function typeColumn(name: string, values: ColumnValues): TypedColumn {
  const head = (n: number) => Math.min(n, MAX_ROWS);
  if (values instanceof Float64Array || values instanceof Float32Array) {
    const dtype = values instanceof Float64Array ? 'float64' : 'float32';
    return {
      name,
      dtype,
      required: !values.some(Number.isNaN),
      hash: { dtype, values: values.subarray(0, head(values.length)) } as HashInput,
    };
  }
  if (values instanceof Int32Array)
    return { name, dtype: 'int32', required: true, hash: { dtype: 'int32', values: values.subarray(0, MAX_ROWS) } };
  if (values instanceof BigInt64Array)
    return { name, dtype: 'int64', required: true, hash: { dtype: 'int64', values: values.subarray(0, MAX_ROWS) } };
  if (!Array.isArray(values)) {
    throw invalidParameter(
      `Column '${name}' is a ${kindOf(values)}: a column is an array of numbers, strings, booleans or bigints (null for a missing value), or a Float64Array, Float32Array, Int32Array or BigInt64Array.`,
      { column: name },
    );
  }
  let numbers = 0;
  let strings = 0;
  let booleans = 0;
  let bigints = 0;
  let missing = 0;
  let nans = 0;
  let fractional = false;
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (isMissing(v)) {
      missing++;
      if (typeof v === 'number') nans++;
    } else if (typeof v === 'number') {
      numbers++;
      if (!fractional && !(Number.isInteger(v) && Math.abs(v) < 2 ** 63)) fractional = true;
    } else if (typeof v === 'string') {
      strings++;
      if (loneSurrogateIndex(v) !== -1) throw notWellFormed(`Column '${name}' at row ${i}`, { column: name, row: i });
    } else if (typeof v === 'boolean') booleans++;
    else if (typeof v === 'bigint') bigints++;
    else {
      throw invalidParameter(
        `Column '${name}' holds a value of an unsupported type (${kindOf(v)}) at row ${i}. Dataset columns hold numbers, strings, booleans or bigints, with null for a missing value; convert it (e.g. a Date to its ISO string) first.`,
        { column: name, row: i },
      );
    }
  }
  const kinds = [numbers && 'numbers', strings && 'strings', booleans && 'booleans', bigints && 'bigints'].filter(
    Boolean,
  );
  if (kinds.length > 1) {
    throw invalidParameter(
      `Column '${name}' mixes ${kinds.join(' and ')}: MLflow infers one type per column. Convert the values to one type (e.g. String(v)).`,
      { column: name },
    );
  }
  const n = head(values.length);
  if (strings > 0) {
    // Only a column of strings alone is hashed (pandas' `map(type) == str` over the whole column).
    const hash: HashInput | undefined =
      missing === 0 ? { dtype: 'str', values: (values as readonly string[]).slice(0, n) } : undefined;
    return hash === undefined ? { name, dtype: 'str', required: false } : { name, dtype: 'str', required: true, hash };
  }
  if (booleans > 0 && missing === 0) return { name, dtype: 'bool', required: true };
  if (bigints > 0 && missing === 0) {
    return {
      name,
      dtype: 'int64',
      required: true,
      hash: { dtype: 'int64', values: BigInt64Array.from((values as readonly bigint[]).slice(0, n)) },
    };
  }
  // NaN is a float: a column of NaN alone (and nulls) is float64, as pandas makes [nan, nan].
  if (numbers > 0 || nans > 0) {
    if (missing === 0 && !fractional) {
      const ints = new BigInt64Array(n);
      for (let i = 0; i < n; i++) ints[i] = BigInt(values[i] as number);
      return { name, dtype: 'int64', required: true, hash: { dtype: 'int64', values: ints } };
    }
    const floats = new Float64Array(n);
    for (let i = 0; i < n; i++) floats[i] = isMissing(values[i]) ? Number.NaN : (values[i] as number);
    return { name, dtype: 'float64', required: missing === 0, hash: { dtype: 'float64', values: floats } };
  }
  throw invalidParameter(
    `Column '${name}' has ${booleans + bigints > 0 ? 'missing values among its booleans or bigints' : 'no values but missing ones'}: MLflow cannot infer its type. Fill the missing values, or leave the column out.`,
    { column: name },
  );
}

function finish(options: DatasetOptions, computed: () => string, schema: string | undefined, profile: string): Dataset {
  const name = options.name ?? 'dataset';
  if (typeof name !== 'string' || name === '')
    throw invalidParameter('A dataset name is a non-empty string, e.g. "iris_train".');
  checkLength('name', name, MAX_DATASET_NAME_SIZE, 'Give the dataset a shorter name.');
  const source = options.source === undefined ? UNRESOLVED_CODE_SOURCE : resolveSource(options.source);
  checkLength('source', source.source, MAX_DATASET_SOURCE_SIZE, 'Use a shorter URL or URI.');
  if (schema !== undefined)
    checkLength(
      'schema',
      schema,
      MAX_DATASET_SCHEMA_SIZE,
      'The dataset has too many columns for MLflow to record its schema; log a subset of its columns (or fewer, shorter column names).',
    );
  checkLength('profile', profile, MAX_DATASET_PROFILE_SIZE, 'The profile is too large for MLflow.');
  if (options.digest !== undefined) {
    if (typeof options.digest !== 'string' || options.digest === '')
      throw invalidParameter('A dataset digest is a non-empty string (≤ 36 characters).');
    checkLength('digest', options.digest, MAX_DATASET_DIGEST_SIZE, 'Use a shorter digest, or let it be computed.');
  }
  const dataset: Dataset = {
    name,
    digest: options.digest ?? computed(),
    sourceType: source.sourceType,
    source: source.source,
    profile,
  };
  if (schema !== undefined) dataset.schema = schema;
  return Object.freeze(dataset);
}

/**
 * A table given as columns (MLflow's `from_pandas` of `pd.DataFrame(columns)`):
 * an object of name → values, or `[name, values]` pairs to fix the order
 * (JavaScript lists integer-like keys of an object first). All columns have
 * one length. A column of integral numbers is int64 (`long`), as Python ints
 * are; one with a fraction or a missing value (null, NaN) is float64
 * (`double`); pass a Float64Array, Float32Array, Int32Array or BigInt64Array
 * for an exact dtype.
 */
export function fromColumns(
  columns: Record<string, ColumnValues> | readonly (readonly [string, ColumnValues])[],
  options: DatasetOptions = {},
): Dataset {
  const entries: (readonly [string, ColumnValues])[] = Array.isArray(columns)
    ? [...(columns as readonly (readonly [string, ColumnValues])[])]
    : typeof columns === 'object' && columns !== null
      ? Object.entries(columns as Record<string, ColumnValues>)
      : [];
  if (entries.length === 0)
    throw invalidParameter('A dataset needs at least one column, e.g. fromColumns({ x: [1, 2, 3] }).');
  const seen = new Set<string>();
  for (const [name] of entries) {
    if (typeof name !== 'string') throw invalidParameter('Column names are strings.');
    if (loneSurrogateIndex(name) !== -1) throw notWellFormed(`Column name '${name}'`, { column: name });
    if (seen.has(name)) throw invalidParameter(`Column '${name}' is given twice.`, { column: name });
    seen.add(name);
  }
  const rows = (entries[0]![1] as { length?: unknown }).length;
  for (const [name, values] of entries) {
    const length = (values as { length?: unknown } | null)?.length;
    if (length !== rows) {
      throw invalidParameter(
        `All columns must have the same length: '${entries[0]![0]}' has ${String(rows)} values, '${name}' has ${String(length)}. Pad the shorter ones with null (a missing value).`,
        { column: name },
      );
    }
  }
  if (typeof rows !== 'number' || rows === 0)
    throw invalidParameter('A dataset needs at least one row: MLflow infers column types from the values.');
  const typed = entries.map(([name, values]) => typeColumn(name, values));
  const schema = pyJsonDumps({
    mlflow_colspec: typed.map((c) => ({ type: COLSPEC_TYPE[c.dtype], name: c.name, required: c.required })),
  });
  const profile = pyJsonDumps({ num_rows: rows, num_elements: rows * typed.length });
  const digestColumns: DigestColumn[] = typed.map((c) => (c.hash === undefined ? { name: c.name } : c));
  return finish(options, () => pandasDigest(digestColumns, rows), schema, profile);
}

/**
 * A table given as rows (MLflow's `from_pandas` of `pd.DataFrame(records)`):
 * columns in the order their keys first appear; a key a record lacks is a
 * missing value there, as pandas fills it. Types as in fromColumns.
 */
export function fromRecords(records: readonly Record<string, unknown>[], options: DatasetOptions = {}): Dataset {
  if (!Array.isArray(records) || records.length === 0)
    throw invalidParameter('A dataset needs at least one record, e.g. fromRecords([{ x: 1, y: "a" }]).');
  const columns = new Map<string, unknown[]>();
  records.forEach((record, i) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw invalidParameter(`Record ${i} is a ${kindOf(record)}: each record is an object of column → value.`, {
        row: i,
      });
    for (const key of Object.keys(record)) {
      let column = columns.get(key);
      if (column === undefined) {
        column = new Array<unknown>(i).fill(null);
        columns.set(key, column);
      }
      column[i] = record[key];
    }
    for (const column of columns.values()) if (column.length === i) column.push(null);
  });
  return fromColumns([...columns] as [string, ColumnValues][], options);
}

const ARRAY_DTYPE = (data: unknown): 'float64' | 'float32' | 'int32' | 'int64' | undefined =>
  data instanceof Float64Array
    ? 'float64'
    : data instanceof Float32Array
      ? 'float32'
      : data instanceof Int32Array
        ? 'int32'
        : data instanceof BigInt64Array
          ? 'int64'
          : undefined;

function checkArray(what: string, array: NumpyArray): { data: ArrayData; shape: number[]; dtype: string } {
  const given = ArrayBuffer.isView(array) ? { data: array, shape: [array.length] } : array;
  const dtype = ARRAY_DTYPE(given?.data);
  if (given === undefined || given === null || dtype === undefined) {
    throw invalidParameter(
      `The ${what} are a Float64Array, Float32Array, Int32Array or BigInt64Array, or { data, shape } with one of them as data.`,
    );
  }
  const shape = [...(given.shape ?? [])];
  if (shape.length === 0 || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw invalidParameter(`The ${what}' shape must list one or more sizes ≥ 0, e.g. [150, 4].`, { shape });
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== given.data.length) {
    throw invalidParameter(
      `The ${what}' shape [${shape.join(', ')}] holds ${size} elements, but the data has ${given.data.length}. Give the shape of the data, in row-major order.`,
      { shape, length: given.data.length },
    );
  }
  return { data: given.data, shape, dtype };
}

const tensorSpec = (a: { shape: number[]; dtype: string }) =>
  pyJsonDumps([{ type: 'tensor', 'tensor-spec': { dtype: a.dtype, shape: [-1, ...a.shape.slice(1)] } }]);

/**
 * Arrays as MLflow's `from_numpy(features, targets=…)`: typed arrays with a
 * shape (`{ data, shape }`, row-major) or bare (1-D). float64, float32,
 * int32 and int64 (BigInt64Array) elements.
 */
export function fromNumpy(features: NumpyArray, options: DatasetOptions & { targets?: NumpyArray } = {}): Dataset {
  const f = checkArray('features', features);
  const t = options.targets === undefined ? undefined : checkArray('targets', options.targets);
  const schema = pyJsonDumps({
    mlflow_tensorspec: { features: tensorSpec(f), targets: t === undefined ? null : tensorSpec(t) },
  });
  const profile: Record<string, unknown> = {
    features_shape: f.shape,
    features_size: f.data.length,
    features_nbytes: f.data.byteLength,
  };
  if (t !== undefined)
    Object.assign(profile, { targets_shape: t.shape, targets_size: t.data.length, targets_nbytes: t.data.byteLength });
  const asHash = (a: typeof f) => ({ hash: { dtype: a.dtype, values: a.data } as HashInput, shape: a.shape });
  return finish(
    options,
    () => numpyDigest(asHash(f), t === undefined ? undefined : asHash(t)),
    schema,
    pyJsonDumps(profile),
  );
}
