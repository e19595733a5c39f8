/**
 * Models and the registry on sync, after the runs they belong to:
 * - a logged model is created the way MLflow 3 logs one: logged-models
 *   create → runs/outputs → files to the model's artifact root (MLmodel
 *   last, rewritten with the server's run and model ids) → PATCH READY. On a
 *   server without logged models (MLflow 2) its files go under the run's
 *   artifacts, `<name>/`, as MLflow 2 stored models;
 * - then registered models, versions (`source: models:/<server model id>`)
 *   and aliases, with the server's version numbers.
 * Creates are not idempotent on the server, so, as for runs, each is marked
 * attempted before it goes out and every later attempt first searches by a
 * client-id tag; a create that reached the server twice leaves a twin,
 * which is deleted.
 */
import { ackArtifact, addDeadLetter, remoteIds, unsyncedFiles } from '../store/sync-state.js';
import {
  getRegisteredModelRecord,
  listLoggedModels,
  listRegisteredModels,
  modelVersionRecords,
  updateLoggedModel,
  updateModelVersion,
  updateRegisteredModel,
} from '../store/models.js';
import type { ArtifactStore } from '../store/artifacts.js';
import type { Db, LoggedModelRecord, ModelVersionRecord, RegisteredModelRecord, RunSyncRecord } from '../store/schema.js';
import { RestError, type MlflowRest } from './rest.js';

export const CLIENT_MODEL_TAG = 'mlflow-edge.clientModelId';
export const CLIENT_VERSION_TAG = 'mlflow-edge.clientVersionId';

/** How the engine sends a request: with retries, counted in flight. */
export interface Requests {
  request<T>(fn: () => Promise<T>): Promise<T>;
  withRetries<T>(attempt: () => Promise<T>): Promise<T>;
  tracked<T>(fn: () => Promise<T>): Promise<T>;
}

type LoggedModelJson = { info: { model_id: string; artifact_uri: string; creation_timestamp_ms: number } };
type VersionJson = { version: string };

const quote = (s: string) => `'${s.replaceAll("'", "\\'")}'`;

export class ModelSync {
  constructor(
    private readonly db: Db,
    private readonly rest: MlflowRest,
    private readonly artifacts: ArtifactStore,
    private readonly calls: Requests,
  ) {}

  async pass(): Promise<void> {
    const [models, { runs, experiments }] = await Promise.all([listLoggedModels(this.db), remoteIds(this.db)]);
    for (const model of models) {
      if (model.ready || model.abandoned) continue;
      const run = runs.get(model.runId);
      const experimentId = experiments.get(model.experimentId);
      // The run is not on the server yet (or was refused): its models wait.
      if (run?.remoteRunId === undefined || run.artifactUri === undefined || experimentId === undefined) continue;
      try {
        Object.assign(model, await this.syncModel(model, { runId: run.remoteRunId, artifactUri: run.artifactUri, experimentId }));
      } catch (error) {
        if (!(error instanceof RestError && error.kind === 'permanent')) throw error;
        await addDeadLetter(this.db, { runId: model.runId, kind: 'model', key: model.name, message: error.message, at: Date.now() });
        await updateLoggedModel(this.db, model.modelId, { abandoned: true });
      }
    }
    // The registry, with the models as this pass left them.
    const byId = new Map(models.map((m) => [m.modelId, m]));
    for (const registered of await listRegisteredModels(this.db)) await this.syncRegistered(registered, byId, runs);
  }

  /** Uploads one model; returns what it recorded of it (also stored). */
  private async syncModel(model: LoggedModelRecord, run: { runId: string; artifactUri: string; experimentId: string }): Promise<Partial<LoggedModelRecord>> {
    let remote = model.remoteModelId === undefined ? undefined : { model_id: model.remoteModelId, artifact_uri: model.remoteArtifactUri! };
    if (remote === undefined) {
      const created = await this.createModel(model, run);
      if (created === 'no-logged-models') {
        await this.uploadFiles(model, run.artifactUri, model.name, run.runId, undefined);
        // Registry versions of it point at the run's copy, as MLflow 2 registered models.
        const done = { ready: true, remoteArtifactUri: `${run.artifactUri.replace(/\/+$/, '')}/${model.name}` };
        await updateLoggedModel(this.db, model.modelId, done);
        return done;
      }
      remote = created;
    }
    if (!model.outputSynced) {
      await this.linkOutput(run.runId, remote.model_id);
      await updateLoggedModel(this.db, model.modelId, { outputSynced: true });
    }
    await this.uploadFiles(model, remote.artifact_uri, '', run.runId, remote);
    await this.calls.request(() =>
      this.rest.call('PATCH', `logged-models/${remote.model_id}`, { model_id: remote.model_id, status: 'LOGGED_MODEL_READY' }),
    );
    const done = { ready: true, outputSynced: true, remoteModelId: remote.model_id, remoteArtifactUri: remote.artifact_uri };
    await updateLoggedModel(this.db, model.modelId, { ready: true });
    return done;
  }

