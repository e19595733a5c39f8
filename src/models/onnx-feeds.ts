/**
 * Predict input (already checked against the signature) → one tensor per
 * graph input, of the element type and rank the graph declares. Mirrors
 * MLflow's ONNX pyfunc (`_OnnxModelWrapper.predict`): columns feed a graph
 * with one input as one 2-D matrix (`df.values`), else one input per column
 * by name; tensors feed inputs by name (one unnamed tensor: the only input).
 *
 * Invariants:
 * - Only conversions pyfunc makes: the dtype that came (the signature's, or
 *   numpy's promotion of several columns for `df.values`) must equal the
 *   input's element type, except float64 → float32 (pyfunc's one cast).
 *   JS values with no known dtype (no signature; nested arrays whose
 *   int64 / float64 was only guessed) are converted only when exact: whole numbers for integer inputs, booleans for bool, strings for
 *   string. Anything else is a typed error naming the column, the input's
 *   declared ONNX type and shape, and what came — never a NaN fed silently.
 * - Rank follows the graph: a column becomes `[N]`, `[N, 1]` or, when its
 *   cells are arrays of k values, `[N, k]`; a tensor may gain or lose
 *   trailing 1-dimensions (`[N]` ↔ `[N, 1]`) and nothing else. Fixed
 *   dimensions (a batch of exactly 1) are checked before onnxruntime runs.
 */
import { MlflowEdgeError } from '../schema/errors.js';
import type { PredictInput, Tensor } from '../schema/signature.js';
import { UNNAMED_INPUT } from '../schema/signature.js';
import { hasGuessedDtype } from '../schema/signature/input.js';
import { INT_RANGES } from '../schema/signature/dtypes.js';

/** A graph input as onnxruntime declares it. `type` is onnxruntime's (float32, int64, string…), undefined for non-tensors. */
export interface GraphInput {
  name: string;
  type: string | undefined;
  /** Declared dims: numbers are fixed, strings symbolic; undefined when the graph does not say. */
  dims: readonly (number | string)[] | undefined;
}

/** A tensor as onnxruntime-web takes it: its type name and the storage it expects for that type. */
export interface Feed {
  type: string;
  data: ArrayLike<number | bigint | string> & object;
  dims: number[];
}

const ONNX_NAMES: Record<string, string> = {
  float32: 'float',
  float64: 'double',
  float16: 'float16',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  bool: 'bool',
  string: 'string',
};

/** `tensor(float)`, as ONNX and onnxruntime name the type. */
export function onnxTypeName(type: string | undefined): string {
  return type === undefined ? 'a non-tensor type' : `tensor(${ONNX_NAMES[type] ?? type})`;
}

/** `[N, 1]`: symbolic dims by name, unknown dims as `?`. */
export function shapeText(dims: readonly (number | string)[] | undefined): string {
  if (dims === undefined) return 'of undeclared shape';
  return `[${dims.map((d) => (typeof d === 'number' && d >= 0 ? String(d) : typeof d === 'string' && d ? d : '?')).join(', ')}]`;
}

const fixedDim = (d: number | string | undefined): number | undefined =>
  typeof d === 'number' && d >= 0 ? d : undefined;

/** numpy dtype name → onnxruntime element type (`str`/`object`/`bytes` → string). */
function ortOf(dtype: string): string {
  if (dtype === 'str' || dtype === 'object' || dtype === 'bytes' || dtype.startsWith('<U')) return 'string';
  return dtype;
}

/** numpy's `np.result_type` for the dtypes `df.values` stacks (the cases columns can have). */
export function promote(dtypes: string[]): string {
  const unique = [...new Set(dtypes.map(ortOf))];
  if (unique.length === 1) return unique[0]!;
  if (unique.includes('string') || unique.some((d) => !(d in ONNX_NAMES))) return 'object';
  const floats = unique.filter((d) => d.startsWith('float'));
  const ints = unique.filter((d) => d.startsWith('int') || d.startsWith('uint'));
  if (floats.length > 0) {
    const small = ints.every((d) => ['int8', 'int16', 'uint8', 'uint16'].includes(d));
    return floats.includes('float64') || !small ? 'float64' : 'float32';
  }
  if (ints.length > 0) return ints.some((d) => d === 'uint64') ? 'float64' : 'int64';
  return 'object';
}

