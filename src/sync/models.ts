/**
 * Models and the registry on sync, after the runs they belong to:
 * - a logged model is created the way MLflow 3 logs one: logged-models
 *   create → runs/outputs → files to the model's artifact root (MLmodel
 *   last, rewritten with the server's run and model ids) → PATCH READY. On a
 *   server without logged models (MLflow 2, known from GET /version) its
 *   files go under the run's artifacts, `<name>/`, as MLflow 2 stored models;
 * - then registered models, versions (`source: models:/<server model id>`)
 *   and aliases, with the server's version numbers.
 * Creates go through remote/create-once.ts, as runs do: marked attempted
 * before they go out, searched by a client-id tag after a lost answer.
 * A twin of a logged model is deleted only while it is still PENDING (it
 * holds no files); a twin version only when no alias names it.
 * What the server has is kept per server state (store/remote-state.ts).
 */
import { createOnce, settleTwins } from '../remote/create-once.js';
import { RestError, type MlflowRest } from '../remote/rest.js';
import type { RetryPolicy } from '../remote/retry.js';
import type { SyncCounts } from '../protocol.js';
import { getRemote, remoteMap, updateRemote } from '../store/remote-state.js';
import { ackArtifact, addDeadLetter, remoteIds, unsyncedFiles } from '../store/sync-state.js';
import { inWriteOrder } from '../models/write-order.js';
import { getRegisteredModelRecord, listLoggedModels, listRegisteredModels, modelVersionRecords } from '../store/models.js';
import type { ArtifactStore } from '../store/artifacts.js';
import type { Db, LoggedModelRecord, ModelSyncRecord, ModelVersionRecord, RegisteredModelRecord, RegisteredSyncRecord, RunSyncRecord, VersionSyncRecord } from '../store/schema.js';

export const CLIENT_MODEL_TAG = 'mlflow-edge.clientModelId';
export const CLIENT_VERSION_TAG = 'mlflow-edge.clientVersionId';

/** How the engine sends a request: with retries, counted in flight. */
export interface Requests {
  request<T>(fn: () => Promise<T>): Promise<T>;
  retry: RetryPolicy;
  onRetry(error: RestError): void;
  tracked<T>(fn: () => Promise<T>): Promise<T>;
  /** What the server now has (or refused for good), for the pass's progress. */
  done(part: Partial<SyncCounts>): void;
}

type LoggedModelJson = { info: { model_id: string; artifact_uri: string; creation_timestamp_ms: number; status?: string } };
type VersionJson = { version: string; aliases?: string[] };

const quote = (s: string) => `'${s.replaceAll("'", "\\'")}'`;

export class ModelSync {
  constructor(
    private readonly db: Db,
    private readonly state: string,
    private readonly rest: MlflowRest,
    private readonly artifacts: ArtifactStore,
    private readonly calls: Requests,
  ) {}

  async pass(): Promise<void> {
    const [models, { runs, experiments }, synced] = await Promise.all([listLoggedModels(this.db), remoteIds(this.db, this.state), remoteMap(this.db, this.state, 'model')]);
    for (const model of models) {
      const sync = synced.get(model.modelId) ?? { createAttempted: false };
      if (sync.ready || sync.abandoned) continue;
      const run = runs.get(model.runId);
      const experimentId = experiments.get(model.experimentId);
      // The run is not on the server yet (or was refused): its models wait.
      if (run?.remoteRunId === undefined || run.artifactUri === undefined || experimentId === undefined) continue;
      try {
        synced.set(model.modelId, await this.syncModel(model, sync, { runId: run.remoteRunId, artifactUri: run.artifactUri, experimentId }));
      } catch (error) {
        if (!(error instanceof RestError && error.kind === 'refused')) throw error;
        await addDeadLetter(this.db, this.state, { runId: model.runId, kind: 'model', key: model.name, message: error.message, at: Date.now() });
        synced.set(model.modelId, await this.updateModel(model.modelId, { abandoned: true }));
      }
      this.calls.done({ models: 1 });
    }
    // The registry, with the models as this pass left them.
    const byId = new Map(models.map((m) => [m.modelId, m]));
    for (const registered of await listRegisteredModels(this.db)) await this.syncRegistered(registered, byId, synced, runs);
  }

  private updateModel(modelId: string, change: Partial<ModelSyncRecord>): Promise<ModelSyncRecord> {
    return updateRemote(this.db, this.state, 'model', modelId, '', (old) => ({ createAttempted: false, ...old, ...change }));
  }

  private updateVersion(v: Pick<ModelVersionRecord, 'name' | 'version'>, change: Partial<VersionSyncRecord>): Promise<VersionSyncRecord> {
    return updateRemote(this.db, this.state, 'version', v.name, String(v.version), (old) => ({ createAttempted: false, ...old, ...change }));
  }

  private updateRegistered(name: string, change: Partial<RegisteredSyncRecord>): Promise<RegisteredSyncRecord> {
    return updateRemote(this.db, this.state, 'registered', name, '', (old) => ({ ...old, ...change }));
  }

