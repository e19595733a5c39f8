/**
 * Datasets against MLflow Python 3.17.2: name, digest, source, schema and
 * profile of the same values (fixtures/datasets/generate.py writes them).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromColumns, fromNumpy, fromRecords, type ColumnValues } from '../../../src/schema/datasets/dataset.js';
import { MlflowEdgeError } from '../../../src/schema/errors.js';

interface Expected {
  name: string;
  digest: string;
  source: string;
  source_type: string;
  schema: string;
  profile: string;
}
type Source = string | Record<string, string>;
interface ArrayFixture {
  dtype: string;
  shape: number[];
  values?: (number | string)[];
  formula?: string;
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/datasets/datasets.json', import.meta.url), 'utf8')) as {
  pandas: {
    name: string;
    source: Source;
    columns?: Record<string, unknown[]>;
    dtypes?: Record<string, string>;
    expected: Expected;
  }[];
  numpy: { name: string; source: string; features: ArrayFixture; targets?: ArrayFixture; expected: Expected }[];
};

const decode = (values: unknown[]) => values.map((v) => (v === 'NaN' ? Number.NaN : v)) as ColumnValues;

/** The generator's `large(n)`. */
function largeColumns(n: number): Record<string, ColumnValues> {
  const id: number[] = [];
  const x: number[] = [];
  const label: string[] = [];
  for (let i = 0; i < n; i++) {
    id.push(i);
    x.push((i % 97) / 8);
    label.push(`row-${i % 13}`);
  }
  return { id, x, label };
}

const sourceOf = (s: Source) =>
  typeof s === 'string' ? s : { sourceType: 'code', source: JSON.stringify({ tags: s }).replace(/([:,])/g, '$1 ') };

const asEntity = (d: ReturnType<typeof fromColumns>) => ({
  name: d.name,
  digest: d.digest,
  source: d.source,
  source_type: d.sourceType,
  schema: d.schema,
  profile: d.profile,
});

function typedArray(a: ArrayFixture) {
  const values =
    a.values === undefined
      ? Array.from({ length: a.shape.reduce((x, y) => x * y, 1) }, (_, i) => (i % 101) / 4)
      : (decode(a.values) as number[]);
  switch (a.dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    default:
      return BigInt64Array.from(values.map(BigInt));
  }
}

describe('tables (MLflow PandasDataset)', () => {
  for (const f of fixtures.pandas) {
    it(`${f.name}: as MLflow Python computes it`, () => {
      // A float64 column of integral values is a Float64Array here: JavaScript has no 1.0 apart from 1.
      const column = (k: string, v: unknown[]): ColumnValues => {
        const dtype = f.dtypes?.[k];
        if (dtype === 'float32') return Float32Array.from(decode(v) as number[]);
        if (dtype === 'int32') return Int32Array.from(v as number[]);
        return dtype === 'float64' && v.every((x) => typeof x === 'number' && Number.isInteger(x))
          ? Float64Array.from(v as number[])
          : decode(v);
      };
      const columns =
        f.columns === undefined
          ? largeColumns(12345)
          : Object.fromEntries(Object.entries(f.columns).map(([k, v]) => [k, column(k, v)]));
      const dataset = fromColumns(columns, { name: f.name, source: sourceOf(f.source) });
      expect(asEntity(dataset)).toEqual(f.expected);
    });
  }

  it('records give the same dataset as their columns', () => {
    const f = fixtures.pandas.find((p) => p.name === 'mixed')!;
    const cols = Object.entries(f.columns!).map(([k, v]) => [k, decode(v)] as const);
    const records = [0, 1, 2].map((i) => Object.fromEntries(cols.map(([k, v]) => [k, (v as unknown[])[i]])));
    expect(asEntity(fromRecords(records, { name: 'mixed', source: f.source as string }))).toEqual(f.expected);
  });

  it('a key a record lacks is a missing value, as pandas fills it', () => {
    const f = fixtures.pandas.find((p) => p.name === 'strings_with_null')!;
    const records = [{ s: 'a', n: 1 }, { n: 2 }, { s: 'c', n: 3 }];
    expect(asEntity(fromRecords(records, { name: f.name, source: f.source as string }))).toEqual(f.expected);
  });
});

describe('arrays (MLflow NumpyDataset)', () => {
  for (const f of fixtures.numpy) {
    it(`${f.name}: as MLflow Python computes it`, () => {
      const features = { data: typedArray(f.features), shape: f.features.shape };
      const targets = f.targets === undefined ? undefined : { data: typedArray(f.targets), shape: f.targets.shape };
      const dataset = fromNumpy(features, { name: f.name, source: f.source, ...(targets ? { targets } : {}) });
      expect(asEntity(dataset)).toEqual(f.expected);
    });
  }
});

describe('bad input: typed errors, nothing made', () => {
  const refused = (fn: () => unknown, message: RegExp) => {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MlflowEdgeError);
    expect((error as MlflowEdgeError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((error as Error).message).toMatch(message);
  };
  it('columns of different lengths', () => refused(() => fromColumns({ a: [1, 2], b: [1] }), /same length/));
  it('a column mixing strings and numbers', () =>
    refused(() => fromColumns({ a: [1, 'x'] }), /mixes numbers and strings/));
  it('an unsupported value type', () => refused(() => fromRecords([{ a: new Date(0) }]), /unsupported type \(Date\)/));
  it('an array whose shape does not fit its data', () =>
    refused(() => fromNumpy({ data: new Float32Array(6), shape: [4, 2] }), /holds 8 elements/));
  it('a schema too large for MLflow (too many columns)', () => {
    const columns: [string, number[]][] = [];
    for (let i = 0; i < 20_000; i++) columns.push([`feature_with_a_long_descriptive_name_${i}`, [1]]);
    refused(() => fromColumns(columns), /'schema' exceeds the maximum length of 1048575 characters/);
  });
  it('a source of an unknown scheme', () =>
    refused(() => fromColumns({ a: [1] }, { source: 'foo://x' }), /scheme 'foo'/));
  it('no rows', () => refused(() => fromColumns({ a: [] }), /at least one row/));
  it('a string that is not well-formed Unicode (pandas hashes UTF-8)', () =>
    refused(() => fromColumns({ a: ['ok', 'cut \uD83C'] }), /Column 'a' at row 1 is not well-formed Unicode/));
});
