/**
 * The model registry on sync, after the logged models (models.ts): the
 * registered model, each version (`source: models:/<server model id>`, or
 * the run's copy on an MLflow 2 server) and the aliases, on the server's
 * version numbers. A version is created once (remote/create-once.ts:
 * marked attempted, searched by its client id tag after a lost answer); a
 * twin is deleted only when no alias names it.
 *
 * Verify before done: a version counts as synced only once
 * `model-versions/get` shows the server's number carrying its client id
 * tag, and a registered model once `registered-models/get` shows it with
 * the aliases as they were set; each again whenever the state's epoch
 * moves. What the server acknowledged is checked before anything is sent
 * (what it lost is made again in the same pass), then what was sent is.
 */
import { createOnce, deleteOnce, settleTwins } from '../remote/create-once.js';
import { RestError, type MlflowRest } from '../remote/rest.js';
import {
  ackRegistryVerified,
  forgetRegistered,
  recordLastModels,
  reopenAliases,
  reopenVersion,
} from '../store/model-sync-state.js';
import { getRegisteredModelRecord, modelVersionRecords } from '../store/models.js';
import { getRemote, remoteMap, updateRemote } from '../store/remote-state.js';
import type {
  Db,
  LoggedModelRecord,
  ModelSyncRecord,
  ModelVersionRecord,
  RegisteredModelRecord,
  RegisteredSyncRecord,
  RunSyncRecord,
  VersionSyncRecord,
} from '../store/schema.js';
import { addDeadLetter } from '../store/sync-state.js';
import type { Requests } from './requests.js';
import { isGone, registeredAliases, versionHolds } from './verify-models.js';

export const CLIENT_VERSION_TAG = 'mlflow-edge.clientVersionId';

type VersionJson = { version: string; aliases?: string[] };

const quote = (s: string) => `'${s.replaceAll("'", "\\'")}'`;

/** The pass's checks, shared with the logged models: the epoch they are made at, and what to do when the server lost something. */
export interface Checks {
  epoch(): number;
  lost(message: string): Promise<void>;
}

export class RegistrySync {
  constructor(
    private readonly db: Db,
    private readonly state: string,
    private readonly rest: MlflowRest,
    private readonly calls: Requests,
    private readonly checks: Checks,
  ) {}

  /** One registered model: what the server acknowledged and no check at this epoch saw is checked first; then what it lacks is made, and checked. */
  async sync(
    registered: RegisteredModelRecord,
    models: Map<string, LoggedModelRecord>,
    modelSync: Map<string, ModelSyncRecord>,
    runs: Map<string, RunSyncRecord>,
  ): Promise<void> {
    if (await this.unchecked(registered.name)) await this.checkRegistry(registered.name);
    if (await this.uploadRegistry(registered, models, modelSync, runs)) await this.checkRegistry(registered.name);
  }

  private async unchecked(name: string): Promise<boolean> {
    const [state, versions] = await Promise.all([
      getRemote(this.db, this.state, 'registered', name),
      remoteMap(this.db, this.state, 'version', name),
    ]);
    if (state?.remoteCreated && state.verifiedEpoch !== this.checks.epoch()) return true;
    return [...versions.values()].some(
      (v) => v.remoteVersion !== undefined && !v.abandoned && v.verifiedEpoch !== this.checks.epoch(),
    );
  }

