/**
 * The page-side tracker: owns the worker, batches what runs log into one
 * message per flush, and answers queries from the local store.
 *
 * Every batch carries this tracker's session id and a batch number; batches
 * the worker has not answered yet are kept until it does, and journaled to
 * localStorage when the page is hidden or unloaded (client/journal.ts), so a
 * page that goes away loses nothing it logged before.
 */
import { proxy, wrap, type Remote } from 'comlink';
import { installErrorTransfer } from '../comlink-errors.js';
import type {
  LoadModelOptions,
  LogBatch,
  LoggedModel,
  MetricHistoryColumns,
  OpenRequest,
  RemoteOptions,
  SyncStatus,
  TrackerWorkerApi,
} from '../protocol.js';
import type { Experiment, FileInfo, MetricPoint, Run as RunRecord, ViewType } from '../schema/entities.js';
import {
  NOTE_TAG,
  validateArtifactLocation,
  validateExperimentRef,
  validateExperimentTag,
  validateViewType,
  type ExperimentRef,
} from '../schema/experiments.js';
import { asEdgeError, MlflowEdgeError, reviveError } from '../schema/errors.js';
import {
  stringifyValue,
  validateArtifactDir,
  validateArtifactPath,
  validateExperimentName,
  validateKey,
  validateModelArtifactPath,
  validateRunId,
  validateRunName,
  validateTagValue,
  type TextValue,
} from '../schema/validation.js';
import {
  validateAlias,
  validateRegisteredModelName,
  type ModelVersion,
  type RegisteredModel,
} from '../schema/registry.js';
import { resolveSystemMetricsSettings, type SystemMetricsSettings } from '../schema/system-metrics.js';
import { DESCRIPTION_TAG, Run, type RunHost } from './run.js';
import {
  DEFAULT_USER,
  defaultSourceName,
  remoteUser,
  SOURCE_TYPE,
  validateRunContext,
  validateSource,
  type RunContextDefaults,
} from './run-context.js';
import { canTellHeap, heapUsed } from './heap.js';
import { Model } from './model.js';
import { startWorker } from './worker-url.js';
import { journalKey, journalStorage, newSessionId, readJournals, removeJournal, saveJournal } from './journal.js';

export interface TrackerOptions {
  /** IndexedDB database name. Default "mlflow-edge". */
  dbName?: string;
  /** How long logged items may wait on the page before they are sent to the worker. Default 100 ms. */
  flushIntervalMs?: number;
  /** Items that trigger a send at once. Default 4096. */
  maxBatchItems?: number;
  /**
   * Written to each new run as the `mlflow.user` tag (and the run's user id).
   * Default: the tracking server's basic-auth user name, else in Node, Deno
   * and Bun the OS account (as Python's `getpass.getuser()`), else 'unknown'.
   */
  user?: string;
  /**
   * Written to each new run as the `mlflow.source.name` tag (MLflow's Source
   * column shows its last path segment). Default: the page's URL without
   * query, fragment or trailing '/'; in Node, Deno and Bun the main script's
   * path (`process.argv[1]`); in mlflow-edge/edge `<edge function>`.
   */
  source?: string;
  /** Where the worker script is; default: worker.js next to this library file. */
  workerUrl?: string | URL;
  /** An MLflow tracking server to upload everything to. */
  remote?: RemoteOptions;
}

export interface StartRunOptions {
  /** Default "Default", created on first use. */
  experimentName?: string;
  runName?: string;
  tags?: Record<string, TextValue>;
  /** Makes this a nested run of that parent (tag `mlflow.parentRunId`). */
  parentRunId?: string;
  /** Resume this existing local run (status back to RUNNING). */
  runId?: string;
  /** This run's `mlflow.source.name`, in place of the tracker's `source`. Ignored when resuming. */
  source?: string;
  /** The run's description (Markdown): the `mlflow.note.content` tag, as `mlflow.start_run(description=…)`. */
  description?: string;
  /**
   * Sample system metrics (`system/…`: heap, storage, CPU and memory where the
   * runtime tells them) in the worker while the run runs, as
   * `mlflow.start_run(log_system_metrics=True)`. Default false.
   */
  logSystemMetrics?: boolean;
  /** Seconds between samples (MLflow's sampling interval), from 0.1. Default 10. */
  systemMetricsSamplingInterval?: number;
  /** Samples averaged into each logged point (MLflow's samples_before_logging). Default 1. */
  systemMetricsSamplesBeforeLogging?: number;
  /** Log as `system/<nodeId>/<name>` (MLflow's node_id), for several devices logging to one run. */
  systemMetricsNodeId?: string;
}

