/**
 * One sync pass: everything pending when it starts goes to the server, run
 * by run, in this order: experiment, run, params/tags/metrics, artifacts,
 * end status. Exactly once against a server without idempotency keys:
 * - a run is created once: `createAttempted` is stored before runs/create
 *   goes out, and every later attempt first searches by the client-id tag;
 * - metric points keep their log-time timestamps, so a replayed batch meets
 *   the server's duplicate handling; params are write-once; tags upsert;
 * - progress is acknowledged only after the server answered, in the same
 *   transaction per batch, so a crash replays at most one batch.
 */
import type { ArtifactStore } from '../store/artifacts.js';
import type { Db, ExperimentRecord } from '../store/schema.js';
import {
  ackArtifact,
  ackBatch,
  ackEnd,
  addDeadLetter,
  markCreateAttempted,
  pendingRuns,
  readPoints,
  recordRemoteExperiment,
  recordRemoteRun,
  type RunWork,
} from '../store/sync-state.js';
import { ackOf, logBatchBody, packBatches, type BatchItem, type MetricItem, type TextItem } from './packing.js';
import { ModelSync } from './models.js';
import { MlflowRest, RestError } from './rest.js';

/** The tag that names the local run on the remote one. */
export const CLIENT_ID_TAG = 'mlflow-edge.clientRunId';
/** Points read per series at a time. */
const WINDOW = 20_000;
/** Runs whose data uploads at the same time. */
const RUNS_AT_ONCE = 3;

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 500, capMs: 30_000 };

export interface EngineHooks {
  /** A request started (+1) or ended (-1). */
  inFlight(delta: number): void;
  /** A run-level problem that did not stop the pass (e.g. a deleted experiment). */
  problem(error: RestError, runId: string): void;
  /** A request failed and will be tried again. */
  retrying(error: RestError): void;
}

type RemoteRun = { info: { run_id: string; artifact_uri: string } };

export class SyncEngine {
  private readonly rest: MlflowRest;

  constructor(
    private readonly db: Db,
    rest: MlflowRest,
    private readonly artifacts: ArtifactStore,
    private readonly hooks: EngineHooks,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.rest = rest;
  }

  /** Uploads everything pending now. Throws on an auth failure or when retries run out. */
  async pass(): Promise<void> {
    const work = await pendingRuns(this.db);
    const remoteIds = new Map(work.filter((w) => w.sync.remoteRunId).map((w) => [w.run.runId, w.sync.remoteRunId!]));
    // Runs are created first, in start order, so a child's parent tag can name the parent's server id.
    const ready: { w: RunWork; remote: RemoteRun['info'] }[] = [];
    for (const w of work) {
      const remote = await this.guard(w, () => this.ensureRun(w));
      if (remote === undefined) continue;
      remoteIds.set(w.run.runId, remote.run_id);
      ready.push({ w, remote });
    }
    // Then their data, a few runs at a time: the server's per-request time, not ours, is the limit.
    let next = 0;
    const lane = async () => {
      while (next < ready.length) {
        const { w, remote } = ready[next++]!;
        await this.guard(w, () => this.syncData(w, remote, remoteIds));
      }
    };
    await Promise.all(Array.from({ length: Math.min(RUNS_AT_ONCE, ready.length) }, lane));
    // Models once their runs are there; then the registry.
    await new ModelSync(this.db, this.rest, this.artifacts, {
      request: (fn) => this.request(fn),
      withRetries: (fn) => this.withRetries(fn),
      tracked: (fn) => this.tracked(fn),
    }).pass();
  }

