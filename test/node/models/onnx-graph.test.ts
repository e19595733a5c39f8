/**
 * The ONNX graph reader and ZipMap rewriter on files skl2onnx and onnx wrote
 * (test/fixtures/models/make_onnx_cases.py, run here into a temporary
 * folder): rewritten files open in onnxruntime-web (its wasm, in Node) and
 * give the probabilities onnxruntime gave in Python; what a browser cannot
 * run is refused with the output, type or version named.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareOnnx } from '../../../src/models/onnx/graph.js';
import { expandZipMaps, ZipMapOutput, zipMapRows } from '../../../src/schema/zipmap.js';
import { flattenTensors, unflattenTensors, type FlatTensors } from '../../../src/schema/flat-tensors.js';
import { fields } from '../../../src/models/onnx/wire.js';
import { MlflowEdgeError } from '../../../src/schema/errors.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
let dir: string;
let expected: {
  inputs: number[][];
  cases: Record<string, { outputs: string[]; label: (number | string)[]; probabilities: unknown[] }>;
};
const file = (name: string) => new Uint8Array(readFileSync(join(dir, `${name}.onnx`)));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'onnx-cases-'));
  execFileSync(join(ROOT, '.venv/bin/python'), [join(ROOT, 'test/fixtures/models/make_onnx_cases.py'), dir], {
    stdio: 'ignore',
  });
  expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(bytes: Uint8Array, inputs: number[][]) {
  const ort = await import('onnxruntime-web/wasm');
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes);
  const x = new ort.Tensor('float32', Float32Array.from(inputs.flat()), [inputs.length, inputs[0]!.length]);
  const results = await session.run({ X: x });
  await session.release();
  return results;
}

describe('ZipMap outputs', () => {
  it.each([
    ['lr2-zipmap', [0, 1]],
    ['rf3-zipmap', [0, 1, 2]],
    ['lr3-strings-zipmap', ['setosa', 'versicolor', 'virginica']],
  ])('%s: the ZipMap becomes an Identity of the probabilities, under the same name', async (name, labels) => {
    const original = file(name);
    const prepared = prepareOnnx(original, '1.30.0');
    expect([...prepared.zipMaps]).toEqual([['output_probability', labels]]);
    expect(prepared.externalData).toEqual([]);
    // Every top-level field but the graph keeps its bytes.
    const outside = (b: Uint8Array) =>
      [...fields(b)].filter((f) => f.no !== 7).map((f) => [...b.subarray(f.start, f.end)].join(','));
    expect(outside(prepared.bytes)).toEqual(outside(original));

    const results = await run(prepared.bytes, expected.inputs);
    const probabilities = results.output_probability!;
    expect(probabilities.type).toBe('float32');
    const rows = zipMapRows(probabilities.data as Float32Array, labels);
    const want = expected.cases[name]!.probabilities as Record<string, number>[];
    expect(rows.map(Object.keys)).toEqual(want.map(Object.keys));
    rows.forEach((row, i) => {
      for (const k in row) expect(Math.abs(row[k]! - want[i]![k]!)).toBeLessThan(1e-5);
    });
    const label = Array.from(results.output_label!.data as ArrayLike<unknown>, (v) =>
      typeof v === 'bigint' ? Number(v) : v,
    );
    expect(label).toEqual(expected.cases[name]!.label);
  });

  it('a graph with tensor outputs only is opened as it is', () => {
    const bytes = file('rf3-nozipmap');
    const prepared = prepareOnnx(bytes, '1.30.0');
    expect(prepared.bytes).toBe(bytes);
    expect(prepared.zipMaps.size).toBe(0);
  });
});

describe('what cannot run in onnxruntime-web is refused', () => {
  const refusal = (name: string) => {
    try {
      prepareOnnx(file(name), '1.30.0');
    } catch (error) {
      expect(error).toBeInstanceOf(MlflowEdgeError);
      return error as MlflowEdgeError;
    }
    throw new Error(`${name} was not refused`);
  };

  it('a sequence output with no ZipMap behind it', () => {
    const e = refusal('seq-output');
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.details).toMatchObject({ output: 'S', onnxType: 'seq(tensor(float))' });
    expect(e.message).toMatch(/'zipmap': False/);
  });

  it('a map output', () => {
    const e = refusal('map-output');
    expect(e.details).toMatchObject({ output: 'Out', onnxType: 'map(int64,tensor(float))' });
  });

  it('an operator from a custom domain', () => {
    const e = refusal('custom-domain');
    expect(e.details).toMatchObject({ operator: 'Inverse', domain: 'ai.onnx.contrib' });
  });

  it('an IR version newer than the runtime reads', () => {
    const e = refusal('ir-too-new');
    expect(e.details).toMatchObject({ irVersion: 14, maxIrVersion: 13 });
    expect(e.message).toMatch(/onnxruntime-web 1\.30\.0/);
  });

  it('an opset newer than the runtime reads', () => {
    const e = refusal('opset-too-new');
    expect(e.details).toMatchObject({ domain: '', opset: 27, maxOpset: 26 });
    expect(e.message).toMatch(/target_opset/);
  });

  it('an unknown runtime version is not judged by these limits', () => {
    expect(prepareOnnx(file('ir-too-new'), '9.0.0').zipMaps.size).toBe(1);
  });

  it('external data is listed, for the flavor to fetch', () => {
    expect(prepareOnnx(file('external-data'), '1.30.0').externalData).toEqual(['weights.bin']);
  });

  it('a truncated file', () => {
    const bytes = file('rf3-zipmap');
    expect(() => prepareOnnx(bytes.subarray(0, bytes.length - 100))).toThrow(MlflowEdgeError);
  });
});

describe('ZipMap outputs cross to the page as the matrix and arrive as rows', () => {
  it('flattened with other tensors, unflattened as per-row maps', () => {
    const z = new ZipMapOutput(Float32Array.from([0.25, 0.75, 1, 0]), ['no', 'yes']);
    const label = { data: BigInt64Array.from([1n, 0n]), shape: [2], dtype: 'int64' };
    const flat: FlatTensors = [7];
    expect(flattenTensors({ output_label: label, output_probability: z }, flat)).toBe(true);
    expect(unflattenTensors(flat, 1)).toEqual({
      output_label: label,
      output_probability: [
        { no: 0.25, yes: 0.75 },
        { no: 1, yes: 0 },
      ],
    });
  });

  it('expanded where outputs are not flattened', () => {
    const z = new ZipMapOutput(Float32Array.from([0.5, 0.5]), [3, 4]);
    expect(expandZipMaps({ p: z, n: 1 })).toEqual({ p: [{ 3: 0.5, 4: 0.5 }], n: 1 });
    const plain = { n: 1 };
    expect(expandZipMaps(plain)).toBe(plain);
  });
});