  /** logged-models create, once; 'no-logged-models' on a server that has no such endpoint (MLflow 2). */
  private async createModel(model: LoggedModelRecord, run: { runId: string; experimentId: string }): Promise<LoggedModelJson['info'] | 'no-logged-models'> {
    let attempted = model.createAttempted;
    const find = () =>
      this.calls.tracked(() =>
        this.rest.call<{ models?: LoggedModelJson[] }>('POST', 'logged-models/search', {
          experiment_ids: [run.experimentId],
          filter: `tags.\`${CLIENT_MODEL_TAG}\` = ${quote(model.modelId)}`,
          max_results: 100,
        }),
      );
    let chosen: LoggedModelJson['info'];
    try {
      chosen = await this.calls.withRetries(async () => {
        if (attempted) {
          const [existing] = ((await find()).models ?? []).sort((a, b) => a.info.creation_timestamp_ms - b.info.creation_timestamp_ms);
          if (existing !== undefined) return existing.info;
        } else {
          await updateLoggedModel(this.db, model.modelId, { createAttempted: true });
          attempted = true;
        }
        const body = {
          experiment_id: run.experimentId,
          name: model.name,
          source_run_id: run.runId,
          tags: [{ key: CLIENT_MODEL_TAG, value: model.modelId }],
        };
        return (await this.calls.tracked(() => this.rest.call<{ model: LoggedModelJson }>('POST', 'logged-models', body))).model.info;
      });
    } catch (error) {
      if (error instanceof RestError && error.status === 404 && error.errorCode === undefined) return 'no-logged-models';
      throw error;
    }
    const twins = ((await this.calls.withRetries(find)).models ?? []).filter((m) => m.info.model_id !== chosen.model_id);
    for (const twin of twins) await this.calls.request(() => this.rest.call('DELETE', `logged-models/${twin.info.model_id}`));
    await updateLoggedModel(this.db, model.modelId, { createAttempted: true, remoteModelId: chosen.model_id, remoteArtifactUri: chosen.artifact_uri });
    return chosen;
  }

  /** runs/outputs is not idempotent (a repeat is refused): a refusal is fine when the link is already there. */
  private async linkOutput(runId: string, modelId: string): Promise<void> {
    try {
      await this.calls.request(() => this.rest.call('POST', 'runs/outputs', { run_id: runId, models: [{ model_id: modelId, step: 0 }] }));
    } catch (error) {
      if (!(error instanceof RestError && error.kind === 'permanent')) throw error;
      const { run } = await this.calls.request(() =>
        this.rest.call<{ run: { outputs?: { model_outputs?: { model_id: string }[] } } }>('GET', 'runs/get', { run_id: runId }),
      );
      if (!(run.outputs?.model_outputs ?? []).some((o) => o.model_id === modelId)) throw error;
    }
  }

