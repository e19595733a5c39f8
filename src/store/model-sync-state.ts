/**
 * What sync reads and acknowledges of logged models and the registry, for
 * one server's state (see remote-state.ts); sync-state.ts does the same for
 * runs. Invariants, as for runs:
 * - an entity the server acknowledged counts as pending until its copy
 *   there was checked at the state's current epoch (`verifiedEpoch`); a
 *   checked one is not looked at again until the epoch moves (the server
 *   lost something), so it costs no request;
 * - what a check finds missing is forgotten here in one transaction, so it
 *   is uploaded, or created again, on the next attempt. `createAttempted`
 *   stays set: a create made again searches by its client id first
 *   (remote/create-once.ts), so an entity the server still has under
 *   another id is adopted, not made twice.
 */
import { key, kindRange, readServers, remoteMap } from './remote-state.js';
import {
  runRange,
  type ArtifactRecord,
  type Db,
  type LastModels,
  type ModelSyncRecord,
  type RegisteredSyncRecord,
  type VersionSyncRecord,
} from './schema.js';

/** The epoch a check must have been made at for its entity to count as verified. */
export async function epochOf(db: Db, state: string): Promise<number> {
  return (await readServers(db)).epochs[state] ?? 0;
}

/**
 * Logged models, registry versions and aliases the server does not have
 * yet or whose copy there is not checked at this epoch (a registered model
 * awaiting its check counts as one registry entry), and the bytes of the
 * models' files still to upload.
 */
export async function pendingModels(
  db: Db,
  state: string,
): Promise<{ models: number; registry: number; bytes: number }> {
  const tx = db.transaction(
    ['meta', 'loggedModels', 'modelVersions', 'registeredModels', 'artifacts', 'remote'],
    'readonly',
  );
  const [servers, models, versions, registered, modelSync, versionSync, registeredSync, fileSync] = await Promise.all([
    readServers(tx as never),
    tx.objectStore('loggedModels').getAll(),
    tx.objectStore('modelVersions').getAll(),
    tx.objectStore('registeredModels').getAll(),
    remoteMap(tx, state, 'model'),
    remoteMap(tx, state, 'version'),
    remoteMap(tx, state, 'registered'),
    remoteMap(tx, state, 'file'),
  ]);
  const epoch = servers.epochs[state] ?? 0;
  const live = models.filter((m) => !modelSync.get(m.modelId)?.abandoned);
  const waiting = live.filter((m) => !modelSync.get(m.modelId)?.ready);
  const unchecked = live.filter((m) => {
    const sync = modelSync.get(m.modelId);
    // Linked metric points not sent yet (sync/model-metrics.ts) are work too.
    const metrics = sync?.remoteModelId !== undefined && (sync.metricsSynced ?? 0) < (m.metrics?.length ?? 0);
    return sync?.ready && (sync.verifiedEpoch !== epoch || metrics);
  });
  let bytes = 0;
  for (const m of waiting) {
    for (const a of await tx.objectStore('artifacts').getAll(runRange(m.modelId)))
      if (fileSync.get(`${m.modelId}\u0000${a.path}`)?.syncedSha256 !== a.sha256) bytes += a.size;
  }
  const syncOf = (name: string, version: number) => versionSync.get(`${name}\u0000${version}`);
  let registry = versions.filter((v) => {
    const s = syncOf(v.name, v.version);
    return !s?.abandoned && (s?.remoteVersion === undefined || s.verifiedEpoch !== epoch);
  }).length;
  for (const r of registered) {
    const rs = registeredSync.get(r.name);
    const synced = rs?.aliasesSynced ?? {};
    registry += Object.keys(r.aliases).filter(
      (a) => synced[a] === undefined || syncOf(r.name, r.aliases[a]!)?.remoteVersion !== synced[a],
    ).length;
    registry += Object.keys(synced).filter((a) => !(a in r.aliases)).length;
    if (rs?.remoteCreated && rs.verifiedEpoch !== epoch) registry++;
  }
  await tx.done;
  return { models: waiting.length + unchecked.length, registry, bytes };
}

/** The last logged model and registry version created on the server of `state` (probed at the start of each pass). */
export async function lastModels(db: Db, state: string): Promise<LastModels> {
  return (await readServers(db)).lastModel?.[state] ?? {};
}

/** Sets (or, given undefined, forgets) the last logged model or version created on the server of `state`. */
export async function recordLastModels(
  db: Db,
  state: string,
  change: { [K in keyof LastModels]: LastModels[K] | undefined },
): Promise<void> {
  const tx = db.transaction(['meta'], 'readwrite');
  const servers = await readServers(tx as never);
  const next: LastModels = { ...servers.lastModel?.[state] };
  for (const k of Object.keys(change) as (keyof LastModels)[]) {
    if (change[k] === undefined) delete next[k];
    else Object.assign(next, { [k]: change[k] });
  }
  servers.lastModel = { ...servers.lastModel, [state]: next };
  void tx.objectStore('meta').put(servers, 'servers');
  await tx.done;
}

/** A logged model's files, as stored here. */
export function modelFiles(db: Db, modelId: string): Promise<ArtifactRecord[]> {
  return db.getAll('artifacts', runRange(modelId));
}

