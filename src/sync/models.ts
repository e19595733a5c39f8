/**
 * Models and the registry on sync, after the runs they belong to:
 * - a logged model is created the way MLflow 3 logs one: logged-models
 *   create → runs/outputs → files to the model's artifact root (MLmodel
 *   last, rewritten with the server's run and model ids) → PATCH READY. On a
 *   server without logged models (MLflow 2, known from GET /version) its
 *   files go under the run's artifacts, `<name>/`, as MLflow 2 stored models;
 * - then the registry (registry.ts), with the models as this pass left them.
 * Creates go through remote/create-once.ts, as runs do: marked attempted
 * before they go out, searched by a client-id tag after a lost answer.
 * A twin of a logged model is deleted only while it is still PENDING (it
 * holds no files).
 * What the server has is kept per server state (store/remote-state.ts).
 *
 * Verify before done, as for runs: a model counts as synced only once the
 * server's copy was checked (verify-models.ts) after its PATCH READY, and
 * again whenever the state's epoch moves (the server lost data). What the
 * check finds missing is uploaded or created again (a create searches by
 * client id first); an entity missing entirely moves the epoch, so every
 * run, model and registry entry is checked again.
 */
import { createOnce, deleteOnce, settleTwins } from '../remote/create-once.js';
import { RestError, type MlflowRest } from '../remote/rest.js';
import { bumpEpoch, getRemote, remoteMap, updateRemote } from '../store/remote-state.js';
import { ackArtifact, addDeadLetter, remoteIds, unsyncedFiles } from '../store/sync-state.js';
import { inWriteOrder } from '../models/write-order.js';
import {
  ackModelVerified,
  epochOf,
  lastModels,
  modelFiles,
  recordLastModels,
  reopenModel,
} from '../store/model-sync-state.js';
import { CLIENT_VERSION_TAG, RegistrySync } from './registry.js';
import type { Requests } from './requests.js';
import {
  checkLoggedModel,
  checkRunModel,
  isGone,
  versionHolds,
  type LoggedModelDataJson,
  type ModelCheck,
} from './verify-models.js';
import { missingModelMetrics, modelMetricBatches } from './model-metrics.js';
import { listLoggedModels, listRegisteredModels } from '../store/models.js';
import type { ArtifactStore } from '../store/artifacts.js';
import type { Db, LoggedModelRecord, ModelSyncRecord } from '../store/schema.js';

export const CLIENT_MODEL_TAG = 'mlflow-edge.clientModelId';

type RunIds = { runId: string; artifactUri: string; experimentId: string };

type LoggedModelJson = {
  info: { model_id: string; artifact_uri: string; creation_timestamp_ms: number; status?: string };
};

const quote = (s: string) => `'${s.replaceAll("'", "\\'")}'`;

/**
 * What of the last logged model and registry version created on this
 * server it no longer has (restored from a backup older than them), probed
 * at the start of a pass as the last run is; undefined when it has both.
 */
