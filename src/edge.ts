/**
 * mlflow-edge/edge: direct mode, for edge functions (Cloudflare Workers and
 * other runtimes without a disk or Web Workers). The tracker's service runs
 * in the caller's own isolate over an in-memory store, with the same public
 * API as the browser's tracker; `await tracker.sync()` uploads everything to
 * the MLflow server with the browser's sync engine (same packing, retries and
 * acknowledgements). Nothing syncs in the background and nothing is left
 * running once `sync()` settles, so a request can end right after it.
 *
 * There is no disk: what was not uploaded is lost when the tracker is closed
 * or the isolate ends.
 * @packageDocumentation
 */
import type { Remote } from 'comlink';
import { Tracker } from './client/tracker.js';
import { EDGE_SOURCE, validateRunContext } from './client/run-context.js';
import type { RemoteOptions, TrackerWorkerApi } from './protocol.js';
import { DEFAULT_RETRY, type RetryPolicy } from './remote/retry.js';
import { MlflowEdgeError } from './schema/errors.js';
import { dropMemoryStore } from './store/adapters/memory.js';
import { TrackerService } from './worker/service.js';

export interface EdgeTrackerOptions {
  /**
   * The MLflow tracking server that `tracker.sync()` uploads to. `autoSync`
   * is ignored: in direct mode only `sync()` uploads.
   */
  remote?: RemoteOptions;
  /** Written to each new run as the `mlflow.user` tag. Default: the basic-auth user name of `remote`, else 'unknown'. */
  user?: string;
  /** Written to each new run as the `mlflow.source.name` tag. Default `<edge function>`. */
  source?: string;
  /** How long logged items wait before they go to the in-memory store. Default 100 ms (`sync()` and `flush()` send at once). */
  flushIntervalMs?: number;
  /** Items that trigger a write to the store at once. Default 500. */
  maxBatchItems?: number;
  /**
   * How `sync()` retries what may succeed later (no answer, 408, 429, 5xx):
   * `attempts` per request, with exponential backoff and full jitter from
   * `baseMs`, each wait at most `capMs`. Default `EDGE_RETRY` (at most
   * about 15 s of waiting in all), shorter than the browser's, so that
   * `sync()` settles within a platform's limit on work after a response
   * (30 s for Cloudflare's `ctx.waitUntil`).
   */
  retry?: Partial<RetryPolicy>;
}

/** Direct mode's retries: as the browser's, with a shorter cap on each wait (0.5 + 1 + 2 + 4 + 8 s at most). */
export const EDGE_RETRY: RetryPolicy = Object.freeze({ ...DEFAULT_RETRY, attempts: 6, capMs: 8_000 });

let opened = 0;

/**
 * Opens a tracker whose service runs here, in this isolate, over a new
 * in-memory store of its own. Log as with the browser's tracker, then
 * `await tracker.sync()` (or pass it to `ctx.waitUntil`) before the
 * function's work ends, and `close()` to free the store's memory.
 */
export async function openTracker(options: EdgeTrackerOptions = {}): Promise<Tracker> {
  validateRunContext(options);
  const policy = { ...EDGE_RETRY, ...options.retry };
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isSafeInteger(value) || value < (key === 'attempts' ? 1 : 0)) {
      throw new MlflowEdgeError(
        'INVALID_PARAMETER_VALUE',
        `retry.${key} must be a ${key === 'attempts' ? 'positive' : 'non-negative'} integer, got ${String(value)}.`,
        { field: `retry.${key}` },
      );
    }
  }
  // One store per tracker: two requests of an isolate never share (or leak) each other's runs.
  const name = `mlflow-edge-direct-${++opened}-${crypto.randomUUID()}`;
  const service = new TrackerService(policy, { direct: true });
  const remote = options.remote === undefined ? undefined : { ...options.remote, autoSync: false };
  try {
    await service.open({ dbName: name, store: { memory: name }, ...(remote === undefined ? {} : { remote }) });
  } catch (error) {
    await service.close();
    dropMemoryStore(name);
    throw error;
  }
  // In place of a worker: closing the tracker closes the service, then frees its store.
  const host = { terminate: () => dropMemoryStore(name) };
  const trackerOptions: ConstructorParameters<typeof Tracker>[2] = { dbName: name };
  if (options.user !== undefined) trackerOptions.user = options.user;
  if (options.source !== undefined) trackerOptions.source = options.source;
  if (options.remote !== undefined) trackerOptions.remote = options.remote;
  if (options.flushIntervalMs !== undefined) trackerOptions.flushIntervalMs = options.flushIntervalMs;
  if (options.maxBatchItems !== undefined) trackerOptions.maxBatchItems = options.maxBatchItems;
  return new Tracker(host, service as unknown as Remote<TrackerWorkerApi>, trackerOptions, { source: EDGE_SOURCE });
}

export { Tracker } from './client/tracker.js';
export type {
  StartRunOptions,
  SearchRunsOptions,
  CreateExperimentOptions,
  SearchExperimentsOptions,
  ExperimentRef,
  ErrorListener,
} from './client/tracker.js';
export { Run } from './client/run.js';
export type { MetricOptions, EndOptions } from './client/run.js';
export type { LogInputOptions } from './schema/datasets/input.js';
export { MlflowEdgeError } from './schema/errors.js';
export type { ErrorCode } from './schema/errors.js';
export type { RetryPolicy } from './remote/retry.js';
export type {
  Experiment,
  FileInfo,
  Metric,
  MetricPoint,
  Run as RunRecord,
  RunData,
  RunInfo,
  RunStatus,
  EndStatus,
} from './schema/entities.js';
export type { ArtifactData, DeadLetter, RemoteOptions, SyncCounts, SyncStatus } from './protocol.js';
export type { TextValue } from './schema/validation.js';
