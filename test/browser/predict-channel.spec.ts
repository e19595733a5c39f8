// model.predict goes over a MessagePort of the model's own, beside comlink
// (client/predict-channel.ts, worker/predict-port.ts). What must hold through it.
import { expect, test } from './fixtures.js';
import { PAGE } from '../../playwright.config.js';

const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs' };
const IRIS = `${PAGE}/test/fixtures/models/iris-onnx`;
const CODE = `
import { setModel } from 'mlflow-edge/model';
setModel({
  predict(context, rows) {
    if (rows.some((row) => row.x < 0)) throw new Error('negative x');
    if (rows.some((row) => row.x === 1000)) return { f: () => 1000 };
    return rows.map((row) => row.x * 10);
  },
});
`;

test('concurrent predicts on two models resolve to the right callers', async ({ page }) => {
  const result = await page.evaluate(
    async ({ ORT, IRIS, CODE }) => {
      const t = await edge.openTracker({ dbName: 'channel-two' });
      const run = await t.startRun();
      const info = await run.logModel('times10', { code: CODE }, { inputExample: [{ x: 1 }] });
      await run.end();
      const iris = await t.loadModel(IRIS, { onnxruntime: ORT });
      const code = await t.loadModel(info.modelUri, { allowCode: true });
      const rows = Array.from({ length: 40 }, (_, i) => [4 + (i % 4), 3, 1 + (i % 6), 0.2 + (i % 3)]);
      // Each row alone, then all at once: the same labels either way.
      const alone: number[] = [];
      for (const row of rows)
        alone.push(
          Number(
            (await iris.predict({ data: new Float32Array(row), shape: [1, 4], dtype: 'float32' })).outputs.label!
              .data[0],
          ),
        );
      const together = await Promise.all(
        rows.flatMap((row, i) => [
          iris
            .predict({ data: new Float32Array(row), shape: [1, 4], dtype: 'float32' })
            .then((r) => Number(r.outputs.label!.data[0])),
          code.predict<number[]>([{ x: i }]).then((r) => r.outputs[0]),
        ]),
      );
      await iris.close();
      await code.close();
      await t.close();
      return { alone, together };
    },
    { ORT, IRIS, CODE },
  );
  expect(result.together).toEqual(result.alone.flatMap((label, i) => [label, i * 10]));
});

test('errors through the channel keep their code and details; a closed model is INVALID_STATE', async ({ page }) => {
  const result = await page.evaluate(
    async ({ ORT, IRIS, CODE }) => {
      const t = await edge.openTracker({ dbName: 'channel-errors' });
      const run = await t.startRun();
      const info = await run.logModel('times10', { code: CODE }, { inputExample: [{ x: 1 }] });
      await run.end();
      const iris = await t.loadModel(IRIS, { onnxruntime: ORT });
      const code = await t.loadModel(info.modelUri, { allowCode: true });
      let details: unknown;
      try {
        await iris.predict({ data: new Float32Array(3), shape: [1, 3], dtype: 'float32' });
      } catch (e) {
        details = (e as { details?: unknown }).details;
      }
      const errors = await errorsOf({
        'wrong shape': () => iris.predict({ data: new Float32Array(3), shape: [1, 3], dtype: 'float32' }),
        'code model throws': () => code.predict([{ x: -1 }]),
        'output that cannot be cloned': () => code.predict([{ x: 1000 }]),
      });
      const stillWorks = (await code.predict<number[]>([{ x: 2 }])).outputs;
      const input = new Float32Array([5.1, 3.5, 1.4, 0.2]);
      const { outputs } = await iris.predict({ data: input, shape: [1, 4], dtype: 'float32' });
      const transferred = {
        inputDetached: input.byteLength === 0,
        output: outputs.probabilities!.data.constructor.name,
        shape: outputs.probabilities!.shape,
      };
      await iris.close();
      const closed = await errorsOf({
        'predict after close': () => iris.predict({ data: new Float32Array(4), shape: [1, 4], dtype: 'float32' }),
      });
      await t.close();
      return { details, errors, stillWorks, transferred, closed };
    },
    { ORT, IRIS, CODE },
  );
  expect(result.details).toEqual({ field: '0', expected: '(-1, 4)', received: '(1, 3)' });
  expect(result.errors).toEqual({
    'wrong shape': expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', typed: true, field: '0' }),
    'code model throws': expect.objectContaining({
      code: 'BAD_REQUEST',
      typed: true,
      message: expect.stringContaining('negative x'),
    }),
    'output that cannot be cloned': expect.objectContaining({
      code: 'BAD_REQUEST',
      typed: true,
      message: expect.stringContaining('could not be sent to the page'),
    }),
  });
  expect(result.stillWorks).toEqual([20]);
  expect(result.transferred).toEqual({ inputDetached: true, output: 'Float32Array', shape: [1, 3] });
  expect(result.closed['predict after close']).toMatchObject({ code: 'INVALID_STATE', typed: true });
});

test('closing the tracker fails predicts under way and later ones with INVALID_STATE, instead of leaving them waiting', async ({
  page,
}) => {
  const result = await page.evaluate(async () => {
    const t = await edge.openTracker({ dbName: 'predict-close' });
    const run = await t.startRun();
    // A code model slow enough that the close lands while it runs.
    const slow =
      "import { setModel } from 'mlflow-edge/model'; setModel({ async predict(c, input) { await new Promise((r) => setTimeout(r, 300)); return input; } });";
    const info = await run.logModel('slow', { code: slow });
    const model = await t.loadModel(info.modelUri, { allowCode: true });
    const pending = model.predict([1, 2, 3]).then(
      (): { code?: string | undefined; message?: string } => ({ code: 'resolved' }),
      (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }),
    );
    await new Promise((r) => setTimeout(r, 50));
    await t.close();
    const later = await errorsOf({ 'predict after tracker.close()': () => model.predict([1]) });
    return { pending: await pending, later };
  });
  expect(result.pending.code).toBe('INVALID_STATE');
  expect(result.pending.message).toMatch(/tracker was closed/);
  expect(result.later['predict after tracker.close()']).toMatchObject({ code: 'INVALID_STATE', typed: true });
});