  /** Runs `step` for one run; a permanent refusal is reported and skips the run, anything else stops the pass. */
  private async guard<T>(w: RunWork, step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof RestError && error.kind === 'permanent') {
        this.hooks.problem(error, w.run.runId);
        return undefined;
      }
      throw error;
    }
  }

  private async ensureRun(w: RunWork): Promise<RemoteRun['info']> {
    if (w.sync.remoteRunId !== undefined && w.sync.artifactUri !== undefined) {
      return { run_id: w.sync.remoteRunId, artifact_uri: w.sync.artifactUri };
    }
    const experimentId = await this.remoteExperiment(w.experiment);
    return (await this.createRun(w, experimentId)).info;
  }

  private async syncData(w: RunWork, remote: RemoteRun['info'], remoteIds: Map<string, string>): Promise<void> {
    const runId = w.run.runId;
    await this.uploadData(w, remote.run_id, remoteIds);
    for (const a of w.artifacts) {
      const blob = await this.artifacts.read(runId, a.path);
      try {
        await this.request(() => this.rest.putArtifact(remote.artifact_uri, a.path, blob));
        await ackArtifact(this.db, runId, a.path, a.sha256);
      } catch (error) {
        await this.deadLetterOrThrow(error, runId, 'artifact', a.path);
      }
    }
    if (w.end !== undefined) {
      const body: Record<string, unknown> = { run_id: remote.run_id, status: w.end.status };
      if (w.end.endTime !== undefined) body.end_time = w.end.endTime;
      await this.request(() => this.rest.call('POST', 'runs/update', body));
      await ackEnd(this.db, runId, w.end);
    }
  }

  /** get-by-name → create → on RESOURCE_ALREADY_EXISTS get again. */
  private async remoteExperiment(e: ExperimentRecord): Promise<string> {
    if (e.remoteId !== undefined) return e.remoteId;
    const byName = async (): Promise<{ experiment_id: string; lifecycle_stage: string } | undefined> => {
      try {
        const r = await this.request(() =>
          this.rest.call<{ experiment: { experiment_id: string; lifecycle_stage: string } }>('GET', 'experiments/get-by-name', { experiment_name: e.name }),
        );
        return r.experiment;
      } catch (error) {
        if (error instanceof RestError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
        throw error;
      }
    };
    let found = await byName();
    if (found === undefined) {
      try {
        const created = await this.request(() => this.rest.call<{ experiment_id: string }>('POST', 'experiments/create', { name: e.name }));
        found = { experiment_id: created.experiment_id, lifecycle_stage: 'active' };
      } catch (error) {
        if (!(error instanceof RestError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
        found = await byName();
      }
    }
    if (found === undefined) throw new RestError(`Experiment '${e.name}' could not be created on the server.`, 'retry', 0);
    if (found.lifecycle_stage !== 'active') {
      throw new RestError(
        `Experiment '${e.name}' is deleted on the server (id ${found.experiment_id}). Restore it there (mlflow experiments restore) to upload its runs; they are kept here meanwhile.`,
        'permanent',
        400,
        'INVALID_STATE',
      );
    }
    await recordRemoteExperiment(this.db, e.experimentId, found.experiment_id);
    e.remoteId = found.experiment_id;
    return found.experiment_id;
  }

  /**
   * Creates the remote run once. Each attempt after the first may follow a
   * create whose answer was lost, so it searches by the client-id tag first.
   * A create can still reach the server twice (browsers resend a request
   * whose connection dropped before any answer): once the run is known, any
   * other active run with the same client id is deleted before the choice
   * is recorded, so the server keeps exactly one.
   */
  private async createRun(w: RunWork, experimentId: string): Promise<RemoteRun> {
    const runId = w.run.runId;
    let attempted = w.sync.createAttempted;
    const chosen = await this.withRetries(async () => {
      if (attempted) {
        const [existing] = await this.findByClientId(runId, experimentId);
        if (existing !== undefined) return existing;
      } else {
        await markCreateAttempted(this.db, runId);
        attempted = true;
      }
      const body = {
        experiment_id: experimentId,
        run_name: w.run.runName,
        start_time: w.run.startTime,
        user_id: w.run.userId,
        tags: [{ key: CLIENT_ID_TAG, value: runId }],
      };
      return (await this.tracked(() => this.rest.call<{ run: RemoteRun }>('POST', 'runs/create', body))).run;
    });
    const twins = (await this.withRetries(() => this.findByClientId(runId, experimentId))).filter((r) => r.info.run_id !== chosen.info.run_id);
    for (const twin of twins) await this.request(() => this.rest.call('POST', 'runs/delete', { run_id: twin.info.run_id }));
    await recordRemoteRun(this.db, runId, chosen.info.run_id, chosen.info.artifact_uri);
    return chosen;
  }

  /** Active runs carrying this client id, oldest first (the first is the one a retry adopts). */
  private async findByClientId(runId: string, experimentId: string): Promise<RemoteRun[]> {
    const result = await this.tracked(() =>
      this.rest.call<{ runs?: RemoteRun[] }>('POST', 'runs/search', {
        experiment_ids: [experimentId],
        filter: `tags.\`${CLIENT_ID_TAG}\` = '${runId}'`,
        run_view_type: 'ACTIVE_ONLY',
        max_results: 100,
        order_by: ['attributes.run_id ASC'],
      }),
    );
    return result.runs ?? [];
  }

  private async uploadData(w: RunWork, remoteRunId: string, remoteIds: Map<string, string>): Promise<void> {
    const runId = w.run.runId;
    const text: TextItem[] = w.text.map(({ kind, record }) => ({
      kind,
      key: record.key,
      // The parent's id on the server, so the UI nests the runs there too.
      value: kind === 'tag' && record.key === 'mlflow.parentRunId' ? (remoteIds.get(record.value) ?? record.value) : record.value,
      seq: record.seq,
    }));
    const position = new Map(w.series.map((s) => [s.key, s.syncedCount]));
    let textLeft = text;
    for (;;) {
      const series: MetricItem[][] = [];
      for (const s of w.series) {
        const from = position.get(s.key)!;
        if (from >= s.count) continue;
        const to = Math.min(s.count, from + WINDOW);
        const points = await readPoints(this.db, runId, s.key, from, to);
        series.push(points.map((p, i) => ({ kind: 'metric', key: s.key, value: p.value, step: p.step, timestamp: p.timestamp, index: from + i })));
        position.set(s.key, to);
      }
      if (textLeft.length === 0 && series.length === 0) return;
      for (const batch of packBatches(textLeft, series)) await this.sendBatch(runId, remoteRunId, batch);
      textLeft = [];
    }
  }

  /** Sends one log-batch; a refused batch is split until the refused items are alone, and those are dead-lettered. */
  private async sendBatch(runId: string, remoteRunId: string, items: BatchItem[]): Promise<void> {
    try {
      await this.request(() => this.rest.call('POST', 'runs/log-batch', logBatchBody(remoteRunId, items)));
    } catch (error) {
      if (!(error instanceof RestError) || error.kind !== 'permanent') throw error;
      if (items.length > 1) {
        const mid = Math.ceil(items.length / 2);
        await this.sendBatch(runId, remoteRunId, items.slice(0, mid));
        await this.sendBatch(runId, remoteRunId, items.slice(mid));
        return;
      }
      const item = items[0]!;
      await addDeadLetter(this.db, { runId, kind: item.kind, key: item.key, message: error.message, at: Date.now() });
    }
    const { syncedSeq, counts } = ackOf(items);
    await ackBatch(this.db, runId, syncedSeq, counts);
  }

  private async deadLetterOrThrow(error: unknown, runId: string, kind: 'artifact', key: string): Promise<void> {
    if (!(error instanceof RestError) || error.kind !== 'permanent') throw error;
    await addDeadLetter(this.db, { runId, kind, key, message: error.message, at: Date.now() });
  }

  private request<T>(fn: () => Promise<T>): Promise<T> {
    return this.withRetries(() => this.tracked(fn));
  }

  private async tracked<T>(fn: () => Promise<T>): Promise<T> {
    this.hooks.inFlight(1);
    try {
      return await fn();
    } finally {
      this.hooks.inFlight(-1);
    }
  }

  /** Retries what may succeed later, with capped exponential backoff and full jitter; honours Retry-After. */
  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof RestError) || error.kind !== 'retry' || n >= this.retry.attempts) throw error;
        this.hooks.retrying(error);
        const backoff = Math.random() * Math.min(this.retry.capMs, this.retry.baseMs * 2 ** (n - 1));
        await new Promise((r) => setTimeout(r, Math.max(backoff, error.retryAfterMs ?? 0)));
      }
    }
  }
}
