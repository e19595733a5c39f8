/**
 * System metrics in Chromium: a run started with logSystemMetrics gets
 * `system/` points sampled in the tracker's worker (the page's heap, the
 * storage estimate, device memory, hardware concurrency, online state) at
 * steps 0, 1…, none after it ends, and the system tags (the ONNX execution
 * provider once an ONNX model is loaded; the WebGPU adapter exactly when the
 * browser has one); a run without it gets none.
 */
import { expect, test } from './fixtures.js';
import { PAGE } from '../../playwright.config.js';

const ORT = { module: '/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs' };

test('a run with logSystemMetrics gets system/ metrics from the worker, until it ends', async ({ page }) => {
  const result = await page.evaluate(
    async ({ ORT, url }) => {
      const tracker = await edge.openTracker({ dbName: 'system-metrics' });
      const model = await tracker.loadModel(url, { onnxruntime: ORT });
      const plain = await tracker.startRun({ runName: 'plain' });
      const run = await tracker.startRun({
        runName: 'sampled',
        logSystemMetrics: true,
        systemMetricsSamplingInterval: 0.2,
      });
      run.logMetric('loss', 1);
      const started = performance.now();
      // Polled until three points are in: the sampler's timer is the worker's, not the page's.
      while (performance.now() - started < 20_000) {
        const history = await tracker.getMetricHistory(run.runId, 'system/hardware_concurrency');
        if (history.length >= 3) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await run.end();
      const atEnd = await tracker.getRun(run.runId);
      const steps = (await tracker.getMetricHistory(run.runId, 'system/hardware_concurrency')).map((p) => p.step);
      await new Promise((r) => setTimeout(r, 1000)); // five intervals after the end
      const after = (await tracker.getMetricHistory(run.runId, 'system/hardware_concurrency')).length;
      const plainRun = await tracker.getRun(plain.runId);
      await plain.end();
      await model.close();
      await tracker.close();
      const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      const adapter = gpu === undefined ? null : await gpu.requestAdapter().catch(() => null);
      return {
        keys: Object.keys(atEnd.data.metrics).sort(),
        metrics: atEnd.data.metrics,
        tags: atEnd.data.tags,
        steps,
        after,
        plainKeys: [...Object.keys(plainRun.data.metrics), ...Object.keys(plainRun.data.tags)].filter((k) =>
          k.startsWith('system/'),
        ),
        cores: navigator.hardwareConcurrency,
        hasAdapter: adapter !== null,
      };
    },
    { ORT, url: `${PAGE}/test/fixtures/models/iris-onnx` },
  );
  expect(result.keys).toEqual(
    expect.arrayContaining([
      'loss',
      'system/hardware_concurrency',
      'system/online',
      'system/storage_usage_megabytes',
      'system/storage_quota_megabytes',
      'system/device_memory_gigabytes',
      'system/js_heap_used_megabytes', // the page's heap (performance.memory), asked by the worker's sampler
    ]),
  );
  expect(result.keys.filter((k) => k !== 'loss').every((k) => k.startsWith('system/'))).toBe(true);
  expect(result.steps.slice(0, 3)).toEqual([0, 1, 2]);
  expect(result.after).toBe(result.steps.length);
  expect(result.metrics['system/hardware_concurrency']).toBe(result.cores);
  expect(result.metrics['system/online']).toBe(1);
  expect(result.metrics['system/storage_quota_megabytes']).toBeGreaterThan(0);
  expect(result.metrics['system/js_heap_used_megabytes']).toBeGreaterThan(0);
  expect(result.tags['system/onnx_execution_provider']).toBe('wasm');
  expect('system/webgpu_adapter' in result.tags).toBe(result.hasAdapter);
  expect(result.plainKeys).toEqual([]);
});