export interface SearchRunsOptions {
  /** Default: every experiment. */
  experimentName?: string;
  experimentNames?: string[];
  /** MLflow filter syntax, e.g. `params.lr = '0.1' AND metrics.acc > 0.9`. */
  filter?: string;
  /** e.g. `['metrics.acc DESC']`. Default start time, newest first. */
  orderBy?: string[];
  /** Default 1000, at most 50000. */
  maxResults?: number;
  /** MLflow's run_view_type: 'ACTIVE_ONLY' (default), 'DELETED_ONLY' or 'ALL'. */
  runViewType?: ViewType;
}

export interface CreateExperimentOptions {
  /** Experiment tags; values are stringified as Python's str(). */
  tags?: Record<string, TextValue>;
  /** Where the server puts the experiment's artifacts (sent with experiments/create); default: the server's. */
  artifactLocation?: string;
}

export interface SearchExperimentsOptions {
  /** MLflow's experiment filter, e.g. `name LIKE 'sweep-%' AND tags.team = 'vision'`. */
  filter?: string;
  /** e.g. `['name ASC']`. Default `creation_time DESC, experiment_id ASC`, as MLflow. */
  orderBy?: string[];
  /** Default 1000, at most 50000. */
  maxResults?: number;
  /** MLflow's view_type: 'ACTIVE_ONLY' (default), 'DELETED_ONLY' or 'ALL'. */
  viewType?: ViewType;
}

export type { ExperimentRef } from '../schema/experiments.js';

export interface StorageInfo {
  /** Bytes used by this origin, as the browser estimates it. */
  usage: number;
  /** Bytes this origin may use. */
  quota: number;
  /** Whether the browser promised not to evict this origin's data. */
  persisted: boolean;
}

export type ErrorListener = (error: Error) => void;

export async function openTracker(options: TrackerOptions = {}): Promise<Tracker> {
  installErrorTransfer();
  const dbName = checkDbName(options.dbName);
  validateRunContext(options);
  const worker = startWorker(options.workerUrl);
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      reject(
        new MlflowEdgeError(
          'INTERNAL_ERROR',
          `The mlflow-edge worker failed to start (${event.message || 'script error'}). Check that worker.js is served next to the library file, or pass workerUrl.`,
        ),
      );
    });
  });
  return connectTracker({ worker, api: wrap<TrackerWorkerApi>(worker), failed }, { dbName }, options);
}

/** A started worker: how to stop it, its API, and a promise that rejects if it fails to start. */
export interface StartedWorker {
  worker: { terminate(): unknown };
  api: Remote<TrackerWorkerApi>;
  failed: Promise<never>;
}

/** The worker's system-metrics settings for startRun's options, checked here; undefined when off. */
function systemMetricsRequest(options: StartRunOptions): SystemMetricsSettings | undefined {
  const { logSystemMetrics: on = false } = options;
  if (typeof on !== 'boolean')
    throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', 'logSystemMetrics must be true or false.', {
      field: 'logSystemMetrics',
    });
  const settings: SystemMetricsSettings = {};
  if (options.systemMetricsSamplingInterval !== undefined)
    settings.samplingInterval = options.systemMetricsSamplingInterval;
  if (options.systemMetricsSamplesBeforeLogging !== undefined)
    settings.samplesBeforeLogging = options.systemMetricsSamplesBeforeLogging;
  if (options.systemMetricsNodeId !== undefined) settings.nodeId = options.systemMetricsNodeId;
  // Checked even when off: a bad interval is a mistake to hear about, not to ignore.
  resolveSystemMetricsSettings(settings);
  return on ? settings : undefined;
}

export function checkDbName(dbName: unknown = 'mlflow-edge'): string {
  if (typeof dbName !== 'string' || dbName === '') {
    throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', 'dbName must be a non-empty string (default "mlflow-edge").');
  }
  return dbName;
}