  /** Uploads the files the server lacks, MLmodel last and rewritten with the server's ids. */
  private async uploadFiles(model: LoggedModelRecord, root: string, prefix: string, remoteRunId: string, remote: { model_id: string; artifact_uri: string } | undefined): Promise<void> {
    const files = (await unsyncedFiles(this.db, model.modelId)).sort((a, b) => Number(a.path === 'MLmodel') - Number(b.path === 'MLmodel'));
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
      await ackArtifact(this.db, model.modelId, file.path, file.sha256);
    }
  }

  private async syncRegistered(registered: RegisteredModelRecord, models: Map<string, LoggedModelRecord>, runs: Map<string, RunSyncRecord>): Promise<void> {
    const name = registered.name;
    const versions = await modelVersionRecords(this.db, name);
    const ready = versions.filter((v) => v.remoteVersion === undefined && !v.abandoned && models.get(v.modelId)?.ready === true && models.get(v.modelId)?.remoteArtifactUri !== undefined);
    if (ready.length === 0 && versions.every((v) => v.remoteVersion === undefined)) return;
    if (!registered.remoteCreated) {
      try {
        await this.calls.request(() => this.rest.call('POST', 'registered-models/create', { name }));
      } catch (error) {
        if (!(error instanceof RestError && (error.errorCode === 'RESOURCE_ALREADY_EXISTS' || error.errorCode === 'ALREADY_EXISTS'))) throw error;
      }
      await updateRegisteredModel(this.db, name, { remoteCreated: true });
    }
    for (const v of ready) {
      const model = models.get(v.modelId)!;
      try {
        const remoteVersion = await this.createVersion(v, model, runs.get(v.runId)?.remoteRunId);
        await updateModelVersion(this.db, v, { remoteVersion, createAttempted: true });
        v.remoteVersion = remoteVersion;
      } catch (error) {
        if (!(error instanceof RestError && error.kind === 'permanent')) throw error;
        await addDeadLetter(this.db, { runId: v.runId, kind: 'model-version', key: `${name}/${v.version}`, message: error.message, at: Date.now() });
        await updateModelVersion(this.db, v, { abandoned: true });
      }
    }
    // Aliases: each pointed where the local registry points it, with the server's version number.
    const current = (await getRegisteredModelRecord(this.db, name)) ?? registered;
    const remoteOf = new Map(versions.map((v) => [v.version, v.remoteVersion]));
    const synced = { ...(current.aliasesSynced ?? {}) };
    for (const [alias, local] of Object.entries(current.aliases)) {
      const remoteVersion = remoteOf.get(local);
      if (remoteVersion === undefined || synced[alias] === remoteVersion) continue;
      await this.calls.request(() => this.rest.call('POST', 'registered-models/alias', { name, alias, version: remoteVersion }));
      synced[alias] = remoteVersion;
      await updateRegisteredModel(this.db, name, { aliasesSynced: { ...synced } });
    }
    for (const alias of Object.keys(synced)) {
      if (alias in current.aliases) continue;
      await this.calls.request(() => this.rest.call('DELETE', 'registered-models/alias', { name, alias }));
      delete synced[alias];
      await updateRegisteredModel(this.db, name, { aliasesSynced: { ...synced } });
    }
  }

  /** model-versions/create, once: `source: models:/<id>` for a logged model, the run's copy on an MLflow 2 server. */
  private async createVersion(v: ModelVersionRecord, model: LoggedModelRecord, remoteRunId: string | undefined): Promise<string> {
    let attempted = v.createAttempted;
    const find = async () =>
      (
        await this.calls.tracked(() =>
          this.rest.call<{ model_versions?: VersionJson[] }>('GET', 'model-versions/search', {
            filter: `name = ${quote(v.name)} AND tags.\`${CLIENT_VERSION_TAG}\` = ${quote(v.clientId)}`,
            max_results: '100',
          }),
        )
      ).model_versions ?? [];
    const chosen = await this.calls.withRetries(async () => {
      if (attempted) {
        const existing = (await find()).sort((a, b) => Number(a.version) - Number(b.version))[0];
        if (existing !== undefined) return existing.version;
      } else {
        await updateModelVersion(this.db, v, { createAttempted: true });
        attempted = true;
      }
      const body: Record<string, unknown> = {
        name: v.name,
        source: model.remoteModelId !== undefined ? `models:/${model.remoteModelId}` : model.remoteArtifactUri,
        tags: [{ key: CLIENT_VERSION_TAG, value: v.clientId }],
      };
      if (model.remoteModelId !== undefined) body.model_id = model.remoteModelId;
      if (remoteRunId !== undefined) body.run_id = remoteRunId;
      return (await this.calls.tracked(() => this.rest.call<{ model_version: VersionJson }>('POST', 'model-versions/create', body))).model_version.version;
    });
    for (const twin of (await this.calls.withRetries(find)).filter((t) => t.version !== chosen)) {
      await this.calls.request(() => this.rest.call('DELETE', 'model-versions/delete', { name: v.name, version: twin.version }));
    }
    return chosen;
  }
}
