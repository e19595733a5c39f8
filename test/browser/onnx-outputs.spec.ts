import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './fixtures.js';
import { PAGE } from '../../playwright.config.js';

// skl2onnx's default classifier conversions (ending in a ZipMap) saved by
// MLflow, and models a browser cannot run, generated now by
// test/fixtures/models/make_onnx_cases.py; the expected values are what
// onnxruntime and mlflow.pyfunc returned in Python for the same rows.
const ROOT = join(import.meta.dirname, '..', '..');
const GENERATED = 'test/fixtures/models/generated';
const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs' };
type Expected = {
  inputs: number[][];
  cases: Record<
    string,
    {
      label: (number | string)[];
      probabilities: Record<string, number>[];
      pyfunc_probabilities: Record<string, number>[];
    }
  >;
};
let expected: Expected;

test.beforeAll(() => {
  test.setTimeout(180_000);
  execFileSync(
    join(ROOT, '.venv/bin/python'),
    [join(ROOT, 'test/fixtures/models/make_onnx_cases.py'), join(ROOT, GENERATED), '--mlflow'],
    {
      stdio: 'ignore',
    },
  );
  expected = JSON.parse(readFileSync(join(ROOT, GENERATED, 'expected.json'), 'utf8')) as Expected;
});

for (const name of ['lr2-zipmap', 'rf3-zipmap', 'lr3-strings-zipmap']) {
  test(`${name}: a ZipMap classifier predicts per-row label → probability maps, like pyfunc`, async ({ page }) => {
    const got = await page.evaluate(
      async ({ ORT, url, inputs }) => {
        const t = await edge.openTracker({ dbName: 'zipmap' });
        const model = await t.loadModel(url, { onnxruntime: ORT });
        const r = await model.predict(inputs);
        await model.close();
        const label = r.outputs.output_label!;
        return {
          label: Array.from(label.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v)),
          probabilities: r.outputs.output_probability as unknown as Record<string, number>[],
        };
      },
      { ORT, url: `${PAGE}/${GENERATED}/${name}`, inputs: expected.inputs },
    );
    const want = expected.cases[name]!;
    expect(got.label).toEqual(want.label);
    expect(got.probabilities.map(Object.keys)).toEqual(want.pyfunc_probabilities.map(Object.keys));
    got.probabilities.forEach((row, i) => {
      for (const k in row) {
        expect(Math.abs(row[k]! - want.pyfunc_probabilities[i]![k]!)).toBeLessThan(1e-5);
        expect(Math.abs(row[k]! - want.probabilities[i]![k]!)).toBeLessThan(1e-5);
      }
    });
  });
}

test('what cannot run in a browser fails at loadModel, typed, and the worker stays usable', async ({ page }) => {
  const out = await page.evaluate(
    async ({ ORT, base, row }) => {
      const t = await edge.openTracker({ dbName: 'onnx-refusals' });
      const load = (name: string) => () => t.loadModel(`${base}/${name}`, { onnxruntime: ORT });
      const refusals = await errorsOf({
        'sequence output': load('seq-output'),
        'map output': load('map-output'),
        'custom operator domain': load('custom-domain'),
        'IR version too new': load('ir-too-new'),
        'opset too new': load('opset-too-new'),
        'external data missing': load('external-missing'),
      });
      const withWeights = await t.loadModel(`${base}/external-present`, { onnxruntime: ORT });
      const y = await withWeights.predict([row]);
      const otherWeights = await t.loadModel(`${base}/external-other-weights`, { onnxruntime: ORT });
      const y2 = await otherWeights.predict([row]);
      const zipmap = await t.loadModel(`${base}/lr2-zipmap`, { onnxruntime: ORT });
      const after = await zipmap.predict([row]);
      return {
        refusals,
        external: Array.from(y.outputs.Y!.data as Float32Array),
        externalOther: Array.from(y2.outputs.Y!.data as Float32Array),
        after: after.outputs.output_probability as unknown as Record<string, number>[],
      };
    },
    { ORT, base: `${PAGE}/${GENERATED}`, row: [1, 2, 3, 4] },
  );
  for (const [name, o] of Object.entries(out.refusals)) {
    expect(o.typed, `${name}: ${o.message}`).toBe(true);
    expect(o.code, `${name}: ${o.message}`).toBe('INVALID_PARAMETER_VALUE');
  }
  expect(out.refusals['sequence output']!.message).toMatch(/'S' is of type seq\(tensor\(float\)\).*'zipmap': False/);
  expect(out.refusals['map output']!.message).toMatch(/'Out' is of type map\(int64,tensor\(float\)\)/);
  expect(out.refusals['custom operator domain']!.message).toMatch(
    /'Inverse' from the custom domain 'ai\.onnx\.contrib'/,
  );
  expect(out.refusals['IR version too new']!.message).toMatch(
    /IR version 14; onnxruntime-web 1\.30\.0 reads IR versions up to 13/,
  );
  expect(out.refusals['opset too new']!.message).toMatch(/opset 27 .* up to opset 26/);
  expect(out.refusals['external data missing']!.message).toMatch(/'weights\.bin'/);
  // X · W with W = arange(12).reshape(4, 3), X = [1, 2, 3, 4]
  expect(out.external).toEqual([60, 70, 80]);
  // The same model.onnx with other weights: not the first one's session.
  expect(out.externalOther).toEqual([120, 140, 160]);
  expect(Object.keys(out.after[0]!)).toEqual(['0', '1']);
});
