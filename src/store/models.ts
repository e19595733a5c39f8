/**
 * Logged models and the local model registry: what `run.logModel`,
 * `tracker.registerModel` and `tracker.setModelAlias` record, and what sync
 * reads and acknowledges. Version numbers are this browser's; the server's
 * number for a version is recorded beside it once it is synced.
 */
import { doesNotExist } from '../schema/errors.js';
import type { ModelVersion, RegisteredModel } from '../schema/registry.js';
import { currentState, remoteMap } from './remote-state.js';
import { takeSeq } from './runs.js';
import {
  versionRange,
  type Db,
  type LoggedModelRecord,
  type ModelVersionRecord,
  type RegisteredModelRecord,
  type WriteTx,
} from './schema.js';

export async function addLoggedModel(db: Db, record: LoggedModelRecord): Promise<void> {
  await db.add('loggedModels', record);
}

/** The newest model named `name` logged by the run, if any. */
export async function loggedModelOfRun(db: Db, runId: string, name: string): Promise<LoggedModelRecord | undefined> {
  const all = await db.getAllFromIndex('loggedModels', 'byRunName', [runId, name]);
  return all.sort((a, b) => b.creationTime - a.creationTime)[0];
}

export async function loggedModelsOfRun(db: Db, runId: string): Promise<LoggedModelRecord[]> {
  return (await db.getAll('loggedModels')).filter((m) => m.runId === runId);
}

/** A logged model by its local id or by the id the current server gave it. */
export async function findLoggedModel(db: Db, modelId: string): Promise<LoggedModelRecord | undefined> {
  const local = await db.get('loggedModels', modelId);
  if (local !== undefined) return local;
  const state = await currentState(db);
  if (state === undefined) return undefined;
  for (const [id, sync] of await remoteMap(db, state, 'model'))
    if (sync.remoteModelId === modelId) return db.get('loggedModels', id);
  return undefined;
}

/** The ids and readiness the current server has for each logged model synced to it. */
export async function loggedModelSync(db: Db): Promise<Map<string, { remoteModelId?: string; ready?: boolean }>> {
  const state = await currentState(db);
  return state === undefined ? new Map() : remoteMap(db, state, 'model');
}

/** The current server's version number of each version of `name`, by local version. */
async function remoteVersions(db: Db, name: string): Promise<Map<number, string>> {
  const state = await currentState(db);
  const out = new Map<number, string>();
  if (state === undefined) return out;
  for (const [k, v] of await remoteMap(db, state, 'version', name))
    if (v.remoteVersion !== undefined) out.set(Number(k.split('\u0000')[1]), v.remoteVersion);
  return out;
}

export function listLoggedModels(db: Db): Promise<LoggedModelRecord[]> {
  return db.getAll('loggedModels');
}

export function listRegisteredModels(db: Db): Promise<RegisteredModelRecord[]> {
  return db.getAll('registeredModels');
}

export function getRegisteredModelRecord(db: Db, name: string): Promise<RegisteredModelRecord | undefined> {
  return db.get('registeredModels', name);
}

/** The version records of a registered model, oldest first. */
export function modelVersionRecords(db: Db, name: string): Promise<ModelVersionRecord[]> {
  return db.getAll('modelVersions', versionRange(name));
}

function toVersion(v: ModelVersionRecord, aliases: Record<string, number>, remote: Map<number, string>): ModelVersion {
  const out: ModelVersion = {
    name: v.name,
    version: String(v.version),
    source: v.source,
    runId: v.runId,
    modelId: v.modelId,
    status: 'READY',
    creationTimestamp: v.creationTime,
    aliases: Object.entries(aliases)
      .filter(([, n]) => n === v.version)
      .map(([a]) => a)
      .sort(),
  };
  const remoteVersion = remote.get(v.version);
  if (remoteVersion !== undefined) out.remoteVersion = remoteVersion;
  return out;
}

