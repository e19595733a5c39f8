/**
 * System metrics (`startRun({ logSystemMetrics: true })`, MLflow's
 * log_system_metrics): sampled in the service on its timer, logged under
 * MLflow's names and steps through the store's log path, stopped with the
 * run, its deletion and the tracker. Fake timers: each interval is one
 * timer, fired here; `settled()` waits for the sample it started.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MLFLOW_SYSTEM_METRICS, EDGE_SYSTEM_METRICS } from '../../../src/schema/system-metrics.js';
import type { TrackerService } from '../../../src/worker/service.js';
import type { SystemMetrics } from '../../../src/worker/system-metrics/monitor.js';
import type { Db } from '../../../src/store/schema.js';
import { openedPerTest } from '../in-process.js';
import { STORE_ADAPTER } from '../store-location.js';
import { rejection } from '../typed-errors.js';

const open = openedPerTest();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const internals = (service: TrackerService) =>
  (service as unknown as { opened: { systemMetrics: SystemMetrics; db: Db } }).opened;

/** Fires `n` sampling timers of `seconds` each, waiting for each sample to be written. */
async function tick(service: TrackerService, seconds: number, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    await vi.advanceTimersByTimeAsync(seconds * 1000);
    await internals(service).systemMetrics.settled();
  }
}

const systemKeys = (metrics: Record<string, number>) =>
  Object.keys(metrics)
    .filter((k) => k.startsWith('system/'))
    .sort();

