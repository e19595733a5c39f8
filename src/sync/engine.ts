/**
 * One sync pass: everything pending when it starts goes to the server of
 * one sync state (see store/remote-state.ts). In order: which server this
 * is (its identity, and whether it lost what it acknowledged), experiments,
 * experiments changed by experiment calls (sync/experiments.ts), runs, then
 * each run's restore, params/tags/metrics, dataset inputs, artifacts, end
 * status and deletion, then a check of each finished run against the
 * server's copy, then models (and the model inputs of runs that used them),
 * then experiments' deletion and check.
 *
 * Exactly once against a server without idempotency keys:
 * - a run is created once (remote/create-once.ts); duplicates a browser
 *   made by resending a create are swept per experiment before runs count
 *   as synced, whichever pass created them, and deleted only when empty;
 * - metric points keep their log-time timestamps, so a replayed batch meets
 *   the server's duplicate handling (MLflow 2's refuses a repeated NaN point:
 *   see sendBatch); params are write-once; tags upsert;
 * - progress is acknowledged only after a well-formed MLflow answer, in the
 *   same transaction per batch, so a crash replays at most one batch;
 * - a run counts as synced only once the server's copy was compared with
 *   the local one (params, tags, latest metric values, status, files, and
 *   the points of each series acknowledged in more than one log-batch, since
 *   a lost middle batch leaves the latest point in place); whatever is
 *   missing is uploaded again.
 * Nothing here deletes server data, and nothing the server refuses for the
 * run as a whole (a deleted run or experiment) is dead-lettered: the run
 * waits, with the reason in the status.
 */
import { createOnce, settleTwins } from '../remote/create-once.js';
import { RestError, type MlflowRest, type Shape } from '../remote/rest.js';
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from '../remote/retry.js';
import { MlflowEdgeError } from '../schema/errors.js';
import type { ArtifactStore } from '../store/artifacts.js';
import { bindIdentity, bumpEpoch, getRemote, readServers, recordLastRun, type Binding } from '../store/remote-state.js';
import { pendingModels } from '../store/model-sync-state.js';
import type { DatasetInputRecord, Db, ExperimentRecord, SeriesRecord } from '../store/schema.js';
import {
  ackArtifact,
  ackBatch,
  ackInputs,
  ackModelInputs,
  inputKey,
  ackEnd,
  ackRunLifecycle,
  ackVerified,
  addDeadLetter,
  forgetRemoteExperiment,
  listDeadLetters,
  markCreateAttempted,
  pendingExperiments,
  pendingRuns,
  readPoints,
  readWindows,
  recordRemoteExperiment,
  recordRemoteRun,
  reopenRun,
  type RunWork,
} from '../store/sync-state.js';
import { lostLastModel, ModelSync } from './models.js';
import { createExperimentBody, ExperimentSync } from './experiments.js';
import {
  ackOf,
  encodeDouble,
  logBatchBody,
  logInputsBody,
  packBatches,
  RUN_NAME_TAG,
  type BatchItem,
  type MetricItem,
  type TextItem,
} from './packing.js';
import { SeriesPoints } from './points.js';
import { RemoteRunIds } from './run-ids.js';
import { countPending, Progress } from './progress.js';

export { DEFAULT_RETRY, type RetryPolicy };

/** The tag that names the local run on the remote one. */
export const CLIENT_ID_TAG = 'mlflow-edge.clientRunId';
/** Dataset inputs per runs/log-inputs: a schema may be 1 MB, so a few at a time (MLflow's client sends up to 1000). */
const INPUTS_PER_REQUEST = 10;
/** Points read per series at a time. */
const WINDOW = 20_000;
/** Runs whose creates and data upload at the same time. */
const RUNS_AT_ONCE = 3;
/** Runs compared with the server per runs/search. */
const VERIFY_CHUNK = 100;
/** Points per metrics/get-history page: MLflow's Python client's size. Always sent: without it, MLflow 3.2+ once answered empty pages with a token to themselves. */
const HISTORY_PAGE = 25_000;
/** Tags the server adds to a run it creates: a twin holding only these holds nothing. */
const CREATE_TAGS = new Set([
  CLIENT_ID_TAG,
  'mlflow.runName',
  'mlflow.user',
  'mlflow.source.name',
  'mlflow.source.type',
]);

export interface EngineHooks {
  /** A request started (+1) or ended (-1). */
  inFlight(delta: number): void;
  /** The pass found work and starts uploading (a pass with nothing to do sends nothing and says nothing). */
  started(): void;
  /** A run-level problem that did not stop the pass: the run waits (a deleted experiment or run, a damaged record). */
  problem(error: MlflowEdgeError, runId?: string): void;
  /** A request failed and will be tried again. */
  retrying(error: RestError): void;
  /** Something the user should know that is not an error (the server lost data and it is uploaded again). */
  notice(message: string): void;
}

type RunInfoJson = {
  run_id: string;
  artifact_uri: string;
  lifecycle_stage?: string;
  status?: string;
  end_time?: number | string;
  experiment_id?: string;
};
type RunJson = {
  info: RunInfoJson;
  data?: {
    params?: { key: string; value: string }[];
    tags?: { key: string; value: string }[];
    metrics?: { key: string; value: number | string; step?: number | string; timestamp?: number | string }[];
  };
  inputs?: {
    dataset_inputs?: { dataset?: { name?: string; digest?: string } }[];
    model_inputs?: { model_id?: string }[];
  };
};

const has =
  (path: string[]): Shape =>
  (json) => {
    let at: unknown = json;
    for (const p of path) {
      if (at === null || typeof at !== 'object' || !(p in at)) return `a JSON object with ${path.join('.')}`;
      at = (at as Record<string, unknown>)[p];
    }
    return at === undefined || at === null ? `a JSON object with ${path.join('.')}` : undefined;
  };
const RUN_SHAPE = has(['run', 'info', 'run_id']);

/** Run-level refusals: the run waits for someone to change the server (restore the run or experiment). */
function runWaits(error: unknown): boolean {
  return (
    error instanceof RestError &&
    error.kind === 'refused' &&
    /must be in the 'active' state|is deleted on the server/i.test(error.message)
  );
}
const runGone = (error: unknown) =>
  error instanceof RestError && error.kind === 'refused' && error.errorCode === 'RESOURCE_DOES_NOT_EXIST';