export async function lostLastModel(
  db: Db,
  state: string,
  rest: MlflowRest,
  request: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<string | undefined> {
  const last = await lastModels(db, state);
  if (last.modelId !== undefined) {
    try {
      await request(() =>
        rest.call('GET', `logged-models/${encodeURIComponent(last.modelId!)}`, undefined, (json) =>
          'model' in json ? undefined : 'a JSON object with model',
        ),
      );
    } catch (error) {
      if (!isGone(error)) throw error;
      // Found once: the checks it sets off make it again (a pointer left on it would set them off on every pass).
      await recordLastModels(db, state, { modelId: undefined });
      return `logged model ${last.modelId}`;
    }
  }
  const v = last.version;
  if (
    v !== undefined &&
    !(await versionHolds(rest, request, v.name, v.version, { key: CLIENT_VERSION_TAG, value: v.clientId }))
  ) {
    await recordLastModels(db, state, { version: undefined });
    return `version ${v.version} of registered model ${v.name}`;
  }
  return undefined;
}

export class ModelSync {
  constructor(
    private readonly db: Db,
    private readonly state: string,
    private readonly rest: MlflowRest,
    private readonly artifacts: ArtifactStore,
    private readonly calls: Requests,
  ) {}

  /** The epoch checks are made at: the state's, moved by this pass when it finds something missing entirely. */
  private epoch = 0;
  /** The server's id of each local run it has, as this pass found them. */
  private remoteRun: (localRunId: string) => string | undefined = () => undefined;

  async pass(): Promise<void> {
    const [models, { runs, experiments }, synced, epoch] = await Promise.all([
      listLoggedModels(this.db),
      remoteIds(this.db, this.state),
      remoteMap(this.db, this.state, 'model'),
      epochOf(this.db, this.state),
    ]);
    this.epoch = epoch;
    this.remoteRun = (id) => runs.get(id)?.remoteRunId;
    for (const model of models) {
      let sync = synced.get(model.modelId) ?? { createAttempted: false };
      if (sync.abandoned || (sync.ready && sync.verifiedEpoch === this.epoch && !metricsPending(model, sync))) continue;
      const run = runs.get(model.runId);
      const experimentId = experiments.get(model.experimentId);
      const remoteRun =
        run?.remoteRunId === undefined || run.artifactUri === undefined || experimentId === undefined
          ? undefined
          : { runId: run.remoteRunId, artifactUri: run.artifactUri, experimentId };
      // Acknowledged before and not checked at this epoch: checked first, and what the server lost is uploaded again below.
      if (sync.ready) {
        if (sync.verifiedEpoch !== this.epoch) sync = await this.verifyModel(model, sync, remoteRun);
        synced.set(model.modelId, sync);
        if (sync.ready) {
          synced.set(model.modelId, await this.syncMetrics(model, sync));
          this.calls.done({ models: 1 });
          continue;
        }
      }
      // The run is not on the server yet (or was refused): its models wait.
      if (remoteRun === undefined) continue;
      try {
        sync = await this.syncModel(model, sync, remoteRun);
      } catch (error) {
        if (!(error instanceof RestError && error.kind === 'refused')) throw error;
        if (
          isGone(error) &&
          (await getRemote(this.db, this.state, 'model', model.modelId))?.remoteModelId !== undefined
        ) {
          // The model (or its run) the server answered for is not there: a proxy's made-up answer, or a loss. Made again next pass.
          await this.lost(
            `Logged model ${model.modelId} is missing on the server (${error.message}); it is created again.`,
          );
          synced.set(model.modelId, await reopenModel(this.db, this.state, model.modelId, { whole: true }));
          continue;
        }
        await addDeadLetter(this.db, this.state, {
          runId: model.runId,
          kind: 'model',
          key: model.name,
          message: error.message,
          at: Date.now(),
        });
        synced.set(model.modelId, await this.updateModel(model.modelId, { abandoned: true }));
        this.calls.done({ models: 1 });
        continue;
      }
      // Uploaded and finalized: checked before it counts as synced (the next pass uploads what the check finds missing).
      sync = await this.verifyModel(model, sync, remoteRun);
      if (sync.ready) {
        sync = await this.syncMetrics(model, sync);
        this.calls.done({ models: 1 });
      }
      synced.set(model.modelId, sync);
    }
    // The registry, with the models as this pass left them.
    const byId = new Map(models.map((m) => [m.modelId, m]));
    const registry = new RegistrySync(this.db, this.state, this.rest, this.calls, {
      epoch: () => this.epoch,
      lost: (message) => this.lost(message),
    });
    for (const registered of await listRegisteredModels(this.db)) await registry.sync(registered, byId, synced, runs);
  }

  /** The server lost something it acknowledged: every run, model and registry entry of the state is checked again. */
  private async lost(message: string): Promise<void> {
    await bumpEpoch(this.db, this.state);
    this.epoch = await epochOf(this.db, this.state);
    this.calls.notice(message);
  }

  /** Checks the server's copy of a model marked ready; returns its record, no longer ready when the server lacks something. */
  private async verifyModel(
    model: LoggedModelRecord,
    sync: ModelSyncRecord,
    run: RunIds | undefined,
  ): Promise<ModelSyncRecord> {
    let check: ModelCheck;
    if (sync.remoteModelId !== undefined) {
      check = await checkLoggedModel(
        this.rest,
        this.calls.request,
        sync.remoteModelId,
        await this.expectedSizes(model, run?.runId ?? '', sync),
      );
    } else if (run === undefined || sync.remoteArtifactUri !== `${run.artifactUri.replace(/\/+$/, '')}/${model.name}`) {
      // MLflow 2: the model lives under its run, and the server lost that run (or it was made again): uploaded under the run it has now.
      check = { gone: true };
    } else {
      check = await checkRunModel(
        this.rest,
        this.calls.request,
        run.runId,
        model.name,
        await this.expectedSizes(model, run.runId, sync),
      );
    }
    if (check.gone) {
      await this.lost(
        `The MLflow server at ${this.rest.trackingUri} no longer has logged model ${model.name} (${model.modelId}) it acknowledged: it is uploaded again, and everything is compared with the server again.`,
      );
      return reopenModel(this.db, this.state, model.modelId, { whole: true });
    }
    if (check.notReady || check.files.length > 0) {
      const what = [check.notReady && 'its READY status', check.files.length > 0 && `files ${check.files.join(', ')}`]
        .filter(Boolean)
        .join(', ');
      this.calls.notice(
        `The server's copy of logged model ${model.name} (${model.modelId}) lacks ${what}: it is uploaded again.`,
      );
      return reopenModel(this.db, this.state, model.modelId, { whole: false, files: check.files });
    }
    let checked = sync;
    if (!check.gone && check.data !== undefined && sync.remoteModelId !== undefined)
      checked = await this.verifyData(model, sync, sync.remoteModelId, check.data);
    await ackModelVerified(this.db, this.state, model.modelId, this.epoch);
    return { ...checked, verifiedEpoch: this.epoch };
  }

  /**
   * The model's params and linked metrics on the server's copy: params it
   * lacks are logged to it (logged-models/{id}/params); metric points it
   * lacks are sent again, all of them (the server absorbs the ones it has).
   */
  private async verifyData(
    model: LoggedModelRecord,
    sync: ModelSyncRecord,
    remoteModelId: string,
    data: LoggedModelDataJson,
  ): Promise<ModelSyncRecord> {
    const have = new Map((data.params ?? []).map((p) => [p.key, p.value]));
    const lacking = Object.entries(model.params ?? {})
      .filter(([key]) => !have.has(key))
      .map(([key, value]) => ({ key, value }));
    if (lacking.length > 0 && !sync.paramsRefused) {
      this.calls.notice(
        `The server's copy of logged model ${model.name} (${model.modelId}) lacks params ${lacking.map((p) => p.key).join(', ')}: they are logged again.`,
      );
      try {
        await this.calls.request(() =>
          this.rest.call('POST', `logged-models/${encodeURIComponent(remoteModelId)}/params`, {
            model_id: remoteModelId,
            params: lacking,
          }),
        );
      } catch (error) {
        if (!(error instanceof RestError && error.kind === 'refused')) throw error;
        await addDeadLetter(this.db, this.state, {
          runId: model.runId,
          kind: 'model',
          key: `${model.name} (logged model params)`,
          message: error.message,
          at: Date.now(),
        });
        sync = await this.updateModel(model.modelId, { paramsRefused: true });
      }
    }
    const points = model.metrics ?? [];
    if (sync.metricsRefused || (sync.metricsSynced ?? 0) === 0) return sync;
    const missing = missingModelMetrics(points, sync.metricsSynced ?? 0, this.remoteRun, data.metrics ?? []);
    if (missing === 0) return sync;
    this.calls.notice(
      `The server's copy of logged model ${model.name} (${model.modelId}) lacks ${missing} of its metric points: they are sent again.`,
    );
    return this.updateModel(model.modelId, { metricsSynced: 0 });
  }

  /**
   * Sends the model's metric points the server lacks (model-metrics.ts), a
   * log-batch at a time, each acknowledged by moving `metricsSynced`. A
   * batch MLflow refuses is dead-lettered, and the model's points are no
   * longer sent or checked.
   */
  private async syncMetrics(model: LoggedModelRecord, sync: ModelSyncRecord): Promise<ModelSyncRecord> {
    if (!metricsPending(model, sync)) return sync;
    const remoteModelId = sync.remoteModelId!;
    const before = sync.metricsSynced;
    let done = before ?? 0;
    for (const batch of modelMetricBatches(model.metrics ?? [], done, remoteModelId, this.remoteRun)) {
      try {
        if (batch.metrics.length > 0)
          await this.calls.request(() =>
            this.rest.call('POST', 'runs/log-batch', { run_id: batch.runId, metrics: batch.metrics }),
          );
      } catch (error) {
        if (!(error instanceof RestError && error.kind === 'refused')) throw error;
        await addDeadLetter(this.db, this.state, {
          runId: model.runId,
          kind: 'metric',
          key: `${model.name} (logged model metrics)`,
          message: error.message,
          at: Date.now(),
        });
        return this.updateModel(model.modelId, { metricsSynced: (model.metrics ?? []).length, metricsRefused: true });
      }
      done += batch.count;
      sync = await this.updateModel(model.modelId, { metricsSynced: done });
    }
    // Verify before done: the server's copy is read back once (what it lacks is sent again on the next pass).
    if (done > (before ?? 0)) {
      const found = await this.calls
        .request(() =>
          this.rest.call<{ model: { data?: LoggedModelDataJson } }>(
            'GET',
            `logged-models/${encodeURIComponent(remoteModelId)}`,
            undefined,
            (json) => ('model' in json ? undefined : 'a JSON object with model'),
          ),
        )
        .then(({ model }) => model)
        .catch((error: unknown) => {
          // Gone since (deleted on the server): the model's own check finds it at the next epoch.
          if (error instanceof RestError && error.kind === 'refused') return undefined;
          throw error;
        });
      if (found === undefined) return sync;
      const missing = missingModelMetrics(model.metrics ?? [], done, this.remoteRun, found.data?.metrics ?? []);
      if (missing > 0) {
        this.calls.notice(
          `The server's copy of logged model ${model.name} (${model.modelId}) lacks ${missing} of the metric points it acknowledged: they are sent again.`,
        );
        return this.updateModel(model.modelId, { metricsSynced: 0 });
      }
    }
    return sync;
  }

  /** The size of each of the model's files as the server should have it: MLmodel as rewritten with the server's ids on upload. */
  private async expectedSizes(
    model: LoggedModelRecord,
    remoteRunId: string,
    sync: ModelSyncRecord,
  ): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const file of await modelFiles(this.db, model.modelId)) {
      if (file.path !== 'MLmodel') out.set(file.path, file.size);
      else {
        const remote =
          sync.remoteModelId === undefined
            ? undefined
            : { model_id: sync.remoteModelId, artifact_uri: sync.remoteArtifactUri! };
        out.set(
          file.path,
          (await serverMLmodel(model, await this.artifacts.read(model.modelId, file.path), remoteRunId, remote)).size,
        );
      }
    }
    return out;
  }

  private updateModel(modelId: string, change: Partial<ModelSyncRecord>): Promise<ModelSyncRecord> {
    return updateRemote(this.db, this.state, 'model', modelId, '', (old) => ({
      createAttempted: false,
      ...old,
      ...change,
    }));
  }

  /** Uploads one model; returns what it recorded of it (also stored). */
  private async syncModel(
    model: LoggedModelRecord,
    sync: ModelSyncRecord,
    run: { runId: string; artifactUri: string; experimentId: string },
  ): Promise<ModelSyncRecord> {
    let remote =
      sync.remoteModelId === undefined
        ? undefined
        : { model_id: sync.remoteModelId, artifact_uri: sync.remoteArtifactUri! };
    if (remote === undefined) {
      if (!(await this.calls.request(() => this.rest.hasLoggedModels()))) {
        await this.uploadFiles(model, run.artifactUri, model.name, run.runId, undefined);
        // Registry versions of it point at the run's copy, as MLflow 2 registered models.
        return this.updateModel(model.modelId, {
          ready: true,
          remoteArtifactUri: `${run.artifactUri.replace(/\/+$/, '')}/${model.name}`,
        });
      }
      remote = await this.createModel(model, sync, run);
    }
    if (!sync.outputSynced) {
      await this.linkOutput(run.runId, remote.model_id);
      await this.updateModel(model.modelId, { outputSynced: true });
    }
    await this.uploadFiles(model, remote.artifact_uri, '', run.runId, remote);
    await this.calls.request(() =>
      this.rest.call(
        'PATCH',
        `logged-models/${remote.model_id}`,
        { model_id: remote.model_id, status: 'LOGGED_MODEL_READY' },
        (json) => ('model' in json ? undefined : 'a JSON object with model'),
      ),
    );
    return this.updateModel(model.modelId, {
      ready: true,
      outputSynced: true,
      remoteModelId: remote.model_id,
      remoteArtifactUri: remote.artifact_uri,
    });
  }

  /** logged-models create, once; an empty PENDING twin (a resent create) is deleted. */
  private async createModel(
    model: LoggedModelRecord,
    sync: ModelSyncRecord,
    run: { runId: string; experimentId: string },
  ): Promise<LoggedModelJson['info']> {
    const find = async () =>
      (
        (
          await this.calls.tracked(() =>
            this.rest.call<{ models?: LoggedModelJson[] }>('POST', 'logged-models/search', {
              experiment_ids: [run.experimentId],
              filter: `tags.\`${CLIENT_MODEL_TAG}\` = ${quote(model.modelId)}`,
              max_results: 100,
            }),
          )
        ).models ?? []
      ).sort((a, b) => a.info.creation_timestamp_ms - b.info.creation_timestamp_ms);
    const pending = (m: LoggedModelJson) => m.info.status === undefined || m.info.status === 'LOGGED_MODEL_PENDING';
    const chosen = (
      await createOnce<LoggedModelJson>(
        {
          attempted: sync.createAttempted,
          markAttempted: () => this.updateModel(model.modelId, { createAttempted: true }).then(() => undefined),
          find,
          prefer: (found) => found.find((m) => !pending(m)) ?? found[0]!,
          create: async () => {
            const params = Object.entries(model.params ?? {}).map(([key, value]) => ({ key, value }));
            // The params go with the create (as MLflow 3's log_model sends them): made once, with the model.
            const body = {
              experiment_id: run.experimentId,
              name: model.name,
              source_run_id: run.runId,
              tags: [
                ...Object.entries(model.tags ?? {}).map(([key, value]) => ({ key, value })),
                { key: CLIENT_MODEL_TAG, value: model.modelId },
              ],
              ...(params.length > 0 ? { params } : {}),
            };
            return (
              await this.calls.tracked(() =>
                this.rest.call<{ model: LoggedModelJson }>('POST', 'logged-models', body, (json) =>
                  'model' in json ? undefined : 'a JSON object with model',
                ),
              )
            ).model;
          },
        },
        this.calls.retry,
        this.calls.onRetry,
      )
    ).info;
    const twins = (await this.calls.request(find)).filter((m) => m.info.model_id !== chosen.model_id);
    await settleTwins(
      twins,
      (m) => !pending(m),
      (m) => deleteOnce(() => this.calls.request(() => this.rest.call('DELETE', `logged-models/${m.info.model_id}`))),
    );
    await this.updateModel(model.modelId, {
      createAttempted: true,
      remoteModelId: chosen.model_id,
      remoteArtifactUri: chosen.artifact_uri,
    });
    await recordLastModels(this.db, this.state, { modelId: chosen.model_id });
    return chosen;
  }

  /** runs/outputs is not idempotent (a repeat is refused): a refusal is fine when the link is already there. */
  private async linkOutput(runId: string, modelId: string): Promise<void> {
    try {
      await this.calls.request(() =>
        this.rest.call('POST', 'runs/outputs', { run_id: runId, models: [{ model_id: modelId, step: 0 }] }),
      );
    } catch (error) {
      if (!(error instanceof RestError && error.kind === 'refused')) throw error;
      const { run } = await this.calls.request(() =>
        this.rest.call<{ run: { outputs?: { model_outputs?: { model_id: string }[] } } }>('GET', 'runs/get', {
          run_id: runId,
        }),
      );
      if (!(run.outputs?.model_outputs ?? []).some((o) => o.model_id === modelId)) throw error;
    }
  }

  /** Uploads the files the server lacks, MLmodel last and rewritten with the server's ids. */
  private async uploadFiles(
    model: LoggedModelRecord,
    root: string,
    prefix: string,
    remoteRunId: string,
    remote: { model_id: string; artifact_uri: string } | undefined,
  ): Promise<void> {
    const files = inWriteOrder(await unsyncedFiles(this.db, this.state, model.modelId), (file) => file.path);
    for (const file of files) {
      let blob = await this.artifacts.read(model.modelId, file.path);
      if (file.path === 'MLmodel') blob = await serverMLmodel(model, blob, remoteRunId, remote);
      const path = prefix === '' ? file.path : `${prefix}/${file.path}`;
      await this.calls.request(() => this.rest.putArtifact(root, path, blob));
      await ackArtifact(this.db, this.state, model.modelId, file.path, file.sha256);
      this.calls.done({ bytes: file.size });
    }
  }
}