  /** Uploads one model; returns what it recorded of it (also stored). */
  private async syncModel(model: LoggedModelRecord, sync: ModelSyncRecord, run: { runId: string; artifactUri: string; experimentId: string }): Promise<ModelSyncRecord> {
    let remote = sync.remoteModelId === undefined ? undefined : { model_id: sync.remoteModelId, artifact_uri: sync.remoteArtifactUri! };
    if (remote === undefined) {
      if (!(await this.calls.request(() => this.rest.hasLoggedModels()))) {
        await this.uploadFiles(model, run.artifactUri, model.name, run.runId, undefined);
        // Registry versions of it point at the run's copy, as MLflow 2 registered models.
        return this.updateModel(model.modelId, { ready: true, remoteArtifactUri: `${run.artifactUri.replace(/\/+$/, '')}/${model.name}` });
      }
      remote = await this.createModel(model, sync, run);
    }
    if (!sync.outputSynced) {
      await this.linkOutput(run.runId, remote.model_id);
      await this.updateModel(model.modelId, { outputSynced: true });
    }
    await this.uploadFiles(model, remote.artifact_uri, '', run.runId, remote);
    await this.calls.request(() =>
      this.rest.call('PATCH', `logged-models/${remote.model_id}`, { model_id: remote.model_id, status: 'LOGGED_MODEL_READY' }, (json) => ('model' in json ? undefined : 'a JSON object with model')),
    );
    return this.updateModel(model.modelId, { ready: true, outputSynced: true, remoteModelId: remote.model_id, remoteArtifactUri: remote.artifact_uri });
  }

