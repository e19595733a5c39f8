/**
 * MLflow's `_enforce_tensor_spec` and `_enforce_tensor_schema`: tensors
 * against a tensor signature (shape with -1 wildcards, exact dtype), and
 * columns reshaped into tensors (`_reshape_and_cast_pandas_column_values`).
 */
import { isTypedArray } from '../predicates.js';
import { pyRepr, pyTuple, pyTypeName } from '../python.js';
import { cleanDtype, storeAs, typedArrayDtype, typedArrayFor } from './dtypes.js';
import {
  castScalar,
  flattenNested,
  hasInputNames,
  isArrayLikeValue,
  isScalarCell,
  isTensorObject,
  nest,
  nestedShape,
  shapeSize,
  tensorFromNested,
} from './input.js';
import { describeMissing, schemaError } from './schema-error.js';
import { type PredictInput, type Schema, type Tensor, type TensorSpec, UNNAMED_INPUT } from './types.js';

/** `_enforce_tensor_spec`: shape (with -1 wildcards) and exact dtype. */
export function enforceTensorSpec(name: string, tensor: Tensor, spec: TensorSpec): Tensor {
  const expected = spec.shape;
  const actual = tensor.shape;
  const actualType = cleanDtype(tensor.dtype);
  if (expected.length === 1 && expected[0] === -1 && spec.type === 'object') return tensor;
  if (expected.length > 1 && expected.slice(1).includes(-1) && actual.length === 1 && actualType === 'object')
    return tensor;
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
  const castAll = (flat: unknown[]): Tensor['data'] =>
    storeAs(
      spec.type,
      flat.map((v, i) => castScalar(v, spec.type, field, i)),
    );
  if (isScalarCell(first)) {
    const shape =
      spec.shape.length === 1
        ? [values.length]
        : spec.shape.length === 2 && spec.shape[1] === 1
          ? [values.length, 1]
          : null;
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
    const cellDtype = isTypedArray(first) ? typedArrayDtype(first) : first.dtype;
    const parts: unknown[] = [];
    for (const cell of values) {
      const data = isTypedArray(cell) ? cell : isTensorObject(cell) ? cell.data : null;
      if (!data || data.length !== fixed) throw reshapeError('numpy array');
      parts.push(...Array.from(data as ArrayLike<unknown>));
    }
    // MLflow keeps the cells' own dtype here (no cast, no dtype check).
    return { data: storeAs(cellDtype, parts), shape: [values.length, ...inner], dtype: cellDtype };
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
        throw schemaError(
          `${describeMissing(missing, extra)} Add the missing input${missing.length > 1 ? 's' : ''}.`,
          missing[0] as string,
          missing,
          names,
          {
            missing,
            extra,
          },
        );
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
      return {
        kind: 'tensors',
        tensors: { [UNNAMED_INPUT]: columnToTensor(null, input.columns[n] as unknown[], spec) },
      };
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
      const data = storeAs(common, flat);
      return {
        kind: 'tensors',
        tensors: {
          [UNNAMED_INPUT]: enforceTensorSpec(
            UNNAMED_INPUT,
            { data, shape: [input.rows, names.length], dtype: common },
            spec,
          ),
        },
      };
    }
    const t = tensorFromNested(nest(flat, [input.rows, names.length]), spec.type, UNNAMED_INPUT);
    return { kind: 'tensors', tensors: { [UNNAMED_INPUT]: enforceTensorSpec(UNNAMED_INPUT, t, spec) } };
  }
  const given = input.tensors;
  const keys = Object.keys(given);
  if (named) {
    let tensors = given;
    if (
      keys.length === 1 &&
      keys[0] === UNNAMED_INPUT &&
      schema.tensors.length === 1 &&
      schema.tensors[0]?.name !== UNNAMED_INPUT
    ) {
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
  return {
    kind: 'tensors',
    tensors: { [UNNAMED_INPUT]: enforceTensorSpec(UNNAMED_INPUT, given[UNNAMED_INPUT] as Tensor, spec) },
  };
}