/** Whether the model has linked metric points its server copy was not sent (never on MLflow 2, which has no logged models). */
function metricsPending(model: LoggedModelRecord, sync: ModelSyncRecord): boolean {
  return sync.remoteModelId !== undefined && (sync.metricsSynced ?? 0) < (model.metrics?.length ?? 0);
}

/** The MLmodel as uploaded: rewritten with the server's run and model ids (MLflow 2: under the run, no model id). */
async function serverMLmodel(
  model: LoggedModelRecord,
  blob: Blob,
  remoteRunId: string,
  remote: { model_id: string; artifact_uri: string } | undefined,
): Promise<Blob> {
  // Loaded only when a model is uploaded or checked: tracking alone never pays for the YAML code.
  const { parseMLmodel, stringifyMLmodel } = await import('../models/mlmodel.js');
  const mlmodel = parseMLmodel(await blob.text());
  mlmodel.runId = remoteRunId;
  if (remote !== undefined) {
    mlmodel.modelId = remote.model_id;
    mlmodel.modelUuid = remote.model_id;
    mlmodel.artifactPath = remote.artifact_uri;
  } else {
    mlmodel.modelId = null;
    mlmodel.artifactPath = model.name;
  }
  return new Blob([stringifyMLmodel(mlmodel)]);
}