interface Source {
  /** What the user sees in errors: a column or tensor name. */
  field: string;
  /** The dtype that came, or undefined for plain JS values of no known dtype. */
  dtype: string | undefined;
  values: ArrayLike<unknown>;
  shape: number[];
}

class FeedError extends MlflowEdgeError {
  constructor(source: Pick<Source, 'field'>, input: GraphInput, came: string, hint: string) {
    super(
      'INVALID_PARAMETER_VALUE',
      `Input '${source.field}' cannot be fed to the ONNX input '${input.name}' (${onnxTypeName(input.type)}, shape ${shapeText(input.dims)}): ${came}. ${hint}`,
      {
        field: source.field,
        input: input.name,
        expected: { type: onnxTypeName(input.type), shape: shapeText(input.dims) },
        received: came,
      },
    );
  }
}

export function feedTensors(input: PredictInput, inputs: readonly GraphInput[]): Record<string, Feed> {
  const out: Record<string, Feed> = {};
  if (input.kind === 'tensors') {
    const entries = Object.entries(input.tensors);
    const only = entries.length === 1 && entries[0]![0] === UNNAMED_INPUT ? entries[0]![1] : undefined;
    if (only !== undefined) {
      if (inputs.length !== 1) {
        throw new MlflowEdgeError(
          'INVALID_PARAMETER_VALUE',
          `This ONNX model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}): pass them by name, as { name: tensor }, or as columns.`,
          { field: UNNAMED_INPUT, expected: inputs.map((i) => i.name) },
        );
      }
      out[inputs[0]!.name] = feedTensor(fromTensor(UNNAMED_INPUT, only), inputs[0]!);
      return out;
    }
    for (const graphInput of inputs) {
      const tensor = input.tensors[graphInput.name];
      if (tensor === undefined) throw missing(graphInput, inputs, Object.keys(input.tensors), 'tensor');
      out[graphInput.name] = feedTensor(fromTensor(graphInput.name, tensor), graphInput);
    }
    return out;
  }
  const names = Object.keys(input.columns);
  if (inputs.length === 1) {
    const graphInput = inputs[0]!;
    out[graphInput.name] = feedMatrix(input, names, graphInput);
    return out;
  }
  for (const graphInput of inputs) {
    const column = input.columns[graphInput.name];
    if (column === undefined) throw missing(graphInput, inputs, names, 'column');
    out[graphInput.name] = feedColumn(graphInput.name, column, input.dtypes?.[graphInput.name], graphInput);
  }
  return out;
}

function missing(
  graphInput: GraphInput,
  inputs: readonly GraphInput[],
  given: string[],
  what: string,
): MlflowEdgeError {
  return new MlflowEdgeError(
    'INVALID_PARAMETER_VALUE',
    `The ONNX model needs a ${what} named '${graphInput.name}' (${onnxTypeName(graphInput.type)}, shape ${shapeText(graphInput.dims)}) and the input has none (it has ${given.map((g) => `'${g}'`).join(', ') || 'nothing'}). The graph's inputs are ${inputs.map((i) => `'${i.name}'`).join(', ')}; name the ${what}s after them (log the model with a signature that names them too).`,
    {
      field: graphInput.name,
      expected: { type: onnxTypeName(graphInput.type), shape: shapeText(graphInput.dims) },
      received: given,
    },
  );
}

function fromTensor(field: string, t: Tensor): Source {
  return { field, dtype: hasGuessedDtype(t) ? undefined : t.dtype, values: t.data, shape: [...t.shape] };
}