/** The server's copy of the model was found complete at `epoch`. */
export async function ackModelVerified(db: Db, state: string, modelId: string, epoch: number): Promise<void> {
  await put<ModelSyncRecord>(db, key(state, 'model', modelId), (old) => ({
    createAttempted: false,
    ...old,
    verifiedEpoch: epoch,
  }));
}

/**
 * The server's copy of a logged model lacks what was acknowledged: `whole`
 * when the model itself is gone (it is created again: files, run link and
 * READY with it), else the listed files are uploaded again and it is
 * finalized again.
 */
export async function reopenModel(
  db: Db,
  state: string,
  modelId: string,
  missing: { whole: boolean; files?: readonly string[] },
): Promise<ModelSyncRecord> {
  const tx = db.transaction(['remote'], 'readwrite');
  const store = tx.objectStore('remote');
  const k = key(state, 'model', modelId);
  const old = ((await store.get(k)) as ModelSyncRecord | undefined) ?? { createAttempted: false };
  let next: ModelSyncRecord;
  if (missing.whole) {
    next = { createAttempted: old.createAttempted };
    void store.delete(kindRange(state, 'file', modelId));
  } else {
    const { ready: _, verifiedEpoch: __, ...rest } = old;
    next = rest;
    for (const path of missing.files ?? []) void store.delete(key(state, 'file', modelId, path));
  }
  void store.put(next, k);
  await tx.done;
  return next;
}

/** The registered model was checked at `epoch` (with the aliases it acknowledged), and so were these of its versions. */
export async function ackRegistryVerified(
  db: Db,
  state: string,
  name: string,
  registered: boolean,
  versions: readonly number[],
  epoch: number,
): Promise<void> {
  const tx = db.transaction(['remote'], 'readwrite');
  const store = tx.objectStore('remote');
  if (registered) {
    const k = key(state, 'registered', name);
    void store.put(
      {
        ...((await store.get(k)) as RegisteredSyncRecord | undefined),
        verifiedEpoch: epoch,
      } satisfies RegisteredSyncRecord,
      k,
    );
  }
  for (const version of versions) {
    const k = key(state, 'version', name, String(version));
    const old = (await store.get(k)) as VersionSyncRecord | undefined;
    if (old?.remoteVersion !== undefined)
      void store.put({ ...old, verifiedEpoch: epoch } satisfies VersionSyncRecord, k);
  }
  await tx.done;
}

/** The server no longer has the registered model: it, its versions and its aliases are made again. */
export async function forgetRegistered(db: Db, state: string, name: string): Promise<void> {
  const tx = db.transaction(['remote'], 'readwrite');
  const store = tx.objectStore('remote');
  void store.put({} satisfies RegisteredSyncRecord, key(state, 'registered', name));
  const range = kindRange(state, 'version', name);
  const [keys, values] = await Promise.all([store.getAllKeys(range), store.getAll(range)]);
  keys.forEach((k, i) => void store.put(forgottenVersion(values[i] as VersionSyncRecord), k));
  await tx.done;
}

/** The server no longer has this version (or that number names another): it is created again, and aliases naming it are set again. */
export async function reopenVersion(db: Db, state: string, name: string, version: number): Promise<void> {
  const tx = db.transaction(['remote'], 'readwrite');
  const store = tx.objectStore('remote');
  const k = key(state, 'version', name, String(version));
  const old = (await store.get(k)) as VersionSyncRecord | undefined;
  const rk = key(state, 'registered', name);
  const registered = ((await store.get(rk)) as RegisteredSyncRecord | undefined) ?? {};
  if (old !== undefined) {
    // Aliases acknowledged on that server number are gone with it.
    const aliases = Object.fromEntries(
      Object.entries(registered.aliasesSynced ?? {}).filter(([, v]) => v !== old.remoteVersion),
    );
    const { verifiedEpoch: _, ...rest } = registered;
    void store.put({ ...rest, aliasesSynced: aliases } satisfies RegisteredSyncRecord, rk);
    void store.put(forgottenVersion(old), k);
  }
  await tx.done;
}

/** Aliases the server does not have as acknowledged (another version, or none): they are set again. */
export async function reopenAliases(db: Db, state: string, name: string, aliases: readonly string[]): Promise<void> {
  await put<RegisteredSyncRecord>(db, key(state, 'registered', name), (old) => {
    const { verifiedEpoch: _, ...rest } = old ?? {};
    const synced = { ...(rest.aliasesSynced ?? {}) };
    for (const a of aliases) delete synced[a];
    return { ...rest, aliasesSynced: synced };
  });
}

function forgottenVersion(old: VersionSyncRecord): VersionSyncRecord {
  return old.abandoned
    ? { createAttempted: old.createAttempted, abandoned: true }
    : { createAttempted: old.createAttempted };
}

async function put<T>(db: Db, k: ReturnType<typeof key>, change: (old: T | undefined) => T): Promise<void> {
  const tx = db.transaction(['remote'], 'readwrite');
  void tx.objectStore('remote').put(change((await tx.objectStore('remote').get(k)) as T | undefined) as never, k);
  await tx.done;
}