  /**
   * Reads the registered model (with its aliases) and each version acknowledged but not checked at this epoch
   * back from the server. What it lacks is forgotten here, so uploadRegistry makes it again.
   */
  private async checkRegistry(name: string): Promise<void> {
    const [versions, versionSync, state] = await Promise.all([
      modelVersionRecords(this.db, name),
      remoteMap(this.db, this.state, 'version', name),
      getRemote(this.db, this.state, 'registered', name).then((r) => r ?? {}),
    ]);
    const syncOf = (v: ModelVersionRecord) => versionSync.get(`${name}\u0000${v.version}`);
    const acknowledged = versions.filter((v) => syncOf(v)?.remoteVersion !== undefined && !syncOf(v)?.abandoned);
    const aliases = await registeredAliases(this.rest, this.calls.request, name);
    if (aliases === undefined) {
      if (!state.remoteCreated && acknowledged.length === 0) return;
      await forgetRegistered(this.db, this.state, name);
      await this.checks.lost(
        `The MLflow server at ${this.rest.trackingUri} no longer has registered model ${name} it acknowledged: it, its versions and aliases are made again, and everything is compared with the server again.`,
      );
      return;
    }
    const checked: number[] = [];
    let missing = false;
    for (const v of acknowledged) {
      const remoteVersion = syncOf(v)!.remoteVersion!;
      if (syncOf(v)!.verifiedEpoch === this.checks.epoch()) continue;
      if (
        await versionHolds(this.rest, this.calls.request, name, remoteVersion, {
          key: CLIENT_VERSION_TAG,
          value: v.clientId,
        })
      ) {
        checked.push(v.version);
        continue;
      }
      missing = true;
      await reopenVersion(this.db, this.state, name, v.version);
      await this.checks.lost(
        `The MLflow server at ${this.rest.trackingUri} no longer has version ${remoteVersion} of registered model ${name} it acknowledged (version ${v.version} here): it is created again, with its aliases, and everything is compared with the server again.`,
      );
    }
    const wrong = missing
      ? []
      : Object.entries(state.aliasesSynced ?? {})
          .filter(([alias, version]) => aliases.get(alias) !== version)
          .map(([alias]) => alias);
    if (wrong.length > 0) {
      await reopenAliases(this.db, this.state, name, wrong);
      this.calls.notice(
        `The server's registered model ${name} lacks aliases ${wrong.join(', ')} as they were set: they are set again.`,
      );
    }
    const whole = !missing && wrong.length === 0;
    await ackRegistryVerified(this.db, this.state, name, whole, checked, this.checks.epoch());
    this.calls.done({ registry: checked.length + (whole && state.remoteCreated ? 1 : 0) });
  }

  /** Creates the registered model, its versions and aliases the server lacks; true when it sent any of them. */
  private async uploadRegistry(
    registered: RegisteredModelRecord,
    models: Map<string, LoggedModelRecord>,
    modelSync: Map<string, ModelSyncRecord>,
    runs: Map<string, RunSyncRecord>,
  ): Promise<boolean> {
    const name = registered.name;
    const versions = await modelVersionRecords(this.db, name);
    const versionSync = await remoteMap(this.db, this.state, 'version', name);
    const syncOf = (v: ModelVersionRecord): VersionSyncRecord =>
      versionSync.get(`${name}\u0000${v.version}`) ?? { createAttempted: false };
    const modelReady = (v: ModelVersionRecord) =>
      modelSync.get(v.modelId)?.ready === true && modelSync.get(v.modelId)?.remoteArtifactUri !== undefined;
    const ready = versions.filter(
      (v) => syncOf(v).remoteVersion === undefined && !syncOf(v).abandoned && models.has(v.modelId) && modelReady(v),
    );
    if (ready.length === 0 && versions.every((v) => syncOf(v).remoteVersion === undefined)) return false;
    let sent = false;
    let state = (await getRemote(this.db, this.state, 'registered', name)) ?? {};
    if (!state.remoteCreated) {
      try {
        await this.calls.request(() =>
          this.rest.call('POST', 'registered-models/create', { name }, (json) =>
            'registered_model' in json ? undefined : 'a JSON object with registered_model',
          ),
        );
      } catch (error) {
        if (
          !(
            error instanceof RestError &&
            (error.errorCode === 'RESOURCE_ALREADY_EXISTS' || error.errorCode === 'ALREADY_EXISTS')
          )
        )
          throw error;
      }
      state = await this.updateRegistered(name, { remoteCreated: true });
      sent = true;
    }
    for (const v of ready) {
      const model = modelSync.get(v.modelId)!;
      sent = true;
      try {
        const remoteVersion = await this.createVersion(v, syncOf(v), model, runs.get(v.runId)?.remoteRunId);
        versionSync.set(
          `${name}\u0000${v.version}`,
          await this.updateVersion(v, { remoteVersion, createAttempted: true }),
        );
        await recordLastModels(this.db, this.state, {
          version: { name, version: remoteVersion, clientId: v.clientId },
        });
      } catch (error) {
        if (!(error instanceof RestError && error.kind === 'refused')) throw error;
        await addDeadLetter(this.db, this.state, {
          runId: v.runId,
          kind: 'model-version',
          key: `${name}/${v.version}`,
          message: error.message,
          at: Date.now(),
        });
        versionSync.set(`${name}\u0000${v.version}`, await this.updateVersion(v, { abandoned: true }));
        this.calls.done({ registry: 1 });
      }
    }
    // Aliases: each pointed where the local registry points it, with the server's version number.
    const current = (await getRegisteredModelRecord(this.db, name)) ?? registered;
    const remoteOf = new Map(versions.map((v) => [v.version, syncOf(v).remoteVersion]));
    const synced = { ...(state.aliasesSynced ?? {}) };
    for (const [alias, local] of Object.entries(current.aliases)) {
      const remoteVersion = remoteOf.get(local);
      if (remoteVersion === undefined || synced[alias] === remoteVersion) continue;
      sent = true;
      try {
        await this.calls.request(() =>
          this.rest.call('POST', 'registered-models/alias', { name, alias, version: remoteVersion }),
        );
      } catch (error) {
        if (!isGone(error)) throw error;
        // The server has no such version: it lost the version (or never had it: a made-up answer). Made again, then the alias.
        await reopenVersion(this.db, this.state, name, local);
        await this.checks.lost(
          `The MLflow server at ${this.rest.trackingUri} has no version ${remoteVersion} of registered model ${name} for alias ${alias} (${(error as Error).message}): the version is created again.`,
        );
        return sent;
      }
      synced[alias] = remoteVersion;
      await this.updateRegistered(name, { aliasesSynced: { ...synced } });
      this.calls.done({ registry: 1 });
    }
    for (const alias of Object.keys(synced)) {
      if (alias in current.aliases) continue;
      sent = true;
      await this.calls.request(() => this.rest.call('DELETE', 'registered-models/alias', { name, alias }));
      delete synced[alias];
      await this.updateRegistered(name, { aliasesSynced: { ...synced } });
      this.calls.done({ registry: 1 });
    }
    return sent;
  }