/** One column, as pyfunc's `df[name].values`, shaped to the input's rank. */
function feedColumn(field: string, values: unknown[], dtype: string | undefined, graphInput: GraphInput): Feed {
  const arrays = values.length > 0 && values.every((v) => Array.isArray(v) || ArrayBuffer.isView(v));
  if (!arrays) return feedTensor({ field, dtype, values, shape: [values.length] }, graphInput);
  const width = (values[0] as ArrayLike<unknown>).length;
  if (values.some((v) => (v as ArrayLike<unknown>).length !== width)) {
    throw new FeedError(
      { field },
      graphInput,
      'rows holding arrays of different lengths',
      'Give every row an array of the same length.',
    );
  }
  const flat = values.flatMap((v) => Array.from(v as ArrayLike<unknown>));
  return feedTensor({ field, dtype: undefined, values: flat, shape: [values.length, width] }, graphInput);
}

/** Every column into one input, as pyfunc's `df.values` (numpy promotes the columns' dtypes). */
function feedMatrix(input: PredictInput & { kind: 'columns' }, names: string[], graphInput: GraphInput): Feed {
  if (names.length === 1)
    return feedColumn(names[0]!, input.columns[names[0]!]!, input.dtypes?.[names[0]!], graphInput);
  const n = input.rows;
  const k = names.length;
  const values = new Array<unknown>(n * k);
  names.forEach((name, j) => {
    const column = input.columns[name]!;
    for (let i = 0; i < n; i++) values[i * k + j] = column[i];
  });
  const known = names.map((name) => input.dtypes?.[name]);
  const dtype = known.every((d) => d !== undefined) ? promote(known as string[]) : undefined;
  return feedTensor({ field: names.join(', '), dtype, values, shape: [n, k] }, graphInput);
}

function feedTensor(source: Source, graphInput: GraphInput): Feed {
  const want = graphInput.type;
  if (want === undefined) {
    throw new FeedError(
      source,
      graphInput,
      'a tensor',
      'onnxruntime-web feeds tensors only; this input takes a sequence or a map.',
    );
  }
  if (source.dtype !== undefined) {
    const came = ortOf(source.dtype);
    if (came !== want && !(came === 'float64' && want === 'float32')) {
      throw new FeedError(
        source,
        graphInput,
        `${came === 'object' ? 'values of mixed types (numpy object)' : `${came} values`}`,
        `MLflow's ONNX pyfunc feeds a ${came} array here and onnxruntime refuses it; give the model ${onnxTypeName(want)} data (a signature column of the matching type, e.g. ${SIGNATURE_HINT[want] ?? want}).`,
      );
    }
  }
  return { type: want, data: convert(source, graphInput, want), dims: shapeFor(source, graphInput) };
}

const SIGNATURE_HINT: Record<string, string> = {
  float32: "'float' or 'double'",
  float64: "'double'",
  int32: "'integer'",
  int64: "'long'",
  bool: "'boolean'",
  string: "'string'",
};

function shapeFor(source: Source, graphInput: GraphInput): number[] {
  const dims = graphInput.dims;
  let shape = source.shape;
  if (dims !== undefined && dims.length > 0 && dims.length !== shape.length) {
    const squeeze = (s: number[]) => {
      const t = [...s];
      while (t.length > 1 && t[t.length - 1] === 1) t.pop();
      return t;
    };
    const core = squeeze(shape);
    // Only trailing 1-dimensions may be added or dropped ([N] ↔ [N, 1]).
    const target = dims.map((d, i) => (i < core.length ? core[i]! : 1));
    if (dims.length < core.length || squeeze(target).join() !== core.join()) {
      throw new FeedError(
        source,
        graphInput,
        `shape [${source.shape.join(', ')}] (rank ${source.shape.length})`,
        `The graph takes rank ${dims.length}; pass ${dims.length === 2 ? 'one column per row value, or a [rows, k] tensor' : `a rank-${dims.length} tensor`}.`,
      );
    }
    shape = target;
  }
  if (dims !== undefined) {
    dims.forEach((d, i) => {
      const fixed = fixedDim(d);
      if (fixed !== undefined && shape[i] !== fixed) {
        throw new FeedError(
          source,
          graphInput,
          `shape [${shape.join(', ')}]`,
          i === 0
            ? `The graph's batch dimension is fixed at ${fixed}: predict ${fixed} row${fixed === 1 ? '' : 's'} per call.`
            : `Dimension ${i} must be ${fixed}.`,
        );
      }
    });
  }
  return shape;
}