export class SyncEngine {
  /** The sync state this pass uploads to, once the server said who it is. */
  state: string | undefined;
  /** What is left of the pass under way (see progress.ts). */
  progress: Progress | undefined;
  private readonly stopping = new AbortController();
  /** Runs deleted here whose deletion waits for the pass's model inputs to be linked (see syncData). */
  private readonly deleteAfterModels: RunWork[] = [];
  /** The server refused an offset page token: verification counts whole histories (see holdsExactly). */
  private noOffsetProbe = false;

  constructor(
    private readonly db: Db,
    private readonly rest: MlflowRest,
    private readonly artifacts: ArtifactStore,
    private readonly hooks: EngineHooks,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  /**
   * Uploads everything pending now. Throws on an auth failure or when
   * retries run out. A background pass with nothing pending for the state
   * this URI had sends no request at all; one the caller asked for (`ask`,
   * from sync()) always asks the server who it is and whether it lost what
   * it acknowledged, so a wiped or restored server is found without new data.
   */
  async pass(ask = false): Promise<void> {
    const known = (await readServers(this.db)).byUri[this.rest.trackingUri];
    if (!ask && known !== undefined && !(await this.hasWork(known))) return;
    this.hooks.started();
    const state = await this.identify();
    this.state = state;
    await this.checkForLoss(state);
    const experimentSync = new ExperimentSync(this.db, state, this.rest, {
      request: (fn) => this.request(fn),
      problem: (error) => this.hooks.problem(error),
      notice: (message) => this.hooks.notice(message),
      done: (part) => this.progress?.done(part),
    });
    await experimentSync.prepare();
    const work: RunWork[] = [];
    for (const w of await pendingRuns(this.db, state)) {
      if (w.experiment === undefined) {
        this.hooks.problem(
          new MlflowEdgeError(
            'DATA_LOSS',
            `The local record of experiment ${w.run.experimentId} is missing (damaged storage), so run ${w.run.runId} cannot be uploaded; everything else goes on. Its data is kept.`,
            { runId: w.run.runId },
          ),
          w.run.runId,
        );
        continue;
      }
      work.push(w);
    }
    this.progress = new Progress({
      ...countPending(work, await pendingModels(this.db, state)),
      experiments: experimentSync.count,
    });
    const remoteIds = new RemoteRunIds(this.db, state);
    for (const w of work) if (w.sync.remoteRunId !== undefined) remoteIds.set(w.run.runId, w.sync.remoteRunId);
    // Experiments first (few), then runs are created a few at a time; a child's parent tag is sent with its data, after all creates.
    const toCreate: RunWork[] = [];
    // Each experiment is looked up (or created) once per pass, not once per run.
    const experiments = new Map<string, Promise<string>>();
    for (const w of work) {
      if (w.sync.remoteRunId !== undefined && w.sync.artifactUri !== undefined) continue;
      const experimentId = await this.guard(w, () => {
        const local = w.experiment!.experimentId;
        let found = experiments.get(local);
        if (found === undefined) {
          found = this.remoteExperiment(state, w.experiment!, w.remoteExperimentId);
          experiments.set(local, found);
        }
        return found;
      });
      if (experimentId === undefined) continue;
      w.remoteExperimentId = experimentId;
      toCreate.push(w);
    }
    // One durable write marks every create this pass is about to send (not one per run).
    const fresh = new Set(toCreate.filter((w) => !w.sync.createAttempted));
    if (fresh.size > 0)
      await markCreateAttempted(
        this.db,
        state,
        [...fresh].map((w) => w.run.runId),
      );
    const created = new Set<string>();
    await this.lanes(toCreate, async (w) => {
      const remote = await this.guard(w, async () => {
        try {
          return await this.createRun(state, w, w.remoteExperimentId!, !fresh.has(w));
        } catch (error) {
          if (!runGone(error)) throw error;
          // The server lost the experiment (restored from an older backup): find or create it by name again.
          await forgetRemoteExperiment(this.db, state, w.experiment!.experimentId);
          w.remoteExperimentId = await this.remoteExperiment(state, w.experiment!, undefined);
          return this.createRun(state, w, w.remoteExperimentId, true);
        }
      });
      if (remote === undefined) return;
      w.sync = { ...w.sync, createAttempted: true, remoteRunId: remote.run_id, artifactUri: remote.artifact_uri };
      remoteIds.set(w.run.runId, remote.run_id);
      created.add(w.run.runId);
    });
    const last = [...created].at(-1);
    if (last !== undefined) await recordLastRun(this.db, state, (await remoteIds.get(last))!);
    // Then their data, a few runs at a time: the server's per-request time, not ours, is the limit.
    const ready = work.filter(
      (w) => w.sync.remoteRunId !== undefined && w.sync.artifactUri !== undefined && w.verify === undefined,
    );
    await this.lanes(ready, (w) => this.guard(w, () => this.syncData(state, w, remoteIds, created.has(w.run.runId))));
    // Runs whose every item is now acknowledged, this pass's included, are compared with the server's copy.
    const left = await pendingRuns(this.db, state);
    this.progress = new Progress({
      ...countPending(left, await pendingModels(this.db, state)),
      experiments: experimentSync.count,
    });
    const unverified = left.filter((w) => w.verify !== undefined && w.experiment !== undefined);
    const unlinked = new Set(left.filter((w) => w.modelInputs.length > 0).map((w) => w.run.runId));
    await this.verify(state, unverified, remoteIds);
    // Models once their runs are there; then the registry.
    await new ModelSync(this.db, state, this.rest, this.artifacts, {
      request: (fn) => this.request(fn),
      retry: this.retry,
      onRetry: (e) => this.hooks.retrying(e),
      tracked: (fn) => this.tracked(fn),
      done: (part) => this.progress?.done(part),
      notice: (message) => this.hooks.notice(message),
    }).pass();
    // Model inputs whose models were not on the server before the models step; then those runs are compared.
    const waiting =
      unlinked.size === 0
        ? []
        : (await pendingRuns(this.db, state)).filter(
            (w) =>
              unlinked.has(w.run.runId) &&
              w.modelInputs.length > 0 &&
              w.sync.remoteRunId !== undefined &&
              w.experiment !== undefined,
          );
    for (const w of waiting)
      await this.guard(w, () => this.sendModelInputs(state, w.run.runId, w.sync.remoteRunId!, w.modelInputs));
    const deferred = this.deleteAfterModels.splice(0);
    for (const w of deferred)
      await this.guard(w, () => this.setRunStage(state, w.run.runId, w.sync.remoteRunId!, 'deleted'));
    if (waiting.length > 0 || deferred.length > 0) {
      const linked = new Set([...waiting, ...deferred].map((w) => w.run.runId));
      const done = (await pendingRuns(this.db, state)).filter(
        (w) => linked.has(w.run.runId) && w.verify !== undefined && w.experiment !== undefined,
      );
      await this.verify(state, done, remoteIds);
    }
    // Last: a deleted experiment's runs and models are on the server before MLflow closes it to writes;
    // one whose runs still wait to upload is not deleted there yet (the server would refuse them for good).
    if (experimentSync.count > 0) {
      const unfinished = (await pendingRuns(this.db, state, false)).filter((w) => w.verify === undefined);
      await experimentSync.finish(new Set(unfinished.map((w) => w.run.experimentId)));
    }
    this.progress = undefined;
  }

  private async hasWork(state: string): Promise<boolean> {
    if ((await pendingRuns(this.db, state)).length > 0) return true;
    if ((await pendingExperiments(this.db, state)).length > 0) return true;
    const models = await pendingModels(this.db, state);
    return models.models + models.registry > 0;
  }

  /**
   * Which sync state this server's answers go to: its identity is the
   * creation time of its Default experiment (made with its database), so a
   * URI whose database was replaced starts a new state and two URIs of one
   * server share one.
   */
  private async identify(): Promise<string> {
    const version = await this.request(() => this.rest.serverVersion());
    const identity = await this.request(() =>
      this.rest.call<{ experiment: { creation_time?: number | string; experiment_id: string } }>(
        'GET',
        'experiments/get',
        { experiment_id: '0' },
        has(['experiment', 'experiment_id']),
      ),
    )
      .then((r) => `default-experiment:${r.experiment.creation_time ?? 'none'}`)
      .catch((error: unknown) => {
        // No Default experiment (deleted for good), or this user may not read it: the URI is all we know of this server.
        if (runGone(error) || (error instanceof RestError && error.kind === 'auth' && error.status === 403))
          return `uri:${this.rest.trackingUri}`;
        throw error;
      });
    const binding: Binding = await bindIdentity(this.db, this.rest.trackingUri, `${identity}`);
    if (binding.replaced) {
      this.hooks.notice(
        `The MLflow server at ${this.rest.trackingUri} (MLflow ${version}) has another database than the one this browser uploaded to (it was reset or replaced): everything is uploaded again from the local store.`,
      );
    }
    return binding.state;
  }

  /**
   * The last run, logged model or registry version created here is gone:
   * the server lost what it acknowledged (restored from an old backup).
   * Every run, model and registry entry is checked again.
   */
  private async checkForLoss(state: string): Promise<void> {
    const last = (await readServers(this.db)).lastRun?.[state];
    if (last !== undefined) {
      try {
        await this.request(() => this.rest.call('GET', 'runs/get', { run_id: last }, RUN_SHAPE));
      } catch (error) {
        if (!runGone(error)) throw error;
        await bumpEpoch(this.db, state);
        this.hooks.notice(
          `The MLflow server at ${this.rest.trackingUri} no longer has runs it acknowledged (restored from an older backup?): every run is compared with it again and what it lacks is uploaded again.`,
        );
        return;
      }
    }
    const model = await lostLastModel(this.db, state, this.rest, (fn) => this.request(fn));
    if (model !== undefined) {
      await bumpEpoch(this.db, state);
      this.hooks.notice(
        `The MLflow server at ${this.rest.trackingUri} no longer has ${model} it acknowledged (restored from an older backup?): every run, model and registry version is compared with it again and what it lacks is uploaded again.`,
      );
    }
  }

  /** Runs `step` for each item, RUNS_AT_ONCE at a time. */
  private async lanes<T>(items: readonly T[], step: (item: T) => Promise<unknown>): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < items.length) await step(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(RUNS_AT_ONCE, items.length) }, lane));
  }

  /** Runs `step` for one run; a refusal of the run as a whole is reported and the run waits; anything else stops the pass. */
  private async guard<T>(w: RunWork, step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof RestError && error.kind === 'refused') {
        const waits = runWaits(error);
        this.hooks.problem(
          new MlflowEdgeError(
            waits ? 'INVALID_STATE' : ((error.errorCode as MlflowEdgeError['code'] | undefined) ?? 'BAD_REQUEST'),
            waits
              ? `${error.message} The run waits: restore it (or its experiment) on the server, e.g. mlflow experiments restore, and it uploads then; its data is kept here.`
              : `${error.message} The run waits; its data is kept here.`,
            { runId: w.run.runId, status: error.status },
          ),
          w.run.runId,
        );
        return undefined;
      }
      throw error;
    }
  }

  private async syncData(state: string, w: RunWork, remoteIds: RemoteRunIds, createdNow: boolean): Promise<void> {
    const runId = w.run.runId;
    const remote = { run_id: w.sync.remoteRunId!, artifact_uri: w.sync.artifactUri! };
    // Acknowledgements are written while the next request goes out; all are on disk before the run's end is recorded.
    const acks: Promise<void>[] = [];
    try {
      // A run this store deleted there and restored here is active again before anything is logged to it.
      if (w.lifecycle === 'active') await this.setRunStage(state, runId, remote.run_id, 'active');
      await this.uploadData(state, w, remote.run_id, remoteIds, acks, createdNow);
    } catch (error) {
      await Promise.allSettled(acks);
      if (!runGone(error)) throw error;
      // The server lost the run since it acknowledged it: create it again next pass, with everything.
      await reopenRun(this.db, state, runId, true, {});
      await bumpEpoch(this.db, state);
      this.hooks.notice(`Run ${runId} was missing on the server (${(error as Error).message}); it is uploaded again.`);
      return;
    }
    try {
      await this.uploadInputs(state, runId, remote.run_id, w.inputs);
      await this.sendModelInputs(state, runId, remote.run_id, w.modelInputs);
      for (const a of w.artifacts) {
        let blob: Blob;
        try {
          blob = await this.artifacts.read(runId, a.path);
        } catch (error) {
          // The local file is gone (cleared storage): that item alone becomes a dead letter.
          await addDeadLetter(this.db, state, {
            runId,
            kind: 'artifact',
            key: a.path,
            message: `The local file is missing or unreadable (${(error as Error).message}); it cannot be uploaded.`,
            at: Date.now(),
          });
          await ackArtifact(this.db, state, runId, a.path, a.sha256);
          this.progress?.done({ artifacts: 1, bytes: a.size });
          continue;
        }
        try {
          await this.request(() => this.rest.putArtifact(remote.artifact_uri, a.path, blob));
          await ackArtifact(this.db, state, runId, a.path, a.sha256);
        } catch (error) {
          if (!(error instanceof RestError) || error.kind !== 'refused' || runWaits(error)) throw error;
          await addDeadLetter(this.db, state, {
            runId,
            kind: 'artifact',
            key: a.path,
            message: error.message,
            at: Date.now(),
          });
          await ackArtifact(this.db, state, runId, a.path, a.sha256);
        }
        this.progress?.done({ artifacts: 1, bytes: a.size });
      }
      if (w.end !== undefined) {
        const body: Record<string, unknown> = { run_id: remote.run_id, status: w.end.status };
        if (w.end.endTime !== undefined) body.end_time = w.end.endTime;
        await this.request(() => this.rest.call('POST', 'runs/update', body, has(['run_info'])));
      }
      // Deleted last: MLflow refuses every write to a deleted run, and this deletion came after them here.
      // A run naming models as inputs is deleted after the pass's model step, which may link them first.
      if (w.lifecycle === 'deleted') {
        await Promise.all(acks);
        if (w.end !== undefined) await ackEnd(this.db, state, runId, w.end);
        if (w.modelInputs.length > 0) this.deleteAfterModels.push(w);
        else await this.setRunStage(state, runId, remote.run_id, 'deleted');
      }
    } catch (error) {
      await Promise.allSettled(acks);
      throw error;
    }
    await Promise.all(acks);
    if (w.end !== undefined) await ackEnd(this.db, state, runId, w.end);
    if (w.run.status === 'RUNNING') this.progress?.done({ runs: 1 }); // nothing left; a finished run still has its check ahead
  }

  /** runs/delete or runs/restore (MLflow's: setting the stage a run has is no error, so a retry is harmless), then its ack. */
  private async setRunStage(state: string, runId: string, remoteRunId: string, stage: 'active' | 'deleted') {
    await this.request(() =>
      this.rest.call('POST', stage === 'deleted' ? 'runs/delete' : 'runs/restore', { run_id: remoteRunId }),
    );
    await ackRunLifecycle(this.db, state, runId, stage);
  }

  /** get-by-name → create → on RESOURCE_ALREADY_EXISTS get again. A deleted experiment makes its runs wait. */
  private async remoteExperiment(state: string, e: ExperimentRecord, known: string | undefined): Promise<string> {
    if (known !== undefined) return known;
    const shape = has(['experiment', 'experiment_id']);
    const byName = async (): Promise<{ experiment_id: string; lifecycle_stage: string } | undefined> => {
      try {
        return (
          await this.request(() =>
            this.rest.call<{ experiment: { experiment_id: string; lifecycle_stage: string } }>(
              'GET',
              'experiments/get-by-name',
              { experiment_name: e.name },
              shape,
            ),
          )
        ).experiment;
      } catch (error) {
        if (runGone(error)) return undefined;
        throw error;
      }
    };
    let found = await byName();
    if (found === undefined) {
      try {
        const created = await this.request(() =>
          this.rest.call<{ experiment_id: string }>(
            'POST',
            'experiments/create',
            createExperimentBody(e),
            has(['experiment_id']),
          ),
        );
        found = { experiment_id: created.experiment_id, lifecycle_stage: 'active' };
      } catch (error) {
        if (!(error instanceof RestError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
        found = await byName();
      }
    }
    if (found === undefined)
      throw new RestError(`Experiment '${e.name}' could not be created on the server.`, 'retry', 0);
    if (found.lifecycle_stage !== 'active') {
      throw new RestError(
        `Experiment '${e.name}' is deleted on the server (id ${found.experiment_id}). Restore it there (mlflow experiments restore) to upload its runs; they are kept here meanwhile.`,
        'refused',
        400,
        'INVALID_STATE',
      );
    }
    await recordRemoteExperiment(this.db, state, e.experimentId, found.experiment_id);
    return found.experiment_id;
  }

  /**
   * Creates the remote run once (remote/create-once.ts); a retry after a lost
   * answer adopts what it finds. `sentBefore`: a create may have gone out in
   * an earlier pass, so search first. Otherwise the pass already marked it.
   */
  private async createRun(state: string, w: RunWork, experimentId: string, sentBefore: boolean): Promise<RunInfoJson> {
    const runId = w.run.runId;
    const chosen = await createOnce<RunJson>(
      {
        attempted: sentBefore,
        markAttempted: async () => undefined, // durable already: the pass marked every create it sends

        find: () => this.findByClientId([experimentId], `tags.\`${CLIENT_ID_TAG}\` = '${runId}'`),
        prefer: (found) => found.find(holdsData) ?? found[0]!,
        create: async () => {
          const body = {
            experiment_id: experimentId,
            run_name: w.run.runName,
            start_time: w.run.startTime,
            user_id: w.run.userId,
            tags: [{ key: CLIENT_ID_TAG, value: runId }],
          };
          return (await this.tracked(() => this.rest.call<{ run: RunJson }>('POST', 'runs/create', body, RUN_SHAPE)))
            .run;
        },
      },
      this.retry,
      (e) => this.hooks.retrying(e),
      this.stopping.signal,
    );
    await recordRemoteRun(this.db, state, runId, chosen.info.run_id, chosen.info.artifact_uri);
    return chosen.info;
  }

  /**
   * Runs created twice (a browser resent a create whose connection dropped)
   * stay RUNNING and empty. Before runs count as synced, one search per
   * experiment for running runs with the client-id tag finds them, whichever
   * pass created them. Empty twins are deleted; a twin holding data never is.
   */
  private async sweepTwins(experimentIds: string[], remoteIds: RemoteRunIds): Promise<void> {
    const found = await this.withRetries(() =>
      this.findByClientId(experimentIds, `tags.\`${CLIENT_ID_TAG}\` LIKE '%' AND attributes.status = 'RUNNING'`),
    );
    const twins: RunJson[] = [];
    for (const r of found) {
      const client = r.data?.tags?.find((t) => t.key === CLIENT_ID_TAG)?.value;
      // Another browser's runs carry the tag too: only a run of this store whose chosen server run is another is a twin.
      const chosen = client === undefined ? undefined : await remoteIds.get(client);
      if (chosen !== undefined && chosen !== r.info.run_id) twins.push(r);
    }
    const kept = await settleTwins(twins, holdsData, (t) =>
      this.request(() => this.rest.call('POST', 'runs/delete', { run_id: t.info.run_id })).then(() => undefined),
    );
    for (const twin of kept)
      this.hooks.notice(
        `Run ${twin.info.run_id} on the server carries the same client id as another and holds data, so it was kept; compare the two in MLflow's UI.`,
      );
  }

  /** Active runs matching `filter` in these experiments (every page). */
  private async findByClientId(experimentIds: string[], filter: string): Promise<RunJson[]> {
    const out: RunJson[] = [];
    let pageToken: string | undefined;
    do {
      const body: Record<string, unknown> = {
        experiment_ids: experimentIds,
        filter,
        run_view_type: 'ACTIVE_ONLY',
        max_results: 1000,
        order_by: ['attributes.start_time ASC'],
      };
      if (pageToken !== undefined) body.page_token = pageToken;
      const result = await this.tracked(() =>
        this.rest.call<{ runs?: RunJson[]; next_page_token?: string }>('POST', 'runs/search', body),
      );
      out.push(...(result.runs ?? []));
      pageToken = result.next_page_token || undefined;
    } while (pageToken !== undefined);
    return out;
  }

  /**
   * Compares runs whose every item was acknowledged with the server's copy
   * (one runs/search per VERIFY_CHUNK runs, artifacts/list for runs with
   * files, and metrics/get-history for series acknowledged in more than one
   * log-batch). What the server lacks is uploaded again on the next pass.
   */
  private async verify(state: string, runs: RunWork[], remoteIds: RemoteRunIds): Promise<void> {
    if (runs.length === 0) return;
    // Items the server refused for good are not expected there.
    const refused = new Set(
      (await listDeadLetters(this.db, state)).map((d) => `${d.runId}\u0000${d.kind}\u0000${d.key}`),
    );
    for (const w of runs) {
      const v = w.verify!;
      const keep = (kind: string) => (r: { key?: string; path?: string }) =>
        !refused.has(`${w.run.runId}\u0000${kind}\u0000${r.key ?? r.path}`);
      v.params = v.params.filter(keep('param'));
      v.tags = v.tags.filter(keep('tag'));
      v.series = v.series.filter(keep('metric'));
      v.artifacts = v.artifacts.filter(keep('artifact'));
      v.inputs = v.inputs.filter((i) => !refused.has(`${w.run.runId}\u0000input\u0000${i.name} (${i.digest})`));
      v.modelInputs = v.modelInputs.filter((m) => !refused.has(`${w.run.runId}\u0000input\u0000model ${m.modelId}`));
    }
    for (let i = 0; i < runs.length; i += VERIFY_CHUNK) {
      const chunk = runs.slice(i, i + VERIFY_CHUNK);
      const ids = chunk.map((w) => w.sync.remoteRunId!);
      const experiments = [
        ...new Set(chunk.map((w) => w.remoteExperimentId).filter((e): e is string => e !== undefined)),
      ];
      await this.sweepTwins(experiments, remoteIds);
      const result = await this.request(() =>
        this.rest.call<{ runs?: RunJson[] }>('POST', 'runs/search', {
          experiment_ids: experiments,
          filter: `attributes.run_id IN (${ids.map((id) => `'${id}'`).join(', ')})`,
          run_view_type: 'ALL',
          max_results: VERIFY_CHUNK,
        }),
      );
      const byId = new Map((result.runs ?? []).map((r) => [r.info.run_id, r]));
      let lost = false;
      for (const w of chunk) {
        const remote = byId.get(w.sync.remoteRunId!);
        if (remote === undefined) {
          lost = true;
          await reopenRun(this.db, state, w.run.runId, true, {});
          continue;
        }
        const remoteStage = remote.info.lifecycle_stage ?? 'active';
        if (w.run.lifecycleStage === 'deleted' && remoteStage !== 'deleted') {
          // Restored there after this store deleted it (or the deletion was lost): deleted again.
          this.hooks.notice(`Run ${w.run.runId} is active on the server but deleted here: it is deleted there again.`);
          await reopenRun(this.db, state, w.run.runId, false, { lifecycle: 'active' });
          continue;
        }
        if (remoteStage !== 'active' && w.run.lifecycleStage === 'active') {
          this.hooks.problem(
            new MlflowEdgeError(
              'INVALID_STATE',
              `Run ${remote.info.run_id} is deleted on the server. Restore it there (mlflow runs restore) to finish its upload; its data is kept here.`,
              { runId: w.run.runId },
            ),
            w.run.runId,
          );
          continue;
        }
        const missing = await this.compare(w, remote, remoteIds);
        if (missing === undefined) {
          await ackVerified(this.db, state, w.run.runId, w.verify!.epoch, w.run.seq);
          this.progress?.done({ runs: 1 });
        } else {
          this.hooks.notice(`The server's copy of run ${w.run.runId} lacks ${missing.what}: it is uploaded again.`);
          await reopenRun(this.db, state, w.run.runId, false, missing);
        }
      }
      if (lost) {
        this.hooks.notice(
          `Runs acknowledged earlier are missing on the MLflow server at ${this.rest.trackingUri}: they are created and uploaded again.`,
        );
        await bumpEpoch(this.db, state);
      }
    }
  }

  /** What of the local run the server's copy lacks, or undefined when it has everything. */
  private async compare(
    w: RunWork,
    remote: RunJson,
    remoteIds: RemoteRunIds,
  ): Promise<
    | {
        what: string;
        params?: boolean;
        series?: string[];
        files?: string[];
        inputs?: string[];
        modelInputs?: string[];
        end?: boolean;
      }
    | undefined
  > {
    const v = w.verify!;
    const params = new Map((remote.data?.params ?? []).map((p) => [p.key, p.value]));
    const tags = new Map((remote.data?.tags ?? []).map((t) => [t.key, t.value]));
    const metrics = new Map((remote.data?.metrics ?? []).map((m) => [m.key, m]));
    // Tags naming local runs are on the server with those runs' server ids (see run-ids.ts).
    const expected = await Promise.all(v.tags.map((t) => (t.deleted === true ? '' : remoteIds.tagValue(t.value))));
    const textMissing =
      v.params.some((p) => params.get(p.key) !== p.value) ||
      v.tags.some((t, i) =>
        t.deleted === true ? tags.has(t.key) : expected[i] === undefined || tags.get(t.key) !== expected[i],
      );
    const series = v.series
      .filter((s) => {
        const m = metrics.get(s.key);
        return (
          m === undefined ||
          String(m.value) !== String(encodeDouble(s.latest.value)) ||
          Number(m.step ?? 0) !== s.latest.step
        );
      })
      .map((s) => s.key);
    // A series acknowledged in one log-batch (one transaction on the server) is whole when its latest point is there; others are counted.
    const lost: string[] = [];
    for (const s of v.series) {
      if (s.batches === 1 || series.includes(s.key)) continue;
      const { missing, of } = await this.missingPoints(w.run.runId, remote.info.run_id, s);
      if (missing === 0) continue;
      series.push(s.key);
      lost.push(`${missing} of the ${of} points of metric ${s.key}`);
    }
    const latestOff = series.length - lost.length;
    const endMissing =
      w.run.status !== 'RUNNING' && remote.info.status !== undefined && remote.info.status !== w.run.status;
    const files = v.artifacts.length === 0 ? [] : await this.missingFiles(w, remote.info.run_id);
    const held = new Set(
      (remote.inputs?.dataset_inputs ?? []).map((i) =>
        inputKey({ name: i.dataset?.name ?? '', digest: i.dataset?.digest ?? '' }),
      ),
    );
    const inputs = v.inputs.filter((i) => !held.has(inputKey(i)));
    const linked = new Set((remote.inputs?.model_inputs ?? []).map((m) => m.model_id));
    const models: string[] = [];
    for (const m of v.modelInputs) {
      const id = (await getRemote(this.db, this.state!, 'model', m.modelId))?.remoteModelId;
      if (id !== undefined && !linked.has(id)) models.push(m.modelId);
    }
    if (
      !textMissing &&
      series.length === 0 &&
      !endMissing &&
      files.length === 0 &&
      inputs.length === 0 &&
      models.length === 0
    )
      return undefined;
    const what = [
      textMissing && 'params or tags',
      latestOff > 0 && `metrics ${series.slice(0, latestOff).join(', ')}`,
      ...lost,
      endMissing && 'its end status',
      files.length > 0 && `files ${files.join(', ')}`,
      inputs.length > 0 && `dataset inputs ${inputs.map((i) => `${i.name} (${i.digest})`).join(', ')}`,
      models.length > 0 && `model inputs ${models.join(', ')}`,
    ]
      .filter(Boolean)
      .join(', ');
    return {
      what,
      params: textMissing,
      series,
      files,
      inputs: inputs.map(inputKey),
      modelInputs: models,
      end: endMissing,
    };
  }

  /**
   * How many distinct points of a local series the server's history lacks
   * (see points.ts), of how many: get-history pages of HISTORY_PAGE, read
   * until every local point was seen or the history ends.
   */
  private async missingPoints(
    runId: string,
    remoteRunId: string,
    s: SeriesRecord,
  ): Promise<{ missing: number; of: number }> {
    const local = new SeriesPoints(s.count);
    for (let from = 0; from < s.count; from += WINDOW)
      for (const p of await readPoints(this.db, runId, s.key, from, Math.min(s.count, from + WINDOW))) local.add(p);
    local.seal();
    if (await this.holdsExactly(remoteRunId, s.key, local)) return { missing: 0, of: local.size };
    let pageToken: string | undefined;
    do {
      const query: Record<string, string> = {
        run_id: remoteRunId,
        metric_key: s.key,
        max_results: String(HISTORY_PAGE),
      };
      if (pageToken !== undefined) query.page_token = pageToken;
      const page = await this.request(() =>
        this.rest.call<{
          metrics?: { value: number | string; step?: number | string; timestamp?: number | string }[];
          next_page_token?: string;
        }>('GET', 'metrics/get-history', query),
      );
      for (const m of page.metrics ?? []) local.see(m.timestamp, m.step, m.value);
      // An empty page ends it too, whatever token came with it: a token back to the same page would loop forever.
      pageToken = (page.metrics?.length ?? 0) > 0 ? page.next_page_token || undefined : undefined;
    } while (pageToken !== undefined && local.missing > 0);
    return { missing: local.missing, of: local.size };
  }

  /**
   * The cheap count: MLflow 3.2+ pages get-history by an offset in its page
   * token, so one point asked for at offset size − 1 answers whether the
   * server holds exactly as many points as this series, ending with the same
   * one, without sending the history (half the time of storing it, for 10k
   * points). MLflow calls the token's format unstable: any other answer (a
   * refusal, MLflow 2's SQL store refusing tokens, another point, more
   * points) is inconclusive and the whole history is counted instead, so a
   * changed format costs requests, never a wrong verdict.
   */
  private async holdsExactly(remoteRunId: string, key: string, local: SeriesPoints): Promise<boolean> {
    if (this.noOffsetProbe || local.size === 0) return false;
    const query = {
      run_id: remoteRunId,
      metric_key: key,
      max_results: '1',
      page_token: btoa(JSON.stringify({ offset: local.size - 1 })),
    };
    try {
      const page = await this.request(() =>
        this.rest.call<{
          metrics?: { value: number | string; step?: number | string; timestamp?: number | string }[];
          next_page_token?: string;
        }>('GET', 'metrics/get-history', query),
      );
      const [last, more] = page.metrics ?? [];
      return (
        last !== undefined &&
        more === undefined &&
        !page.next_page_token &&
        local.isLast(last.timestamp, last.step, last.value)
      );
    } catch (error) {
      if (!(error instanceof RestError) || error.kind !== 'refused' || runGone(error)) throw error;
      this.noOffsetProbe = true; // this server pages otherwise (or not at all): count whole histories from now on
      return false;
    }
  }

  /** Local files of the run the server lists with another size, or not at all. */
  private async missingFiles(w: RunWork, remoteRunId: string): Promise<string[]> {
    const sizes = new Map<string, number>();
    const walk = async (path: string | undefined): Promise<void> => {
      const body: Record<string, string> = { run_id: remoteRunId };
      if (path !== undefined) body.path = path;
      const { files = [] } = await this.request(() =>
        this.rest.call<{ files?: { path: string; is_dir?: boolean; file_size?: number | string }[] }>(
          'GET',
          'artifacts/list',
          body,
        ),
      );
      for (const f of files) {
        if (f.is_dir) await walk(f.path);
        else sizes.set(f.path, Number(f.file_size ?? -1));
      }
    };
    await walk(undefined);
    return w.verify!.artifacts.filter((a) => sizes.get(a.path) !== a.size).map((a) => a.path);
  }

  private async uploadData(
    state: string,
    w: RunWork,
    remoteRunId: string,
    remoteIds: RemoteRunIds,
    acks: Promise<void>[],
    createdNow: boolean,
  ): Promise<void> {
    const runId = w.run.runId;
    // A tag naming a local run (a parent, a best_run_id) names its server id, so the UI nests and links the runs there too; never the local id.
    const text: TextItem[] = [];
    for (const { kind, record } of w.text) {
      const seq = Number.isFinite(record.seq) ? record.seq : 0;
      if (kind === 'tag' && record.deleted === true) {
        text.push({ kind, key: record.key, value: '', seq, deleted: true });
        continue;
      }
      const value = kind === 'tag' ? await remoteIds.tagValueOrWait(record.key, record.value) : record.value;
      text.push({ kind, key: record.key, value, seq });
    }
    // A new name goes by runs/update, which sets it without reading and writing back the status (see RUN_NAME_TAG);
    // the create of this pass already set the name the run has now. The item is acknowledged with its batch.
    const name = text.find((t) => t.kind === 'tag' && t.key === RUN_NAME_TAG && t.deleted !== true);
    if (name !== undefined && !(createdNow && name.value === w.run.runName)) {
      await this.request(() =>
        this.rest.call('POST', 'runs/update', { run_id: remoteRunId, run_name: name.value }, has(['run_info'])),
      );
    }
    // Deleted tags go by runs/delete-tag in seq order with the rest (an ack moves the run's seq mark past
    // everything before it): what was logged before a deletion goes first. Rare, so usually one pass of this loop.
    let textLeft = text;
    for (let at = textLeft.findIndex((t) => t.deleted); at !== -1; at = textLeft.findIndex((t) => t.deleted)) {
      for (const batch of packBatches(textLeft.slice(0, at), []))
        await this.sendBatch(state, runId, remoteRunId, batch, acks);
      await this.deleteTag(state, runId, remoteRunId, textLeft[at]!, acks);
      textLeft = textLeft.slice(at + 1);
    }
    const position = new Map(w.series.map((s) => [s.key, s.syncedCount]));
    for (;;) {
      const windows: { key: string; from: number; to: number }[] = [];
      for (const s of w.series) {
        const from = position.get(s.key)!;
        if (from >= s.count) continue;
        windows.push({ key: s.key, from, to: Math.min(s.count, from + WINDOW) });
      }
      const series: MetricItem[][] = (await readWindows(this.db, runId, windows)).map((points, n) => {
        const { key, from, to } = windows[n]!;
        position.set(key, to);
        return points.map((p, i) => ({
          kind: 'metric',
          key,
          value: p.value,
          step: p.step,
          timestamp: p.timestamp,
          index: from + i,
        }));
      });
      if (textLeft.length === 0 && series.length === 0) return;
      for (const batch of packBatches(textLeft, series)) await this.sendBatch(state, runId, remoteRunId, batch, acks);
      textLeft = [];
    }
  }

  /**
   * Sends the run's dataset inputs with runs/log-inputs, INPUTS_PER_REQUEST
   * at a time; the server dedups them (per experiment by name and digest,
   * per run by dataset), so a replay after a crash is harmless. A refused
   * request is split until the refused inputs are alone: those are dead
   * letters; each acknowledged after its answer.
   */
  private async uploadInputs(
    state: string,
    runId: string,
    remoteRunId: string,
    inputs: readonly DatasetInputRecord[],
  ): Promise<void> {
    for (let i = 0; i < inputs.length; i += INPUTS_PER_REQUEST)
      await this.sendInputs(state, runId, remoteRunId, inputs.slice(i, i + INPUTS_PER_REQUEST));
  }

  private async sendInputs(
    state: string,
    runId: string,
    remoteRunId: string,
    inputs: readonly DatasetInputRecord[],
  ): Promise<void> {
    try {
      await this.request(() => this.rest.call('POST', 'runs/log-inputs', logInputsBody(remoteRunId, inputs)));
    } catch (error) {
      if (!(error instanceof RestError) || error.kind !== 'refused' || runWaits(error) || runGone(error)) throw error;
      if (inputs.length > 1) {
        const mid = Math.ceil(inputs.length / 2);
        await this.sendInputs(state, runId, remoteRunId, inputs.slice(0, mid));
        await this.sendInputs(state, runId, remoteRunId, inputs.slice(mid));
        return;
      }
      await addDeadLetter(this.db, state, {
        runId,
        kind: 'input',
        key: `${inputs[0]!.name} (${inputs[0]!.digest})`,
        message: error.message,
        at: Date.now(),
      });
    }
    await ackInputs(this.db, state, runId, inputs);
  }

  /**
   * Links the run to the logged models it used (runs/log-inputs `models`,
   * MLflow 3), with the models' server ids: a model not created there yet
   * waits for the models step of the pass; on a server without logged
   * models (MLflow 2) there is nothing to link; a model the server refused
   * makes its input a dead letter too.
   */
  private async sendModelInputs(
    state: string,
    runId: string,
    remoteRunId: string,
    inputs: readonly { modelId: string }[],
  ): Promise<void> {
    const send: { modelId: string; remote: string }[] = [];
    const settled: string[] = [];
    for (const { modelId } of inputs) {
      const model = await getRemote(this.db, state, 'model', modelId);
      if (model?.remoteModelId !== undefined) send.push({ modelId, remote: model.remoteModelId });
      else if (model?.ready) settled.push(modelId);
      else if (model?.abandoned) {
        await addDeadLetter(this.db, state, {
          runId,
          kind: 'input',
          key: `model ${modelId}`,
          message: `The server refused logged model ${modelId}, so the run cannot name it as an input.`,
          at: Date.now(),
        });
        settled.push(modelId);
      }
    }
    if (send.length > 0) {
      try {
        await this.request(() =>
          this.rest.call('POST', 'runs/log-inputs', {
            run_id: remoteRunId,
            datasets: [],
            models: send.map((m) => ({ model_id: m.remote })),
          }),
        );
      } catch (error) {
        if (!(error instanceof RestError) || error.kind !== 'refused' || runWaits(error) || runGone(error)) throw error;
        for (const m of send)
          await addDeadLetter(this.db, state, {
            runId,
            kind: 'input',
            key: `model ${m.modelId}`,
            message: error.message,
            at: Date.now(),
          });
      }
      settled.push(...send.map((m) => m.modelId));
    }
    if (settled.length > 0) await ackModelInputs(this.db, state, runId, settled);
  }

  /**
   * Deletes a tag on the server (MLflow's runs/delete-tag). A tag the server
   * does not have (never uploaded, or deleted by a try whose answer was
   * lost) is what the deletion wants: MLflow's "No tag with name" refusal
   * counts as done. Any other refusal of the item alone is a dead letter.
   */
  private async deleteTag(
    state: string,
    runId: string,
    remoteRunId: string,
    item: TextItem,
    acks: Promise<void>[],
  ): Promise<void> {
    try {
      await this.request(() => this.rest.call('POST', 'runs/delete-tag', { run_id: remoteRunId, key: item.key }));
    } catch (error) {
      if (!(error instanceof RestError) || error.kind !== 'refused' || runWaits(error)) throw error;
      const absent = error.errorCode === 'RESOURCE_DOES_NOT_EXIST' && /No tag with name/i.test(error.message);
      if (!absent) {
        if (runGone(error)) throw error;
        await addDeadLetter(this.db, state, {
          runId,
          kind: 'tag',
          key: item.key,
          message: error.message,
          at: Date.now(),
        });
      }
    }
    const ack = ackBatch(this.db, state, runId, item.seq, new Map(), [item]).then(() =>
      this.progress?.done({ tags: 1 }),
    );
    ack.catch(() => undefined); // awaited by the caller (syncData), as sendBatch's
    acks.push(ack);
  }

  /** Sends one log-batch; a refused batch is split until the refused items are alone, and those are dead-lettered. */
  private async sendBatch(
    state: string,
    runId: string,
    remoteRunId: string,
    items: BatchItem[],
    acks: Promise<void>[],
  ): Promise<void> {
    const body = logBatchBody(remoteRunId, items);
    try {
      // A batch of only the run's name (sent by runs/update) is acknowledged without a request.
      if (body.params.length + body.tags.length + body.metrics.length > 0)
        await this.request(() => this.rest.call('POST', 'runs/log-batch', body));
    } catch (error) {
      // A refusal of the run itself (deleted, gone) is not about these items.
      if (!(error instanceof RestError) || error.kind !== 'refused' || runWaits(error) || runGone(error)) throw error;
      const nan = new Set(
        repeatedPointRefusal(error) ? items.filter((i) => i.kind === 'metric' && Number.isNaN(i.value)) : [],
      );
      if (nan.size > 0 && items.length > 1) {
        // MLflow 2 refuses a whole batch that repeats a NaN point it stores (its duplicate check compares NaN
        // with NaN): the batch goes again in order, cut around each NaN point, which goes alone.
        let from = 0;
        for (let i = 0; i <= items.length; i++) {
          if (i < items.length && !nan.has(items[i]!)) continue;
          if (i > from) await this.sendBatch(state, runId, remoteRunId, items.slice(from, i), acks);
          if (i < items.length) await this.sendBatch(state, runId, remoteRunId, [items[i]!], acks);
          from = i + 1;
        }
        return;
      }
      if (items.length > 1) {
        const mid = Math.ceil(items.length / 2);
        await this.sendBatch(state, runId, remoteRunId, items.slice(0, mid), acks);
        await this.sendBatch(state, runId, remoteRunId, items.slice(mid), acks);
        return;
      }
      // Refused alone, an item is a dead letter; but a NaN point that hit the primary key is on the server.
      const item = items[0]!;
      if (nan.size === 0)
        await addDeadLetter(this.db, state, {
          runId,
          kind: item.kind,
          key: item.key,
          message: error.message,
          at: Date.now(),
        });
    }
    const { syncedSeq, counts, text } = ackOf(items);
    const ack = ackBatch(this.db, state, runId, syncedSeq, counts, text).then(() =>
      this.progress?.done(countItems(items)),
    );
    ack.catch(() => undefined); // awaited by the caller (syncData); never an unhandled rejection meanwhile
    acks.push(ack);
  }

  private request<T>(fn: () => Promise<T>): Promise<T> {
    return this.withRetries(() => this.tracked(fn));
  }

  private withRetries<T>(fn: () => Promise<T>): Promise<T> {
    return withRetries(fn, this.retry, (e) => this.hooks.retrying(e), this.stopping.signal);
  }

  /** This engine's server is no longer the one set: its pass gives up at its next wait instead of retrying on. */
  stop(): void {
    this.stopping.abort();
  }

  private async tracked<T>(fn: () => Promise<T>): Promise<T> {
    this.hooks.inFlight(1);
    try {
      return await fn();
    } finally {
      this.hooks.inFlight(-1);
    }
  }
}

/**
 * MLflow 2's refusal of a log-batch whose insert hit the metrics primary key
 * (the database's own words: SQLite, PostgreSQL, MySQL, SQL Server).
 */
function repeatedPointRefusal(error: RestError): boolean {
  return (
    error.errorCode === 'BAD_REQUEST' &&
    /IntegrityError|UniqueViolation|UNIQUE constraint failed|duplicate key value|Duplicate entry|Violation of PRIMARY KEY/i.test(
      error.message,
    )
  );
}

/** How many params, tags and metric points a batch carried. */
function countItems(items: readonly BatchItem[]): { params: number; tags: number; metrics: number } {
  const n = { params: 0, tags: 0, metrics: 0 };
  for (const item of items) n[item.kind === 'param' ? 'params' : item.kind === 'tag' ? 'tags' : 'metrics']++;
  return n;
}

/** A server run holds data when it has params, metrics or tags beyond those its create set. */
function holdsData(run: RunJson): boolean {
  const d = run.data ?? {};
  return (
    (d.params?.length ?? 0) > 0 || (d.metrics?.length ?? 0) > 0 || (d.tags ?? []).some((t) => !CREATE_TAGS.has(t.key))
  );
}