  /** model-versions/create, once: `source: models:/<id>` for a logged model, the run's copy on an MLflow 2 server. */
  private async createVersion(
    v: ModelVersionRecord,
    sync: VersionSyncRecord,
    model: ModelSyncRecord,
    remoteRunId: string | undefined,
  ): Promise<string> {
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
            return (
              await this.calls.tracked(() =>
                this.rest.call<{ model_version: VersionJson }>('POST', 'model-versions/create', body, (json) =>
                  'model_version' in json ? undefined : 'a JSON object with model_version',
                ),
              )
            ).model_version;
          },
        },
        this.calls.retry,
        this.calls.onRetry,
      )
    ).version;
    const twins = (await this.calls.request(find)).filter((t) => t.version !== chosen);
    await settleTwins(
      twins,
      (t) => (t.aliases?.length ?? 0) > 0,
      (t) =>
        deleteOnce(() =>
          this.calls.request(() =>
            this.rest.call('DELETE', 'model-versions/delete', { name: v.name, version: t.version }),
          ),
        ),
    );
    return chosen;
  }

  private updateVersion(
    v: Pick<ModelVersionRecord, 'name' | 'version'>,
    change: Partial<VersionSyncRecord>,
  ): Promise<VersionSyncRecord> {
    // A change to what the server was sent is checked again.
    return updateRemote(this.db, this.state, 'version', v.name, String(v.version), (old) => ({
      createAttempted: false,
      ...withoutCheck(old),
      ...change,
    }));
  }

  private updateRegistered(name: string, change: Partial<RegisteredSyncRecord>): Promise<RegisteredSyncRecord> {
    return updateRemote(this.db, this.state, 'registered', name, '', (old) => ({ ...withoutCheck(old), ...change }));
  }
}

function withoutCheck<T extends { verifiedEpoch?: number }>(
  record: T | undefined,
): Omit<T, 'verifiedEpoch'> | undefined {
  if (record === undefined) return undefined;
  const { verifiedEpoch: _, ...rest } = record;
  return rest;
}
