/**
 * Sync state per server. Everything a server acknowledged lives in the
 * `remote` store under that server's state key, never on the local records,
 * so pointing the tracker at another server and back resumes where it was,
 * and two tracking URIs of one server share one state.
 *
 * Invariants:
 * - A state is made for a URI the first time it is set, and bound to the
 *   server's identity the first time the server answers. A URI whose server
 *   now has another identity (its database was replaced) gets a new state:
 *   everything is uploaded again from the local store, which is the truth.
 * - Bumping a state's epoch makes every run of it count as unverified, so
 *   the next pass compares each with the server again (the server lost data).
 */
import type { Db, RemoteKey, RemoteKind, RemoteValues, ServerStates } from './schema.js';
import { bound, type KeyRange } from './port.js';
import type { WriteTx } from './schema.js';

type AnyTx = WriteTx;

export function key(state: string, kind: RemoteKind, id: string, sub = ''): RemoteKey {
  return [state, kind, id, sub];
}

/** Every key of one kind in a state, or of one entity's sub-keys (`id` given). */
export function kindRange(state: string, kind: RemoteKind, id?: string): KeyRange {
  return id === undefined ? bound([state, kind], [state, kind, []]) : bound([state, kind, id], [state, kind, id, []]);
}

export async function readServers(tx: AnyTx | Db): Promise<ServerStates> {
  const value = 'objectStore' in tx ? await tx.objectStore('meta').get('servers') : await tx.get('meta', 'servers');
  // Written by the v5 migration; a damaged or missing record starts afresh at a state name no migration used.
  return typeof value === 'object' && value !== null && 'byUri' in value
    ? value
    : { byUri: {}, byIdentity: {}, epochs: {}, next: 1 };
}

/** The state of the tracking URI set now, if any. */
export async function currentState(db: Db): Promise<string | undefined> {
  return (await readServers(db)).current;
}

/** Makes `uri` the current server (O(1)); returns its state key, made on first use. */
export async function useRemote(db: Db, uri: string | undefined): Promise<string | undefined> {
  const tx = db.transaction(['meta'], 'readwrite');
  const servers = await readServers(tx as unknown as AnyTx);
  let state: string | undefined;
  if (uri !== undefined) {
    state = servers.byUri[uri] ?? `s${servers.next++}`;
    servers.byUri[uri] = state;
    void tx.objectStore('meta').put(uri, 'syncRemote');
  }
  if (state === undefined) delete servers.current;
  else servers.current = state;
  void tx.objectStore('meta').put(servers, 'servers');
  await tx.done;
  return state;
}

export interface Binding {
  state: string;
  /** The URI's server is not the one its state was uploaded to: a new state began. */
  replaced: boolean;
  /** Another URI already named this server: its state is used. */
  joined: boolean;
}

/** Binds the server's identity as `uri` answered it; see the module invariants. */
export async function bindIdentity(db: Db, uri: string, identity: string): Promise<Binding> {
  const tx = db.transaction(['meta'], 'readwrite');
  const servers = await readServers(tx as unknown as AnyTx);
  const mine = servers.byUri[uri] ?? `s${servers.next++}`;
  const known = servers.byIdentity[identity];
  let state = mine;
  let replaced = false;
  let joined = false;
  if (known !== undefined) {
    joined = known !== mine;
    state = known;
  } else if (Object.values(servers.byIdentity).includes(mine)) {
    state = `s${servers.next++}`;
    replaced = true;
    servers.byIdentity[identity] = state;
  } else {
    servers.byIdentity[identity] = mine;
  }
  servers.byUri[uri] = state;
  if ((await tx.objectStore('meta').get('syncRemote')) === uri) servers.current = state;
  void tx.objectStore('meta').put(servers, 'servers');
  await tx.done;
  return { state, replaced, joined };
}

/** The server lost data: every run of the state is verified again on the next pass. */
export async function bumpEpoch(db: Db, state: string): Promise<void> {
  const tx = db.transaction(['meta'], 'readwrite');
  const servers = await readServers(tx as unknown as AnyTx);
  servers.epochs[state] = (servers.epochs[state] ?? 0) + 1;
  // Every run is looked at again (a full look), not only the changed and open ones.
  servers.scanned = { ...servers.scanned, [state]: 0 };
  void tx.objectStore('meta').put(servers, 'servers');
  await tx.done;
}

export async function getRemote<K extends RemoteKind>(
  db: Db,
  state: string,
  kind: K,
  id: string,
  sub = '',
): Promise<RemoteValues[K] | undefined> {
  return (await db.get('remote', key(state, kind, id, sub))) as RemoteValues[K] | undefined;
}

/** Every record of one kind in a state, by `id` (and `sub` joined with NUL when the kind has sub-keys). */
export async function remoteMap<K extends RemoteKind>(
  db: Db | AnyTx,
  state: string,
  kind: K,
  id?: string,
): Promise<Map<string, RemoteValues[K]>> {
  const store = 'objectStore' in db ? (db as AnyTx).objectStore('remote') : (db as Db).transaction('remote').store;
  const [keys, values] = await Promise.all([
    store.getAllKeys(kindRange(state, kind, id)),
    store.getAll(kindRange(state, kind, id)),
  ]);
  const out = new Map<string, RemoteValues[K]>();
  keys.forEach((k, i) => out.set(k[3] === '' ? k[2] : `${k[2]}\u0000${k[3]}`, values[i] as RemoteValues[K]));
  return out;
}

/** Read-modify-write of one record, in its own transaction. */
export async function updateRemote<K extends RemoteKind>(
  db: Db,
  state: string,
  kind: K,
  id: string,
  sub: string,
  change: (old: RemoteValues[K] | undefined) => RemoteValues[K],
): Promise<RemoteValues[K]> {
  const tx = db.transaction(['remote'], 'readwrite');
  const k = key(state, kind, id, sub);
  const next = change((await tx.objectStore('remote').get(k)) as RemoteValues[K] | undefined);
  void tx.objectStore('remote').put(next, k);
  await tx.done;
  return next;
}

/** Remembers the last run created on the server of `state` (checked at the start of each pass). */
export async function recordLastRun(db: Db, state: string, remoteRunId: string): Promise<void> {
  const tx = db.transaction(['meta'], 'readwrite');
  const servers = await readServers(tx as unknown as AnyTx);
  servers.lastRun = { ...servers.lastRun, [state]: remoteRunId };
  void tx.objectStore('meta').put(servers, 'servers');
  await tx.done;
}