/** Creates the registered model on first use, then the next version of it. */
export async function createModelVersion(
  db: Db,
  name: string,
  model: LoggedModelRecord,
  now: number,
): Promise<ModelVersion> {
  const tx = db.transaction(['registeredModels', 'modelVersions', 'meta'], 'readwrite');
  const models = tx.objectStore('registeredModels');
  const registered: RegisteredModelRecord = (await models.get(name)) ?? {
    name,
    creationTime: now,
    lastUpdatedTime: now,
    aliases: {},
  };
  const last = await tx.objectStore('modelVersions').openCursor(versionRange(name), 'prev');
  const record: ModelVersionRecord = {
    name,
    version: (last?.value.version ?? 0) + 1,
    source: `models:/${model.modelId}`,
    modelId: model.modelId,
    runId: model.runId,
    creationTime: now,
    clientId: crypto.randomUUID().replaceAll('-', ''),
  };
  void tx.objectStore('modelVersions').add(record);
  void models.put({ ...registered, lastUpdatedTime: now });
  await takeSeq(tx as unknown as WriteTx, 1);
  await tx.done;
  return toVersion(record, registered.aliases, new Map());
}

/** Points `alias` at `version` (MLflow's upsert). */
export async function setAlias(db: Db, name: string, alias: string, version: number, now: number): Promise<void> {
  const tx = db.transaction(['registeredModels', 'modelVersions', 'meta'], 'readwrite');
  const registered = await tx.objectStore('registeredModels').get(name);
  if (registered === undefined) throw registeredModelMissing(name);
  if ((await tx.objectStore('modelVersions').get([name, version])) === undefined) {
    throw doesNotExist(
      `Model Version (name=${name}, version=${version}) not found. Register it first with tracker.registerModel().`,
      { field: 'version' },
    );
  }
  void tx
    .objectStore('registeredModels')
    .put({ ...registered, aliases: { ...registered.aliases, [alias]: version }, lastUpdatedTime: now });
  await takeSeq(tx as unknown as WriteTx, 1);
  await tx.done;
}

export async function deleteAlias(db: Db, name: string, alias: string, now: number): Promise<void> {
  const tx = db.transaction(['registeredModels', 'meta'], 'readwrite');
  const registered = await tx.objectStore('registeredModels').get(name);
  if (registered === undefined) throw registeredModelMissing(name);
  const { [alias]: _, ...aliases } = registered.aliases;
  void tx.objectStore('registeredModels').put({ ...registered, aliases, lastUpdatedTime: now });
  await takeSeq(tx as unknown as WriteTx, 1);
  await tx.done;
}

/** The version a `models:/name/<version>`, `@alias` or `/latest` URI names here, or undefined when this registry does not have the name. */
export async function resolveVersion(
  db: Db,
  name: string,
  which: { version: number } | { alias: string } | 'latest',
): Promise<ModelVersionRecord | undefined> {
  const registered = await db.get('registeredModels', name);
  if (registered === undefined) return undefined;
  let version: number | undefined;
  if (which === 'latest') {
    const last = await db.transaction('modelVersions').store.openCursor(versionRange(name), 'prev');
    version = last?.value.version;
    if (version === undefined) throw doesNotExist(`Latest version not found for model ${name}.`, { field: 'uri' });
  } else if ('alias' in which) {
    version = registered.aliases[which.alias];
    // Not set here: the server may have it (aliases are names, so nothing can be confused).
    if (version === undefined) return undefined;
  } else {
    version = which.version;
  }
  const record = await db.get('modelVersions', [name, version]);
  if (record === undefined)
    throw doesNotExist(`Model Version (name=${name}, version=${version}) not found.`, { field: 'uri' });
  return record;
}

export async function getRegisteredModel(db: Db, name: string): Promise<RegisteredModel> {
  const registered = await db.get('registeredModels', name);
  if (registered === undefined) throw registeredModelMissing(name);
  const versions = await db.getAll('modelVersions', versionRange(name));
  const last = versions.at(-1);
  return {
    name,
    creationTimestamp: registered.creationTime,
    lastUpdatedTimestamp: registered.lastUpdatedTime,
    aliases: Object.entries(registered.aliases)
      .map(([alias, v]) => ({ alias, version: String(v) }))
      .sort((a, b) => (a.alias < b.alias ? -1 : 1)),
    latestVersions: last === undefined ? [] : [toVersion(last, registered.aliases, await remoteVersions(db, name))],
  };
}

export async function listModelVersions(db: Db, name: string): Promise<ModelVersion[]> {
  const registered = await db.get('registeredModels', name);
  if (registered === undefined) throw registeredModelMissing(name);
  const versions = await db.getAll('modelVersions', versionRange(name));
  const remote = await remoteVersions(db, name);
  return versions.map((v) => toVersion(v, registered.aliases, remote));
}

function registeredModelMissing(name: string) {
  return doesNotExist(
    `Registered Model with name=${name} not found. Register a model under that name with tracker.registerModel(uri, name).`,
    { field: 'name' },
  );
}
