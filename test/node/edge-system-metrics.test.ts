/**
 * System metrics in direct mode (mlflow-edge/edge): no timer may outlive a
 * call there, so a run with logSystemMetrics gets one point when it starts
 * (step 0) and one when it ends (step 1), and nothing runs in between.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openTracker } from '../../src/edge.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('system metrics in direct mode', () => {
  it('logs a point at start and at end, and leaves no timer', async () => {
    const tracker = await openTracker({ flushIntervalMs: 10 });
    const run = await tracker.startRun({ logSystemMetrics: true, systemMetricsSamplingInterval: 1 });
    expect(vi.getTimerCount()).toBe(0);
    const started = await tracker.getMetricHistory(run.runId, 'system/hardware_concurrency');
    expect(started.map((p) => p.step)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(5000); // no sampling timer: nothing between start and end
    expect(await tracker.getMetricHistory(run.runId, 'system/hardware_concurrency')).toHaveLength(1);
    run.logMetric('loss', 0.5);
    await run.end();
    // The page's flush timer of logMetric (its batch already sent by end()) and the store's status notice: one-shot, not a sampler.
    await vi.advanceTimersByTimeAsync(1000);
    expect(vi.getTimerCount()).toBe(0);
    const { metrics } = (await tracker.getRun(run.runId)).data;
    expect((await tracker.getMetricHistory(run.runId, 'system/hardware_concurrency')).map((p) => p.step)).toEqual([
      0, 1,
    ]);
    expect(metrics).toHaveProperty(['system/cpu_utilization_percentage']); // Node's numbers where the isolate has them
    await tracker.close();
    await vi.advanceTimersByTimeAsync(10); // the store's close waits out its last transaction on a 1 ms timer
    expect(vi.getTimerCount()).toBe(0);
  });
});