/** Opens the store in a started worker and returns the tracker (every host: browser, Node, Deno, Bun). */
export async function connectTracker(
  started: StartedWorker,
  request: Omit<OpenRequest, 'remote'>,
  options: TrackerOptions,
  defaults: RunContextDefaults = {},
): Promise<Tracker> {
  installErrorTransfer();
  const { worker, api, failed } = started;
  failed.catch(() => undefined); // a failure after open is reported by the calls that meet it
  try {
    await Promise.race([
      api.open(options.remote === undefined ? request : { ...request, remote: options.remote }),
      failed,
    ]);
  } catch (error) {
    worker.terminate();
    throw error;
  }
  const tracker = new Tracker(worker, api, { ...options, dbName: request.dbName }, defaults);
  await tracker.recover();
  return tracker;
}

export class Tracker implements RunHost {
  /** Models loaded and not closed: a closed tracker fails their pending calls. */
  private readonly models = new Set<Model>();
  private readonly flushIntervalMs: number;
  private readonly maxBatchItems: number;
  private readonly user: string;
  private readonly source: string;
  private readonly dbName: string;
  private dirty = new Set<Run>();
  private bufferedItems = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = new Set<Promise<void>>();
  private unreported: Error[] = [];
  private listeners = new Set<ErrorListener>();
  private closed = false;
  /** The worker has this thread's heap probe (system metrics). */
  private heapProbeSent = false;
  /** This tracker's batches are numbered 1, 2, 3… within this session. */
  private readonly sessionId = newSessionId();
  private batchNo = 0;
  /** Batches sent and not yet answered by the worker, in order: what a journal must hold. */
  private readonly unacked = new Map<number, LogBatch>();
  /** Where this page journals; undefined without a page or localStorage. */
  private readonly journal: { storage: Storage; key: string } | undefined;
  /** The page may be going away: send what is buffered and journal everything the worker has not answered. */
  private readonly onHide = (event: Event) => {
    if (event.type === 'visibilitychange' && document.visibilityState !== 'hidden') return;
    this.send();
    if (this.journal === undefined) return;
    const { storage, key } = this.journal;
    if (!saveJournal(storage, key, this.sessionId, [...this.unacked.values()])) {
      console.warn(
        `mlflow-edge: localStorage refused the journal of ${this.unacked.size} batches the worker has not stored yet (full or blocked); they are lost if the page closes before the worker stores them.`,
      );
    }
  };

  /** @internal Use `openTracker()`. `defaults`: the host's user and source when the options give none. */
  constructor(
    private readonly worker: { terminate(): unknown },
    private readonly api: Remote<TrackerWorkerApi>,
    options: TrackerOptions,
    defaults: RunContextDefaults = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.maxBatchItems = options.maxBatchItems ?? 4096;
    this.user = options.user ?? remoteUser(options.remote) ?? defaults.user ?? DEFAULT_USER;
    this.source = options.source ?? defaults.source ?? defaultSourceName();
    this.dbName = options.dbName ?? 'mlflow-edge';
    const storage = journalStorage();
    this.journal =
      storage !== undefined && typeof document !== 'undefined'
        ? { storage, key: journalKey(this.dbName, this.sessionId) }
        : undefined;
    if (typeof document !== 'undefined') {
      addEventListener('pagehide', this.onHide);
      document.addEventListener('visibilitychange', this.onHide);
    }
  }

  /**
   * @internal Called once by openTracker, before the tracker is returned:
   * hands the worker every journal earlier pages left for this database
   * (batches it may not have stored before they went away), then removes
   * them. What the worker refuses rejects the first flush() (no onError
   * listener can be there yet); a failed replay leaves the journals for the
   * next open.
   */
  async recover(): Promise<void> {
    const storage = journalStorage();
    if (storage === undefined) return;
    const { journals, corrupt } = readJournals(storage, this.dbName);
    for (const { key, text } of corrupt) {
      removeJournal(storage, key, text);
      this.report(
        new MlflowEdgeError(
          'DATA_LOSS',
          `The journal ${key} in localStorage could not be read (not written by this mlflow-edge version, or damaged) and was removed; what it held was not stored.`,
          {
            key,
          },
        ),
      );
    }
    if (journals.length === 0) return;
    try {
      const result = await this.api.replayJournal(journals.flatMap((j) => j.batches));
      for (const data of result.rejected)
        this.report(asEdgeError(reviveError(data), 'An item of a replayed journal was not stored'));
      for (const { key, text } of journals) removeJournal(storage, key, text);
    } catch (error) {
      this.report(
        asEdgeError(
          error,
          'Items a previous page logged could not be replayed from its journal; they stay in localStorage and are replayed on the next openTracker()',
        ),
      );
    }
  }