  /** logged-models create, once; an empty PENDING twin (a resent create) is deleted. */
  private async createModel(model: LoggedModelRecord, sync: ModelSyncRecord, run: { runId: string; experimentId: string }): Promise<LoggedModelJson['info']> {
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
            const body = { experiment_id: run.experimentId, name: model.name, source_run_id: run.runId, tags: [{ key: CLIENT_MODEL_TAG, value: model.modelId }] };
            return (await this.calls.tracked(() => this.rest.call<{ model: LoggedModelJson }>('POST', 'logged-models', body, (json) => ('model' in json ? undefined : 'a JSON object with model')))).model;
          },
        },
        this.calls.retry,
        this.calls.onRetry,
      )
    ).info;
    const twins = (await this.calls.request(find)).filter((m) => m.info.model_id !== chosen.model_id);
    await settleTwins(twins, (m) => !pending(m), (m) => this.calls.request(() => this.rest.call('DELETE', `logged-models/${m.info.model_id}`)).then(() => undefined));
    await this.updateModel(model.modelId, { createAttempted: true, remoteModelId: chosen.model_id, remoteArtifactUri: chosen.artifact_uri });
    return chosen;
  }

  /** runs/outputs is not idempotent (a repeat is refused): a refusal is fine when the link is already there. */
  private async linkOutput(runId: string, modelId: string): Promise<void> {
    try {
      await this.calls.request(() => this.rest.call('POST', 'runs/outputs', { run_id: runId, models: [{ model_id: modelId, step: 0 }] }));
    } catch (error) {
      if (!(error instanceof RestError && error.kind === 'refused')) throw error;
      const { run } = await this.calls.request(() =>
        this.rest.call<{ run: { outputs?: { model_outputs?: { model_id: string }[] } } }>('GET', 'runs/get', { run_id: runId }),
      );
      if (!(run.outputs?.model_outputs ?? []).some((o) => o.model_id === modelId)) throw error;
    }
  }

  /** Uploads the files the server lacks, MLmodel last and rewritten with the server's ids. */
  private async uploadFiles(model: LoggedModelRecord, root: string, prefix: string, remoteRunId: string, remote: { model_id: string; artifact_uri: string } | undefined): Promise<void> {
    const files = inWriteOrder(await unsyncedFiles(this.db, this.state, model.modelId), (file) => file.path);
    for (const file of files) {
      let blob = await this.artifacts.read(model.modelId, file.path);
      if (file.path === 'MLmodel') {
        // Loaded only when a model is uploaded: tracking alone never pays for the YAML code.
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
        blob = new Blob([stringifyMLmodel(mlmodel)]);
      }
      const path = prefix === '' ? file.path : `${prefix}/${file.path}`;
      await this.calls.request(() => this.rest.putArtifact(root, path, blob));
      await ackArtifact(this.db, this.state, model.modelId, file.path, file.sha256);
      this.calls.done({ bytes: file.size });
    }
  }

  private async syncRegistered(registered: RegisteredModelRecord, models: Map<string, LoggedModelRecord>, modelSync: Map<string, ModelSyncRecord>, runs: Map<string, RunSyncRecord>): Promise<void> {
    const name = registered.name;
    const versions = await modelVersionRecords(this.db, name);
    const versionSync = await remoteMap(this.db, this.state, 'version', name);
    const syncOf = (v: ModelVersionRecord): VersionSyncRecord => versionSync.get(`${name}\u0000${v.version}`) ?? { createAttempted: false };
    const modelReady = (v: ModelVersionRecord) => modelSync.get(v.modelId)?.ready === true && modelSync.get(v.modelId)?.remoteArtifactUri !== undefined;
    const ready = versions.filter((v) => syncOf(v).remoteVersion === undefined && !syncOf(v).abandoned && models.has(v.modelId) && modelReady(v));
    if (ready.length === 0 && versions.every((v) => syncOf(v).remoteVersion === undefined)) return;
    let state = (await getRemote(this.db, this.state, 'registered', name)) ?? {};
    if (!state.remoteCreated) {
      try {
        await this.calls.request(() => this.rest.call('POST', 'registered-models/create', { name }, (json) => ('registered_model' in json ? undefined : 'a JSON object with registered_model')));
      } catch (error) {
        if (!(error instanceof RestError && (error.errorCode === 'RESOURCE_ALREADY_EXISTS' || error.errorCode === 'ALREADY_EXISTS'))) throw error;
      }
      state = await this.updateRegistered(name, { remoteCreated: true });
    }
    for (const v of ready) {
      const model = modelSync.get(v.modelId)!;
      try {
        const remoteVersion = await this.createVersion(v, syncOf(v), model, runs.get(v.runId)?.remoteRunId);
        versionSync.set(`${name}\u0000${v.version}`, await this.updateVersion(v, { remoteVersion, createAttempted: true }));
        this.calls.done({ registry: 1 });
      } catch (error) {
        if (!(error instanceof RestError && error.kind === 'refused')) throw error;
        await addDeadLetter(this.db, this.state, { runId: v.runId, kind: 'model-version', key: `${name}/${v.version}`, message: error.message, at: Date.now() });
        await this.updateVersion(v, { abandoned: true });
      }
    }
    // Aliases: each pointed where the local registry points it, with the server's version number.
    const current = (await getRegisteredModelRecord(this.db, name)) ?? registered;
    const remoteOf = new Map(versions.map((v) => [v.version, syncOf(v).remoteVersion]));
    const synced = { ...(state.aliasesSynced ?? {}) };
    for (const [alias, local] of Object.entries(current.aliases)) {
      const remoteVersion = remoteOf.get(local);
      if (remoteVersion === undefined || synced[alias] === remoteVersion) continue;
      await this.calls.request(() => this.rest.call('POST', 'registered-models/alias', { name, alias, version: remoteVersion }));
      synced[alias] = remoteVersion;
      await this.updateRegistered(name, { aliasesSynced: { ...synced } });
    }
    for (const alias of Object.keys(synced)) {
      if (alias in current.aliases) continue;
      await this.calls.request(() => this.rest.call('DELETE', 'registered-models/alias', { name, alias }));
      delete synced[alias];
      await this.updateRegistered(name, { aliasesSynced: { ...synced } });
    }
  }

  /** model-versions/create, once: `source: models:/<id>` for a logged model, the run's copy on an MLflow 2 server. */
  private async createVersion(v: ModelVersionRecord, sync: VersionSyncRecord, model: ModelSyncRecord, remoteRunId: string | undefined): Promise<string> {
    const find = async () =>
      (
        (
          await this.calls.tracked(() =>
            this.rest.call<{ model_versions?: VersionJson[] }>('GET', 'model-versions/search', {
              filter: `name = ${quote(v.name)} AND tags.\`${CLIENT_VERSION_TAG}\` = ${quote(v.clientId)}`,
              max_results: '100',
            }),
          )
        ).model_versions ?? []
      ).sort((a, b) => Number(a.version) - Number(b.version));
    const chosen = (
      await createOnce<VersionJson>(
        {
          attempted: sync.createAttempted,
          markAttempted: () => this.updateVersion(v, { createAttempted: true }).then(() => undefined),
          find,
          prefer: (found) => found.find((t) => (t.aliases?.length ?? 0) > 0) ?? found[0]!,
          create: async () => {
            const body: Record<string, unknown> = {
              name: v.name,
              source: model.remoteModelId !== undefined ? `models:/${model.remoteModelId}` : model.remoteArtifactUri,
              tags: [{ key: CLIENT_VERSION_TAG, value: v.clientId }],
            };
            if (model.remoteModelId !== undefined) body.model_id = model.remoteModelId;
            if (remoteRunId !== undefined) body.run_id = remoteRunId;
            return (await this.calls.tracked(() => this.rest.call<{ model_version: VersionJson }>('POST', 'model-versions/create', body, (json) => ('model_version' in json ? undefined : 'a JSON object with model_version')))).model_version;
          },
        },
        this.calls.retry,
        this.calls.onRetry,
      )
    ).version;
    const twins = (await this.calls.request(find)).filter((t) => t.version !== chosen);
    await settleTwins(twins, (t) => (t.aliases?.length ?? 0) > 0, (t) => this.calls.request(() => this.rest.call('DELETE', 'model-versions/delete', { name: v.name, version: t.version })).then(() => undefined));
    return chosen;
  }
}