describe('system metrics of a run', () => {
  it('logs MLflow-named points every interval at steps 0, 1, 2…, and stops when the run ends', async () => {
    const { tracker, service } = await open();
    const run = await tracker.startRun({ logSystemMetrics: true, systemMetricsSamplingInterval: 5 });
    expect((await tracker.getRun(run.runId)).data.metrics).toEqual({}); // as MLflow: the first point after one interval
    await tick(service, 5, 3);
    const { metrics } = (await tracker.getRun(run.runId)).data;
    // Node tells what MLflow's psutil monitor logs (network counters only where /proc/net/dev is).
    const names = [
      MLFLOW_SYSTEM_METRICS.cpuUtilization,
      MLFLOW_SYSTEM_METRICS.memoryUsage,
      MLFLOW_SYSTEM_METRICS.memoryPercentage,
      MLFLOW_SYSTEM_METRICS.diskUsage,
      MLFLOW_SYSTEM_METRICS.diskAvailable,
      MLFLOW_SYSTEM_METRICS.diskUsagePercentage,
      EDGE_SYSTEM_METRICS.jsHeapUsed,
      EDGE_SYSTEM_METRICS.processRss,
      EDGE_SYSTEM_METRICS.hardwareConcurrency,
    ];
    for (const name of names) expect(metrics).toHaveProperty([`system/${name}`]);
    // The SQLite store's size; IndexedDB's is the browser's estimate, a memory store has none.
    if (STORE_ADAPTER === 'sqlite') expect(metrics['system/storage_usage_megabytes']).toBeGreaterThan(0);
    const memory = await tracker.getMetricHistory(run.runId, 'system/system_memory_usage_percentage');
    expect(memory.map((p) => p.step)).toEqual([0, 1, 2]);
    for (const p of memory) {
      expect(p.value).toBeGreaterThan(0);
      expect(p.value).toBeLessThanOrEqual(100);
      expect(p.value).toBe(Math.round(p.value * 10) / 10); // MLflow's round(mean, 1)
    }
    expect(internals(service).systemMetrics.running).toEqual([run.runId]);
    await run.end();
    expect(internals(service).systemMetrics.running).toEqual([]);
    await tick(service, 5, 2);
    expect(vi.getTimerCount()).toBe(0); // the store's own notices have fired too: nothing of the monitor is left
    expect((await tracker.getMetricHistory(run.runId, 'system/system_memory_usage_percentage')).length).toBe(3);
  });

  it('is off unless asked, and page metrics of the run are untouched', async () => {
    const { tracker, service } = await open();
    const run = await tracker.startRun();
    run.logMetric('loss', 1);
    await tick(service, 10, 2);
    expect(Object.keys((await tracker.getRun(run.runId)).data.metrics)).toEqual(['loss']);
    expect(internals(service).systemMetrics.running).toEqual([]);
  });

  it('averages samplesBeforeLogging samples into one point, under system/<nodeId>/', async () => {
    const { tracker, service } = await open();
    const run = await tracker.startRun({
      logSystemMetrics: true,
      systemMetricsSamplingInterval: 1,
      systemMetricsSamplesBeforeLogging: 3,
      systemMetricsNodeId: 'node_0',
    });
    await tick(service, 1, 2);
    expect(systemKeys((await tracker.getRun(run.runId)).data.metrics)).toEqual([]);
    await tick(service, 1);
    const history = await tracker.getMetricHistory(run.runId, 'system/node_0/hardware_concurrency');
    expect(history.map((p) => p.step)).toEqual([0]);
    await tick(service, 1, 3);
    expect((await tracker.getMetricHistory(run.runId, 'system/node_0/hardware_concurrency')).length).toBe(2);
    expect(
      systemKeys((await tracker.getRun(run.runId)).data.metrics).every((k) => k.startsWith('system/node_0/')),
    ).toBe(true);
    await run.end();
  });

  it('a resumed run goes on after its last system step (MLflow resume_logging)', async () => {
    const { tracker, service } = await open();
    const first = await tracker.startRun({ logSystemMetrics: true, systemMetricsSamplingInterval: 1 });
    await tick(service, 1, 2);
    await first.end();
    const resumed = await tracker.startRun({
      runId: first.runId,
      logSystemMetrics: true,
      systemMetricsSamplingInterval: 1,
    });
    await tick(service, 1, 2);
    const steps = (await tracker.getMetricHistory(first.runId, 'system/hardware_concurrency')).map((p) => p.step);
    expect(steps).toEqual([0, 1, 2, 3]);
    await resumed.end();
  });

  it('stops when the run is deleted or ended elsewhere, without an error', async () => {
    const { tracker, service } = await open();
    const warn = vi.spyOn(console, 'warn');
    const run = await tracker.startRun({ logSystemMetrics: true, systemMetricsSamplingInterval: 1 });
    await tick(service, 1);
    const { db } = internals(service);
    const record = (await db.get('runs', run.runId))!;
    await db.put('runs', { ...record, lifecycleStage: 'deleted' });
    await tick(service, 1, 3);
    expect(internals(service).systemMetrics.running).toEqual([]);
    await db.put('runs', record);
    expect((await tracker.getMetricHistory(run.runId, 'system/hardware_concurrency')).length).toBe(1);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('stops on close: no timer left, nothing written after, nothing thrown', async () => {
    const { tracker, service, dbName } = await open();
    const warn = vi.spyOn(console, 'warn');
    const run = await tracker.startRun({ logSystemMetrics: true, systemMetricsSamplingInterval: 1 });
    await tick(service, 1);
    // A sample under way when close() comes: close waits for it, then nothing more.
    await vi.advanceTimersByTimeAsync(1000);
    await tracker.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    const { tracker: again } = await open({ dbName });
    const points = await again.getMetricHistory(run.runId, 'system/hardware_concurrency');
    expect(points.map((p) => p.step)).toEqual(points.length === 1 ? [0] : [0, 1]);
    expect((await again.getRun(run.runId)).info.status).toBe('RUNNING');
    expect(warn).not.toHaveBeenCalled(); // no write into the closed store, no failure told to nobody
    warn.mockRestore();
  });

  it('refuses a bad interval, count or node id with INVALID_PARAMETER_VALUE, and starts no run', async () => {
    const { tracker, service } = await open();
    for (const options of [
      { systemMetricsSamplingInterval: 0 },
      { systemMetricsSamplingInterval: -1 },
      { systemMetricsSamplingInterval: Number.NaN },
      { systemMetricsSamplingInterval: 0.01 },
      { systemMetricsSamplingInterval: '5' as unknown as number },
      { systemMetricsSamplesBeforeLogging: 0 },
      { systemMetricsSamplesBeforeLogging: 1.5 },
      { systemMetricsNodeId: '' },
      { systemMetricsNodeId: 'a\u0000b' },
      { logSystemMetrics: 'yes' as unknown as boolean },
    ]) {
      const error = await rejection(tracker.startRun({ logSystemMetrics: true, ...options }));
      expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    }
    // The worker checks again what crosses postMessage.
    const error = await rejection(service.startRun({ startTime: Date.now(), systemMetrics: { samplingInterval: -5 } }));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toMatch(/systemMetricsSamplingInterval/);
    expect(await tracker.searchRuns()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