  async startRun(options: StartRunOptions = {}): Promise<Run> {
    this.assertOpen();
    if (options.experimentName !== undefined) validateExperimentName(options.experimentName);
    if (options.runName !== undefined) validateRunName(options.runName);
    if (options.parentRunId !== undefined) validateRunId(options.parentRunId);
    if (options.runId !== undefined) validateRunId(options.runId);
    if (options.source !== undefined) validateSource(options.source);
    const systemMetrics = systemMetricsRequest(options);
    const tags: Record<string, string> = {};
    if (options.runId === undefined) Object.assign(tags, this.systemTags(options.source ?? this.source));
    const given = { ...options.tags };
    if (options.description !== undefined) {
      if (typeof options.description !== 'string')
        throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', 'description must be a string (Markdown).', {
          field: 'description',
        });
      given[DESCRIPTION_TAG] = options.description;
    }
    for (const [key, raw] of Object.entries(given)) {
      validateKey(key, 'tag');
      const value = stringifyValue(raw, 'tag', key);
      validateTagValue(key, value);
      tags[key] = value;
    }
    const request: Parameters<TrackerWorkerApi['startRun']>[0] = { tags, startTime: Date.now() };
    if (options.experimentName !== undefined) request.experimentName = options.experimentName;
    if (options.runName !== undefined) request.runName = options.runName;
    if (options.parentRunId !== undefined) request.parentRunId = options.parentRunId;
    if (options.runId !== undefined) request.runId = options.runId;
    if (systemMetrics !== undefined) {
      request.systemMetrics = systemMetrics;
      if (!this.heapProbeSent && canTellHeap()) {
        this.heapProbeSent = true;
        await this.api.setHeapProbe(proxy(heapUsed));
      }
    }
    const { run } = await this.api.startRun(request);
    return new Run(this, run.info, run.data.params);
  }

  /** MLflow's DefaultRunContext tags (see run-context.ts); tags the caller passes override them. */
  private systemTags(source: string): Record<string, string> {
    return { 'mlflow.user': this.user, 'mlflow.source.name': source, 'mlflow.source.type': SOURCE_TYPE };
  }

  /** @internal */
  enqueue(run: Run, items: number): void {
    this.dirty.add(run);
    this.bufferedItems += items;
    if (this.bufferedItems >= this.maxBatchItems) this.send();
    else if (this.timer === undefined) this.timer = setTimeout(this.onTimer, this.flushIntervalMs);
  }

  /**
   * The timer is left running when a full buffer is sent before it: items
   * logged after that send wait less, never more, and a logging loop arms
   * one timer per interval instead of one per batch.
   */
  private readonly onTimer = () => {
    this.timer = undefined;
    this.send();
  };

  /** Sends what is buffered as one message. Failures are kept for the next flush() and told to onError listeners. */
  private send(): void {
    if (this.dirty.size === 0) return;
    const runs = [...this.dirty];
    const batchNo = ++this.batchNo;
    const batch: LogBatch = { runs: runs.map((run) => run.takeBatch()), sessionId: this.sessionId, batchNo };
    this.dirty.clear();
    this.bufferedItems = 0;
    this.unacked.set(batchNo, batch);
    const sent = this.api.logBatch(batch).then(
      (result) => {
        this.unacked.delete(batchNo);
        for (const data of result.rejected) {
          const error = reviveError(data);
          const d = data.details;
          if (typeof d?.runId === 'string' && typeof d.key === 'string' && typeof d.oldValue === 'string') {
            runs.find((run) => run.runId === d.runId)?.learnParam(d.key, d.oldValue);
          }
          this.report(asEdgeError(error, 'An item of a logged batch was not stored'));
        }
      },
      (error: unknown) => {
        // Nothing of the batch was stored, and the caller is told: a journal must not bring it back.
        this.unacked.delete(batchNo);
        runs.forEach((run, i) => run.unlearnParams(batch.runs[i]?.params ?? []));
        this.report(asEdgeError(error, 'A batch of logged params, tags and metrics was not stored; log them again'));
      },
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  private report(error: Error): void {
    this.unreported.push(error);
    for (const listener of this.listeners) {
      try {
        listener(error);
      } catch (listenerError) {
        console.error('mlflow-edge: an onError listener threw', listenerError);
      }
    }
  }

  /**
   * Resolves when everything logged before the call is on disk. Rejects with
   * the first error since the previous flush (a param changed by another tab,
   * a full disk, …); every error also went to onError listeners.
   */
  async flush(): Promise<void> {
    this.assertOpen();
    return this.drain();
  }

  /** Sends what is buffered and waits for every batch under way; rejects with the first unreported error. */
  private async drain(): Promise<void> {
    this.send();
    await Promise.all([...this.inFlight]);
    const [first] = this.unreported;
    this.unreported = [];
    if (first !== undefined) throw first;
  }

  /** Calls `listener` with each failure that happens after a fire-and-forget call returned. Returns an unsubscribe function. */
  onError(listener: ErrorListener): () => void {
    this.assertOpen();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal */
  logArtifact(runId: string, path: string, data: Parameters<TrackerWorkerApi['logArtifact']>[2]): Promise<FileInfo> {
    this.assertOpen();
    return this.api.logArtifact(runId, path, data);
  }

  /** @internal */
  logInputs(runId: string, inputs: Parameters<TrackerWorkerApi['logInputs']>[1], models: string[] = []): Promise<void> {
    this.assertOpen();
    return this.api.logInputs(runId, inputs, models);
  }

  /** @internal */
  logModel(
    runId: string,
    name: string,
    spec: Parameters<TrackerWorkerApi['logModel']>[2],
    options: Parameters<TrackerWorkerApi['logModel']>[3],
  ) {
    this.assertOpen();
    return this.api.logModel(runId, name, spec, options);
  }

  /** @internal */
  endRun(runId: string, status: Parameters<TrackerWorkerApi['endRun']>[1], endTime: number): Promise<void> {
    this.assertOpen();
    return this.api.endRun(runId, status, endTime);
  }

  async getRun(runId: string): Promise<RunRecord> {
    this.assertOpen();
    validateRunId(runId);
    return this.api.getRun(runId);
  }

  async searchRuns(options: SearchRunsOptions = {}): Promise<RunRecord[]> {
    this.assertOpen();
    const names = [
      ...(options.experimentNames ?? []),
      ...(options.experimentName !== undefined ? [options.experimentName] : []),
    ];
    const request: Parameters<TrackerWorkerApi['searchRuns']>[0] = {};
    if (names.length > 0) request.experimentNames = names;
    if (options.filter !== undefined) request.filter = options.filter;
    if (options.orderBy !== undefined) request.orderBy = options.orderBy;
    if (options.maxResults !== undefined) request.maxResults = options.maxResults;
    if (options.runViewType !== undefined) {
      validateViewType(options.runViewType, 'runViewType');
      request.runViewType = options.runViewType;
    }
    return this.api.searchRuns(request);
  }

  /**
   * MLflow's delete_run: the run's lifecycle stage becomes 'deleted'. It
   * leaves searchRuns (unless runViewType asks for it), getRun still reads it,
   * and nothing more is logged to it (INVALID_PARAMETER_VALUE, as MLflow).
   * Deleting a deleted run is no error. What was logged before is stored
   * first, and the server gets the run's data, then its deletion.
   */
  async deleteRun(runId: string): Promise<void> {
    await this.setRunLifecycle(runId, 'deleted');
  }

  /** MLflow's restore_run: the run is active again (restoring an active run is no error). */
  async restoreRun(runId: string): Promise<void> {
    await this.setRunLifecycle(runId, 'active');
  }

  private async setRunLifecycle(runId: string, stage: 'active' | 'deleted'): Promise<void> {
    this.assertOpen();
    validateRunId(runId);
    await this.settle();
    await this.api.setRunLifecycle(runId, stage, Date.now());
  }

  /** Everything buffered so far is sent and answered (its errors still go to flush() and onError). */
  private async settle(): Promise<void> {
    this.send();
    await Promise.all([...this.inFlight]);
  }

  /**
   * MLflow's create_experiment: a new experiment (a name no experiment has,
   * deleted ones included: RESOURCE_ALREADY_EXISTS). Returns its local id.
   */
  async createExperiment(name: string, options: CreateExperimentOptions = {}): Promise<string> {
    this.assertOpen();
    validateExperimentName(name);
    const request: Parameters<TrackerWorkerApi['createExperiment']>[0] = { name, now: Date.now() };
    if (options.tags !== undefined) request.tags = experimentTags(options.tags);
    if (options.artifactLocation !== undefined) {
      validateArtifactLocation(options.artifactLocation);
      request.artifactLocation = options.artifactLocation;
    }
    return (await this.api.createExperiment(request)).experimentId;
  }

  /** An experiment by name (a string or { experimentName }) or by its local id ({ experimentId }), whatever its stage. */
  async getExperiment(experiment: ExperimentRef): Promise<Experiment> {
    this.assertOpen();
    validateExperimentRef(experiment);
    return this.api.getExperiment(experiment);
  }

  /** MLflow's set_experiment_tag: the experiment must be active. */
  async setExperimentTag(experiment: ExperimentRef, key: string, value: TextValue): Promise<void> {
    await this.setExperimentTags(experiment, { [key]: value });
  }

  /** Several experiment tags in one change. */
  async setExperimentTags(experiment: ExperimentRef, tags: Record<string, TextValue>): Promise<void> {
    this.assertOpen();
    validateExperimentRef(experiment);
    await this.api.setExperimentTags(experiment, experimentTags(tags));
  }

  /** The experiment's description (Markdown), which MLflow keeps in its `mlflow.note.content` tag. */
  async setExperimentDescription(experiment: ExperimentRef, description: string): Promise<void> {
    if (typeof description !== 'string')
      throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', 'description must be a string (Markdown).', {
        field: 'description',
      });
    await this.setExperimentTags(experiment, { [NOTE_TAG]: description });
  }

  /**
   * MLflow's delete_experiment: the experiment and all its runs become
   * 'deleted'; its name stays taken and no run starts in it. Deleting it
   * again is RESOURCE_DOES_NOT_EXIST, as MLflow's.
   */
  async deleteExperiment(experiment: ExperimentRef): Promise<void> {
    await this.setExperimentLifecycle(experiment, 'deleted');
  }

  /** MLflow's restore_experiment: the experiment and all its runs are active again. */
  async restoreExperiment(experiment: ExperimentRef): Promise<void> {
    await this.setExperimentLifecycle(experiment, 'active');
  }

  private async setExperimentLifecycle(experiment: ExperimentRef, stage: 'active' | 'deleted'): Promise<void> {
    this.assertOpen();
    validateExperimentRef(experiment);
    await this.settle();
    await this.api.setExperimentLifecycle(experiment, stage, Date.now());
  }

  /** MLflow's search_experiments over the local store (active ones unless viewType says otherwise). */
  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<Experiment[]> {
    this.assertOpen();
    const request: Parameters<TrackerWorkerApi['searchExperiments']>[0] = {};
    if (options.filter !== undefined) request.filter = options.filter;
    if (options.orderBy !== undefined) request.orderBy = options.orderBy;
    if (options.maxResults !== undefined) request.maxResults = options.maxResults;
    if (options.viewType !== undefined) {
      validateViewType(options.viewType, 'viewType');
      request.viewType = options.viewType;
    }
    return this.api.searchExperiments(request);
  }

  /** Every point logged for `key`, in the order logged. */
  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const { steps, values, timestamps } = await this.getMetricHistoryColumns(runId, key);
    const points: MetricPoint[] = new Array(values.length);
    for (let i = 0; i < values.length; i++)
      points[i] = { step: steps[i]!, value: values[i]!, timestamp: timestamps[i]! };
    return points;
  }

  /**
   * The same history as three parallel columns, without one object per point:
   * the fastest read, and the shape charting libraries such as uPlot take.
   */
  async getMetricHistoryColumns(runId: string, key: string): Promise<MetricHistoryColumns> {
    this.assertOpen();
    validateRunId(runId);
    validateKey(key, 'metric');
    return this.api.getMetricHistory(runId, key);
  }

  async listExperiments(): Promise<Experiment[]> {
    this.assertOpen();
    return this.api.listExperiments();
  }

  /** Files and directories directly under `dir` (default: the run's root). */
  async listArtifacts(runId: string, dir = ''): Promise<FileInfo[]> {
    this.assertOpen();
    validateRunId(runId);
    validateArtifactDir(dir);
    return this.api.listArtifacts(runId, dir);
  }

  async readArtifact(runId: string, path: string): Promise<Blob> {
    this.assertOpen();
    validateRunId(runId);
    validateArtifactPath(path);
    return this.api.readArtifact(runId, path);
  }

  /**
   * Loads an MLflow model (the MLmodel format) into the worker, by
   * `runs:/<runId>/<name>`, `models:/<model_id>`, `models:/<name>/<version>`,
   * `models:/<name>@<alias>`, `models:/<name>/latest` or an http(s) URL of a
   * model directory. Models recorded in this browser load from the local
   * store; others come from the MLflow server (tracker.setRemote) and are
   * cached, so they load offline afterwards. ONNX models run with
   * onnxruntime-web (see `options.onnxruntime`).
   */
  async loadModel(uri: string, options: LoadModelOptions = {}): Promise<Model> {
    this.assertOpen();
    const { id, metadata } = await this.api.loadModel(uri, options);
    const model = new Model(this.api, id, metadata, () => this.models.delete(model));
    this.models.add(model);
    return model;
  }

  /**
   * Registers a model logged in this browser (`models:/<model_id>` or
   * `runs:/<runId>/<name>`) under `name`, creating the registered model on
   * first use. Works offline; synced to the server's registry. The version
   * number is this browser's; `remoteVersion` is the server's once synced.
   */
  async registerModel(modelUri: string, name: string): Promise<ModelVersion> {
    this.assertOpen();
    validateRegisteredModelName(name);
    return this.api.registerModel(modelUri, name);
  }

  /** Points `alias` at a version of a registered model (MLflow's upsert). Works offline; synced. */
  async setModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    this.assertOpen();
    validateRegisteredModelName(name);
    validateAlias(alias);
    return this.api.setModelAlias(name, alias, version);
  }

  async deleteModelAlias(name: string, alias: string): Promise<void> {
    this.assertOpen();
    validateRegisteredModelName(name);
    validateAlias(alias);
    return this.api.deleteModelAlias(name, alias);
  }

  /** A registered model of the local registry: aliases and latest version. */
  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    this.assertOpen();
    validateRegisteredModelName(name);
    return this.api.getRegisteredModel(name);
  }

  /** Every version of a registered model of the local registry, oldest first. */
  async searchModelVersions(name: string): Promise<ModelVersion[]> {
    this.assertOpen();
    validateRegisteredModelName(name);
    return this.api.searchModelVersions(name);
  }

  /** The models logged in this browser (MLflow 3 logged models). */
  async listLoggedModels(): Promise<LoggedModel[]> {
    this.assertOpen();
    return this.api.listLoggedModels();
  }

  /**
   * Forgets the files of models loaded from a server or URL (and their URIs'
   * last resolutions); they are fetched again on the next load. Models
   * logged here are not touched. Returns the bytes freed.
   */
  async clearModelCache(): Promise<number> {
    this.assertOpen();
    return this.api.clearModelCache();
  }

  /** Files and directories directly under `dir` of a logged model's directory (MLflow's list_logged_model_artifacts). */
  async listLoggedModelArtifacts(modelId: string, dir = ''): Promise<FileInfo[]> {
    this.assertOpen();
    validateModelArtifactPath(dir, 'dir');
    return this.api.listLoggedModelArtifacts(modelId, dir);
  }

  /** A file of a logged model's directory, e.g. 'MLmodel'. */
  async readLoggedModelArtifact(modelId: string, path: string): Promise<Blob> {
    this.assertOpen();
    validateModelArtifactPath(path, 'path');
    return this.api.readLoggedModelArtifact(modelId, path);
  }

  /**
   * Sets (or, with null, removes) the MLflow server to upload to. What each
   * server acknowledged is kept apart: another server gets everything once,
   * and going back to one resumes where it was. Also the way
   * to resume after the server refused the credentials.
   */
  async setRemote(remote: RemoteOptions | null): Promise<void> {
    this.assertOpen();
    await this.api.setRemote(remote);
  }

  /**
   * Resolves when everything recorded before the call is on the server;
   * rejects with a typed error saying why not (UNAUTHENTICATED,
   * TEMPORARILY_UNAVAILABLE, …). Nothing is dropped either way.
   */
  async sync(): Promise<void> {
    this.assertOpen();
    await this.flush();
    await this.api.sync();
  }

  async syncStatus(): Promise<SyncStatus> {
    this.assertOpen();
    return this.api.syncStatus();
  }

  /**
   * Forgets the dead letters of the configured server (items it refused for
   * good, listed in syncStatus().deadLetters), once you have read them: the
   * status lists none after this. The refused items are not sent again; log
   * what must reach the server again under another key or run.
   */
  async clearDeadLetters(): Promise<number> {
    this.assertOpen();
    return this.api.clearDeadLetters();
  }

  /** Calls `listener` with the sync status whenever it changes (at most 4 times a second). Returns an unsubscribe function. */
  onSyncStatus(listener: (status: SyncStatus) => void): () => void {
    this.assertOpen();
    const id = this.api.onSyncStatus(proxy(listener));
    return () => void id.then((n) => this.api.offSyncStatus(n)).catch(() => undefined);
  }

  /** This origin's storage use and quota, and whether it is persisted. */
  async storage(): Promise<StorageInfo> {
    this.assertOpen();
    const storage = globalThis.navigator?.storage;
    if (storage === undefined) return { usage: 0, quota: 0, persisted: false };
    const [estimate, persisted] = await Promise.all([storage.estimate(), storage.persisted?.() ?? false]);
    return { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
  }

  /**
   * Asks the browser to keep this origin's data under storage pressure.
   * Only a page can ask (not a worker); browsers grant it by engagement or a
   * prompt, so call it after a user action. Resolves to whether it is persisted.
   */
  async requestPersistence(): Promise<boolean> {
    this.assertOpen();
    const storage = globalThis.navigator?.storage;
    if (typeof storage?.persist !== 'function') return false;
    return storage.persist();
  }

  /**
   * Flushes, then stops the worker. Every later call on the tracker, its runs
   * and its listeners throws INVALID_STATE; calling close() again does nothing.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    // Closed from here on: a call made while the last flush is under way
    // throws instead of buffering into a tracker that will never send it.
    this.closed = true;
    try {
      await this.drain();
    } finally {
      if (this.timer !== undefined) clearTimeout(this.timer);
      if (typeof document !== 'undefined') {
        removeEventListener('pagehide', this.onHide);
        document.removeEventListener('visibilitychange', this.onHide);
      }
      // Every batch is answered by now: this removes the session's journal.
      if (this.journal !== undefined)
        saveJournal(this.journal.storage, this.journal.key, this.sessionId, [...this.unacked.values()]);
      await this.api.close().catch(() => undefined);
      this.worker.terminate();
      // Their worker is gone: calls under way must not wait for ever.
      const gone = new MlflowEdgeError(
        'INVALID_STATE',
        'The tracker was closed, and the models loaded in its worker with it. Open a tracker and load the model again.',
      );
      for (const model of this.models) model.abandon(gone);
      this.models.clear();
    }
  }

  /** @internal Throws INVALID_STATE once close() was called. */
  assertOpen(): void {
    if (this.closed) {
      throw new MlflowEdgeError(
        'INVALID_STATE',
        'This tracker is closed: nothing can be logged or read through it or its runs. Open a new one with openTracker().',
      );
    }
  }
}

/** Experiment tags as MLflow's client sends them: str() of each value, checked. */
function experimentTags(tags: Record<string, TextValue>): Record<string, string> {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags))
    throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', 'Experiment tags must be an object of key → value.', {
      field: 'tags',
    });
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(tags)) {
    validateKey(key, 'tag');
    const value = stringifyValue(raw, 'tag', key);
    validateExperimentTag(key, value);
    out[key] = value;
  }
  return out;
}
