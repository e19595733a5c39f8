/**
 * System metrics (MLflow's `mlflow.start_run(log_system_metrics=True)`):
 * their names, and the rules for the options that turn them on. Every
 * metric is logged under MLflow's `system/` prefix, which is how MLflow's UI
 * puts a metric in its "System metrics" section; a name MLflow's own monitor
 * also logs (mlflow/system_metrics/metrics/*.py) is spelled as MLflow spells
 * it, so a browser run and a Python run chart on one axis.
 */
import { invalidParameter } from './errors.js';
import { validateKey } from './validation.js';

/** MLflow's prefix of system metric keys (its UI's MLFLOW_SYSTEM_METRIC_PREFIX). */
export const SYSTEM_METRIC_PREFIX = 'system/';

/** MLflow's defaults: a sample every 10 s, each logged on its own. */
export const DEFAULT_SAMPLING_INTERVAL_S = 10;
export const DEFAULT_SAMPLES_BEFORE_LOGGING = 1;
/** Below this a sample is mostly the cost of taking it (a storage estimate is an IPC round trip). */
export const MIN_SAMPLING_INTERVAL_S = 0.1;
/** setTimeout's longest delay, in seconds. */
export const MAX_SAMPLING_INTERVAL_S = 2_147_483;

/**
 * Names (after `system/`) MLflow's psutil monitor logs too: CPUMonitor,
 * DiskMonitor, NetworkMonitor. Logged in Node, Deno and Bun, where the
 * runtime tells these numbers; a browser does not.
 */
export const MLFLOW_SYSTEM_METRICS = {
  cpuUtilization: 'cpu_utilization_percentage',
  memoryUsage: 'system_memory_usage_megabytes',
  memoryPercentage: 'system_memory_usage_percentage',
  diskUsagePercentage: 'disk_usage_percentage',
  diskUsage: 'disk_usage_megabytes',
  diskAvailable: 'disk_available_megabytes',
  networkReceive: 'network_receive_megabytes',
  networkTransmit: 'network_transmit_megabytes',
} as const;

/** Names of our own, in MLflow's style (quantity, unit), for what only a JavaScript runtime tells. */
export const EDGE_SYSTEM_METRICS = {
  /** performance.memory.usedJSHeapSize (Chromium), process.memoryUsage().heapUsed: the worker's heap. */
  jsHeapUsed: 'js_heap_used_megabytes',
  /** process.memoryUsage().rss (Node, Deno, Bun). */
  processRss: 'process_memory_rss_megabytes',
  /** navigator.storage.estimate().usage: the origin's; the SQLite store's files elsewhere. */
  storageUsage: 'storage_usage_megabytes',
  /** navigator.storage.estimate().quota; the store's maxBytes elsewhere. */
  storageQuota: 'storage_quota_megabytes',
  /** navigator.deviceMemory: the browser's coarse figure (a power of two), in gigabytes as it gives it. */
  deviceMemory: 'device_memory_gigabytes',
  /** navigator.hardwareConcurrency, os.availableParallelism(). */
  hardwareConcurrency: 'hardware_concurrency',
  /** navigator.onLine as 1 or 0 (averaged over the samples of one logging step). */
  online: 'online',
} as const;

/** Metrics that are totals since the monitor started: logged as the last sample, not averaged (as MLflow's NetworkMonitor). */
export const CUMULATIVE_SYSTEM_METRICS: ReadonlySet<string> = new Set([
  MLFLOW_SYSTEM_METRICS.networkReceive,
  MLFLOW_SYSTEM_METRICS.networkTransmit,
]);

/**
 * System information that is not a number, as run tags (MLflow logs none:
 * its GPU monitor logs numbers only). Tags, not params: params are write-once,
 * and a resumed run may run on another GPU or execution provider.
 */
export const SYSTEM_TAGS = {
  /** The WebGPU adapter (GPUAdapterInfo's vendor, architecture, device, description). */
  webgpuAdapter: 'system/webgpu_adapter',
  /** The execution provider of the ONNX models loaded in the worker ('wasm', 'cpu'). */
  onnxExecutionProvider: 'system/onnx_execution_provider',
} as const;

/** How a run's system metrics are sampled (MLflow's `set_system_metrics_*` settings, per run). */
export interface SystemMetricsSettings {
  /** Seconds between samples (MLflow's sampling_interval). Default 10. */
  samplingInterval?: number | undefined;
  /** Samples averaged into one logged point (MLflow's samples_before_logging). Default 1. */
  samplesBeforeLogging?: number | undefined;
  /** Logs `system/<nodeId>/<name>` (MLflow's node_id), for several machines in one run. */
  nodeId?: string | undefined;
}

/** Checks the settings (page and worker alike) and fills MLflow's defaults. */
export function resolveSystemMetricsSettings(settings: SystemMetricsSettings): {
  samplingInterval: number;
  samplesBeforeLogging: number;
  /** `system/`, or `system/<nodeId>/`. */
  prefix: string;
} {
  const { samplingInterval = DEFAULT_SAMPLING_INTERVAL_S, samplesBeforeLogging = DEFAULT_SAMPLES_BEFORE_LOGGING } =
    settings;
  if (
    typeof samplingInterval !== 'number' ||
    !(samplingInterval >= MIN_SAMPLING_INTERVAL_S && samplingInterval <= MAX_SAMPLING_INTERVAL_S)
  ) {
    throw invalidParameter(
      `Invalid value ${String(samplingInterval)} for systemMetricsSamplingInterval: give the seconds between samples, a number from ${MIN_SAMPLING_INTERVAL_S} to ${MAX_SAMPLING_INTERVAL_S} (default ${DEFAULT_SAMPLING_INTERVAL_S}).`,
      { field: 'systemMetricsSamplingInterval' },
    );
  }
  if (!Number.isSafeInteger(samplesBeforeLogging) || samplesBeforeLogging < 1) {
    throw invalidParameter(
      `Invalid value ${String(samplesBeforeLogging)} for systemMetricsSamplesBeforeLogging: give a positive integer, the number of samples averaged into one logged point (default ${DEFAULT_SAMPLES_BEFORE_LOGGING}).`,
      { field: 'systemMetricsSamplesBeforeLogging' },
    );
  }
  let prefix = SYSTEM_METRIC_PREFIX;
  if (settings.nodeId !== undefined) {
    if (typeof settings.nodeId !== 'string' || settings.nodeId === '') {
      throw invalidParameter('systemMetricsNodeId must be a non-empty string, e.g. "node_0".', {
        field: 'systemMetricsNodeId',
      });
    }
    prefix += `${settings.nodeId}/`;
    // The longest name must be a valid metric key: checks the node id's characters and length at once.
    validateKey(`${prefix}${MLFLOW_SYSTEM_METRICS.memoryPercentage}`, 'metric');
  }
  return { samplingInterval, samplesBeforeLogging, prefix };
}