/** The typed array onnxruntime-web stores each element type in: such data is fed as it is, not copied. */
const STORAGE: Record<string, abstract new (...args: never[]) => ArrayBufferView> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

function convert(source: Source, graphInput: GraphInput, want: string): Feed['data'] {
  const { values } = source;
  const storage = STORAGE[want];
  // The hot path (a typed array of the input's own type, e.g. a Float32Array tensor): no copy.
  if (storage !== undefined && values instanceof storage && source.dtype !== undefined)
    return values as unknown as Feed['data'];
  const bad = (i: number, why: string): never => {
    const v = values[i];
    const shown = typeof v === 'string' ? `'${v}'` : typeof v === 'bigint' ? `${v}n` : String(v);
    throw new FeedError(source, graphInput, `${shown} at element ${i} (${why})`, HINTS[want] ?? '');
  };
  const n = values.length;
  switch (want) {
    case 'string': {
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        out[i] = typeof v === 'string' ? v : bad(i, v === null || v === undefined ? 'a missing value' : 'not a string');
      }
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'boolean') out[i] = v ? 1 : 0;
        else if (source.dtype === 'bool' && (v === 0 || v === 1)) out[i] = v;
        else bad(i, v === null || v === undefined ? 'a missing value' : 'not a boolean');
      }
      return out;
    }
    case 'float32':
    case 'float64':
    case 'float16': {
      const out = want === 'float64' ? new Float64Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'number') out[i] = v;
        else if (typeof v === 'bigint') out[i] = Number(v);
        else if (v === null || v === undefined) out[i] = NaN;
        else bad(i, 'not a number');
      }
      return want === 'float16' ? toFloat16(out as Float32Array) : out;
    }
    default: {
      const range = INT_RANGES[want];
      if (range === undefined) return bad(0, `onnxruntime-web has no ${want} tensors`);
      const big = want === 'int64' || want === 'uint64';
      const out: (number | bigint)[] & object = big
        ? want === 'int64'
          ? (new BigInt64Array(n) as unknown as bigint[])
          : (new BigUint64Array(n) as unknown as bigint[])
        : (new INT_ARRAYS[want]!(n) as unknown as number[]);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        let b: bigint;
        if (typeof v === 'bigint') b = v;
        else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
        else if (typeof v === 'boolean' && source.dtype === 'bool') b = v ? 1n : 0n;
        else
          return bad(
            i,
            typeof v === 'number' ? (Number.isNaN(v) ? 'a missing value' : 'not a whole number') : 'not an integer',
          );
        if (b < range[0] || b > range[1]) return bad(i, `outside ${want}'s range`);
        out[i] = big ? b : Number(b);
      }
      return out;
    }
  }
}

const HINTS: Record<string, string> = {
  string: 'Pass strings for this input.',
  bool: 'Pass true/false for this input.',
  float32: 'Pass numbers for this input.',
  float64: 'Pass numbers for this input.',
  float16: 'Pass numbers for this input.',
};

const INT_ARRAYS: Record<string, new (n: number) => ArrayLike<number>> = {
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
};

/** IEEE 754 half-precision bits (round to nearest even), as onnxruntime-web takes float16 in a Uint16Array. */
function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < values.length; i++) {
    f[0] = values[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    let e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let half = mant >> shift;
      const rest = mant & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rest > mid || (rest === mid && half & 1)) half++;
      out[i] = sign | half;
      continue;
    }
    let half = (e << 10) | (mant >> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
    e = half;
    out[i] = sign | e;
  }
  return out;
}
