/**
 * MLflow's `_enforce_named_col_schema` / `_enforce_unnamed_col_schema`: a
 * column signature's columns, by name or by position; tensors given to a
 * column signature become columns first.
 */
import { DATATYPE_TO_DTYPE } from './dtypes.js';
import { columnCtx, enforceDataTypeValues } from './enforce-datatype.js';
import { enforceType } from './enforce-type.js';
import { hasInputNames, inputNames, makeColumns, nest, shapeSize } from './input.js';
import { typeRepr } from './repr.js';
import { describeMissing, schemaError } from './schema-error.js';
import type { ColSpec, Columns, PredictInput, Schema, Tensor } from './types.js';
import { UNNAMED_INPUT } from './types.js';
import { pyTuple } from '../python.js';

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
      columns[name] = Array.from({ length: t.shape[0] ?? 0 }, (_, i) =>
        nest(values.slice(i * inner, (i + 1) * inner), t.shape.slice(1)),
      );
      dtypes[name] = 'object';
    }
  }
  return makeColumns(columns, dtypes, 'input');
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
