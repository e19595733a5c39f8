import { describe, expect, it } from 'vitest';
import { feedTensors, type GraphInput, promote } from '../../../src/models/onnx-feeds.js';
import { namedAfter } from '../../../src/models/host.js';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import { type ModelSignature, normalizeInput, type PredictInput, type Tensor } from '../../../src/schema/signature.js';

const input = (name: string, type: string | undefined, dims?: (number | string)[]): GraphInput => ({
  name,
  type,
  dims,
});
const columns = (cols: Record<string, unknown[]>, dtypes?: Record<string, string>): PredictInput => {
  const rows = Object.values(cols)[0]?.length ?? 0;
  return dtypes ? { kind: 'columns', columns: cols, rows, dtypes } : { kind: 'columns', columns: cols, rows };
};
const refusal = (fn: () => unknown): MlflowEdgeError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MlflowEdgeError);
    return error as MlflowEdgeError;
  }
  throw new Error('no error');
};

describe('feedTensors', () => {
  it("stacks columns into a single input as df.values, with numpy's common type", () => {
    const feeds = feedTensors(columns({ a: [1, 2], b: [3.5, 4] }, { a: 'int64', b: 'float64' }), [
      input('X', 'float32', ['None', 2]),
    ]);
    expect(feeds.X).toEqual({ type: 'float32', data: new Float32Array([1, 3.5, 2, 4]), dims: [2, 2] });
  });

  it('feeds one column per input, of the declared element type and rank', () => {
    const feeds = feedTensors(
      columns({ s: ['x', 'y'], n: [1, 2n], b: [true, false], h: [0.5, 1] }, { s: 'str', n: 'int64', b: 'bool' }),
      [
        input('s', 'string', ['N', 1]),
        input('n', 'int64', ['N']),
        input('b', 'bool', ['N', 1]),
        input('h', 'float16', []),
      ],
    );
    expect(feeds.s).toEqual({ type: 'string', data: ['x', 'y'], dims: [2, 1] });
    expect(feeds.n).toEqual({ type: 'int64', data: new BigInt64Array([1n, 2n]), dims: [2] });
    expect(feeds.b).toEqual({ type: 'bool', data: new Uint8Array([1, 0]), dims: [2, 1] });
    expect(feeds.h).toEqual({ type: 'float16', data: new Uint16Array([0x3800, 0x3c00]), dims: [2] });
  });

  it('array cells make [N, k]', () => {
    const feeds = feedTensors(columns({ v: [[1, 2, 3], new Float32Array([4, 5, 6])], w: [1, 2] }), [
      input('v', 'float32', ['N', 3]),
      input('w', 'uint8', undefined),
    ]);
    expect(feeds.v!.dims).toEqual([2, 3]);
    expect(feeds.w).toEqual({ type: 'uint8', data: new Uint8Array([1, 2]), dims: [2] });
  });

  it("casts only float64 to float32, as pyfunc does; other dtypes must be the input's", () => {
    expect(feedTensors(columns({ d: [0.1] }, { d: 'float64' }), [input('d', 'float32', ['N'])]).d!.type).toBe(
      'float32',
    );
    const e = refusal(() => feedTensors(columns({ a: [1] }, { a: 'int64' }), [input('a', 'float32', ['N', 1])]));
    expect(e.message).toMatch(
      /Input 'a' cannot be fed to the ONNX input 'a' \(tensor\(float\), shape \[N, 1\]\): int64 values/,
    );
    expect(e.details).toMatchObject({ field: 'a', input: 'a', expected: { type: 'tensor(float)', shape: '[N, 1]' } });
  });

  it('nested JS arrays (a guessed int64) are converted exactly; typed arrays keep their dtype', () => {
    const guessed = normalizeInput([[1, 2]], null).input;
    expect(feedTensors(guessed, [input('X', 'int8', ['N', 2])]).X!.data).toEqual(new Int8Array([1, 2]));
    const typed: PredictInput = {
      kind: 'tensors',
      tensors: { '0': { data: new BigInt64Array([1n, 2n]), shape: [1, 2], dtype: 'int64' } as Tensor },
    };
    expect(() => feedTensors(typed, [input('X', 'int8', ['N', 2])])).toThrow(/int64 values/);
  });

  it('adds or drops trailing 1-dimensions only, and checks fixed dimensions', () => {
    const t = (shape: number[]): PredictInput => ({
      kind: 'tensors',
      tensors: { x: { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, dtype: 'float32' } },
    });
    expect(feedTensors(t([3]), [input('x', 'float32', ['N', 1])]).x!.dims).toEqual([3, 1]);
    expect(feedTensors(t([3, 1]), [input('x', 'float32', ['N'])]).x!.dims).toEqual([3]);
    expect(() => feedTensors(t([3, 2]), [input('x', 'float32', ['N'])])).toThrow(/rank 2/);
    expect(() => feedTensors(t([3, 4]), [input('x', 'float32', [1, 4])])).toThrow(/batch dimension is fixed at 1/);
    expect(() => feedTensors(t([1, 5]), [input('x', 'float32', ['N', 4])])).toThrow(/Dimension 1 must be 4/);
  });

  it('refuses values that are not exact, naming the element', () => {
    const inputs = [input('i', 'int32', ['N'])];
    expect(() => feedTensors(columns({ i: [1.5] }), inputs)).toThrow(/1\.5 at element 0 \(not a whole number\)/);
    expect(() => feedTensors(columns({ i: [2 ** 40] }), inputs)).toThrow(/outside int32's range/);
    expect(() => feedTensors(columns({ i: [null] }), [input('i', 'string', ['N'])])).toThrow(/a missing value/);
    expect(() => feedTensors(columns({ i: ['x'] }), [input('i', 'bool', ['N'])])).toThrow(/not a boolean/);
  });

  it('names a missing per-column input and the graph inputs', () => {
    const e = refusal(() =>
      feedTensors(columns({ a: [1] }), [input('a', 'float32', ['N', 1]), input('b', 'string', ['N', 1])]),
    );
    expect(e.message).toMatch(/needs a column named 'b' \(tensor\(string\), shape \[N, 1\]\).*'a', 'b'/);
    expect(e.details?.field).toBe('b');
  });
});

describe('promote (numpy result_type of stacked columns)', () => {
  it.each([
    [['float32', 'float32'], 'float32'],
    [['float32', 'float64'], 'float64'],
    [['int64', 'float64'], 'float64'],
    [['int64', 'float32'], 'float64'],
    [['int8', 'float32'], 'float32'],
    [['int32', 'int64'], 'int64'],
    [['str', 'float64'], 'object'],
    [['str', 'str'], 'string'],
  ])('%j → %s', (dtypes, expected) => expect(promote(dtypes)).toBe(expected));
});

describe('namedAfter (outputs named by the signature)', () => {
  const t: Tensor = { data: new Float32Array(1), shape: [1], dtype: 'float32' };
  const sig = (names: (string | undefined)[]): ModelSignature => ({
    inputs: null,
    outputs: {
      kind: 'tensors',
      tensors: names.map((name) =>
        name === undefined ? { type: 'float32', shape: [-1] } : { type: 'float32', shape: [-1], name },
      ),
    },
    params: null,
  });
  it('renames in order when every graph output has a signature name', () =>
    expect(Object.keys(namedAfter({ variable: t }, sig(['price'])))).toEqual(['price']));
  it('keeps the graph names when they are the signature names, or counts differ, or names are absent', () => {
    expect(Object.keys(namedAfter({ a: t, b: t }, sig(['b', 'a'])))).toEqual(['a', 'b']);
    expect(Object.keys(namedAfter({ a: t, b: t }, sig(['x'])))).toEqual(['a', 'b']);
    expect(Object.keys(namedAfter({ a: t }, sig([undefined])))).toEqual(['a']);
  });
});
