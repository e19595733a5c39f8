/**
 * System metrics of the runs started with `logSystemMetrics`, sampled in
 * the worker as MLflow's SystemMetricsMonitor samples them: every interval
 * a sample; every `samplesBeforeLogging` samples one point per metric, their
 * mean rounded to one decimal (network totals: the last), at step 0, 1, 2…
 * (a resumed run goes on after its largest `system/` step), logged through
 * the store's ordinary log path so they sync like any metric.
 *
 * Invariants: a monitor stops, and its timer with it, when its run ends,
 * is deleted or refuses a write, and when the tracker closes; stop()
 * resolves only once no sample of it is under way, so nothing is written
 * after stop() (the tracker closes the store right after). Like MLflow's,
 * the samples of an unfinished step are dropped at the end. A sample or a
 * write that fails stops the monitor with a warning, never an error thrown
 * into a timer. Direct mode (edge functions, no timer may outlive a call):
 * one point when the run starts and one when it ends, nothing in between.
 */
import type { MetricColumns, RunBatch } from '../../protocol.js';
import { CUMULATIVE_SYSTEM_METRICS } from '../../schema/system-metrics.js';
import { createProber, type ProbeContext, type Prober, type Sample } from './probes.js';

/** What a monitor needs of the service. */
export interface MonitorHost {
  /** Whether the run still takes metrics (RUNNING and not deleted). */
  isRunning(runId: string): Promise<boolean>;
  /** The step after the run's largest `system/` step; 0 for none. */
  nextStep(runId: string): Promise<number>;
  /** Logs points and tags as the page's batches are logged; false when the run refused them. */
  publish(batch: RunBatch): Promise<boolean>;
  probes: ProbeContext;
}

export interface MonitorSettings {
  samplingInterval: number;
  samplesBeforeLogging: number;
  prefix: string;
}

class RunMonitor {
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The step under way (sample, then maybe a write): stop() waits for it. */
  private current: Promise<void> | undefined;
  private samples: Sample[] = [];
  private readonly publishedTags = new Map<string, string>();
  private readonly prober: Promise<Prober>;

  constructor(
    private readonly host: MonitorHost,
    readonly runId: string,
    private readonly settings: MonitorSettings,
    private step: number,
  ) {
    this.prober = createProber(host.probes);
  }

  /** Samples every interval until stopped. */
  start(): void {
    this.schedule();
  }

  /** One sample, logged at once (direct mode). */
  sampleNow(): Promise<void> {
    return this.guard(() => this.take(1));
  }

  /** Whether it still samples (its run ended or refused a write: no more). */
  get active(): boolean {
    return !this.stopped;
  }

  /** Resolves when no sample is under way. */
  async settled(): Promise<void> {
    await this.current;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(this.onTimer, this.settings.samplingInterval * 1000);
  }

  private readonly onTimer = () => {
    this.timer = undefined;
    void this.guard(() => this.take(this.settings.samplesBeforeLogging)).then(() => this.schedule());
  };

  /** Runs one step as `current`; a failure stops the monitor with a warning (nobody awaits a timer). */
  private guard(step: () => Promise<void>): Promise<void> {
    const current = step().catch((error: unknown) => {
      this.stopped = true;
      console.warn(
        `mlflow-edge: system metrics of run ${this.runId} stopped: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    this.current = current;
    return current;
  }

  /** Samples; logs a point per metric once `samples` samples are in. */
  private async take(samples: number): Promise<void> {
    // As MLflow's monitor: it ends when the run no longer runs (ended or deleted here or in another tab).
    if (this.stopped || !(await this.host.isRunning(this.runId))) return this.end();
    const sample = await (await this.prober)();
    if (this.stopped) return;
    this.samples.push(sample);
    if (this.samples.length < samples) return;
    const batch = this.aggregate();
    if (batch === undefined || this.stopped) return;
    if (!(await this.host.publish(batch))) this.end();
  }

  private end(): void {
    this.stopped = true;
  }

  /** One point per metric for the samples taken, and the tags that changed; then the next step. */
  private aggregate(): RunBatch | undefined {
    const samples = this.samples;
    this.samples = [];
    const values = new Map<string, number[]>();
    for (const { metrics } of samples) {
      for (const [name, value] of metrics) {
        if (!Number.isFinite(value)) continue;
        const list = values.get(name);
        if (list === undefined) values.set(name, [value]);
        else list.push(value);
      }
    }
    const batch: RunBatch = { runId: this.runId };
    if (values.size > 0) {
      const n = values.size;
      const timestamp = Date.now();
      const columns: MetricColumns = {
        keys: [],
        keyIndexes: new Uint32Array(n),
        values: new Float64Array(n),
        steps: new Float64Array(n).fill(this.step),
        timestamps: new Float64Array(n).fill(timestamp),
      };
      for (const [name, list] of values) {
        const i = columns.keys.length;
        columns.keys.push(this.settings.prefix + name);
        columns.keyIndexes[i] = i;
        columns.values[i] = CUMULATIVE_SYSTEM_METRICS.has(name) ? list[list.length - 1]! : round1(mean(list));
      }
      batch.metrics = columns;
      this.step += 1;
    }
    const tags: [string, string][] = [];
    for (const [key, value] of samples[samples.length - 1]?.tags ?? []) {
      if (this.publishedTags.get(key) === value) continue;
      this.publishedTags.set(key, value);
      tags.push([key, value]);
    }
    if (tags.length > 0) batch.tags = tags;
    return batch.metrics === undefined && batch.tags === undefined ? undefined : batch;
  }
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Python's round(x, 1) for the values a monitor logs (halves of the exact decimal aside). */
function round1(x: number): number {
  return Number(x.toFixed(1));
}

/** The monitors of one service's runs. */
export class SystemMetrics {
  private readonly monitors = new Map<string, RunMonitor>();

  constructor(
    private readonly host: MonitorHost,
    private readonly direct: boolean,
  ) {}

  /** The logging thread's heap (a comlink proxy from the page, or a function in direct mode). */
  set heapProbe(probe: () => number | undefined | Promise<number | undefined>) {
    this.host.probes.heapUsed = async () => probe();
  }

  /** Starts sampling `runId`; `resumed`: steps go on after the run's last system step (MLflow's resume_logging). */
  async start(runId: string, settings: MonitorSettings, resumed: boolean): Promise<void> {
    await this.stop(runId);
    const step = resumed ? await this.host.nextStep(runId) : 0;
    const monitor = new RunMonitor(this.host, runId, settings, step);
    this.monitors.set(runId, monitor);
    if (this.direct) await monitor.sampleNow();
    else monitor.start();
  }

  /** Stops sampling `runId` (its run ends); direct mode logs its closing point first. */
  async stop(runId: string): Promise<void> {
    const monitor = this.monitors.get(runId);
    if (monitor === undefined) return;
    this.monitors.delete(runId);
    if (this.direct) await monitor.sampleNow();
    await monitor.stop();
  }

  /** Stops every monitor, logging nothing more (the tracker closes). */
  async stopAll(): Promise<void> {
    const monitors = [...this.monitors.values()];
    this.monitors.clear();
    await Promise.all(monitors.map((m) => m.stop()));
  }

  /** Runs sampled now (tests, status). */
  get running(): string[] {
    return [...this.monitors.values()].filter((m) => m.active).map((m) => m.runId);
  }

  /** Resolves when no monitor has a sample under way (tests: a timer fired, its sample is written). */
  async settled(): Promise<void> {
    await Promise.all([...this.monitors.values()].map((m) => m.settled()));
  }
}
