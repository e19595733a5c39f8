/**
 * Pending counts kept as the store changes, so a sync status costs the same
 * at 10 runs and at 50,000: what is pending for a server is what the store
 * holds (`totals`) minus what that server acknowledged (`acked[state]`).
 * Both are updated in the transactions that change them: the writes that
 * log, and the acknowledgements sync records.
 *
 * Invariants (checked against a full recount in the tests):
 * - `totals` counts the current records of runs: params, tags, metric
 *   points, files and their bytes (files of logged models and of the model
 *   cache are counted with models, not here).
 * - `acked[state]` counts those whose current version the state's server
 *   acknowledged: a param or tag with seq ≤ the run's `syncedSeq`, the first
 *   `syncedCount` points of a series, a file whose synced sha256 is its
 *   current one. Replacing a tag or a file that was acknowledged takes it
 *   back out; so does reopening a run the server lost.
 * - A write to a run opens it for every state (its remote record's
 *   `openIn`), so the number of runs with work is the count of the open
 *   index. A state never looked at (or to be looked at whole after a loss)
 *   counts every run.
 * - Missing or damaged counters are recounted from the records once, in one
 *   readwrite transaction (a store from before the counters, or a damaged
 *   meta record); writes before that skip the update.
 */
import { key, readServers, remoteMap } from './remote-state.js';
import {
  runRange,
  type Db,
  type PendingCounters,
  type RunSyncRecord,
  type ServerStates,
  type StoreName,
  type Tally,
  type WriteTx,
} from './schema.js';

export type { PendingCounters, Tally } from './schema.js';

export const NO_TALLY: Readonly<Tally> = { params: 0, tags: 0, metrics: 0, artifacts: 0, bytes: 0 };
const PARTS = Object.keys(NO_TALLY) as (keyof Tally)[];

function isTally(value: unknown): value is Tally {
  return (
    typeof value === 'object' &&
    value !== null &&
    PARTS.every((p) => Number.isSafeInteger((value as Tally)[p]) && (value as Tally)[p] >= 0)
  );
}

function isCounters(value: unknown): value is PendingCounters {
  if (typeof value !== 'object' || value === null) return false;
  const { totals, acked } = value as PendingCounters;
  return isTally(totals) && typeof acked === 'object' && acked !== null && Object.values(acked).every(isTally);
}

/** `a + b`, never below zero. */
function plus(a: Tally, b: Partial<Tally>): Tally {
  const out = { ...a };
  for (const p of PARTS) out[p] = Math.max(0, a[p] + (b[p] ?? 0));
  return out;
}

export function negate(t: Partial<Tally>): Partial<Tally> {
  const out: Partial<Tally> = {};
  for (const p of PARTS) if (t[p] !== undefined) out[p] = -t[p];
  return out;
}

/** Every state a server was ever given: each keeps its own acknowledgements. */
export function statesOf(servers: { byUri: Record<string, string>; byIdentity: Record<string, string> }): string[] {
  return [...new Set([...Object.values(servers.byUri), ...Object.values(servers.byIdentity)])];
}

/**
 * The reads the counters' update needs, issued when a transaction starts so
 * they ride along with its first round of reads instead of adding rounds at
 * its end (a group commit's transaction is on the logging path).
 */
export interface PendingReads {
  counters: Promise<unknown>;
  servers: Promise<ServerStates>;
}

export function readEarly(tx: WriteTx): PendingReads {
  const reads = { counters: tx.objectStore('meta').get('pending'), servers: readServers(tx as never) };
  // A transaction that refuses its write before using them aborts: that is its caller's error, not these reads'.
  for (const read of Object.values(reads)) read.catch(() => undefined);
  return reads;
}

/** Adds to the totals and to what states acknowledged (negative parts take back), in the caller's transaction. */
export async function adjustPending(
  tx: WriteTx,
  totals: Partial<Tally>,
  acked: Record<string, Partial<Tally>> = {},
  early?: PendingReads,
): Promise<void> {
  const meta = tx.objectStore('meta');
  const counters = await (early?.counters ?? meta.get('pending'));
  if (!isCounters(counters)) return; // recounted at the next status
  const next: PendingCounters = { totals: plus(counters.totals, totals), acked: { ...counters.acked } };
  for (const [state, part] of Object.entries(acked)) {
    const tally = plus(counters.acked[state] ?? NO_TALLY, part);
    if (PARTS.some((p) => tally[p] > 0)) next.acked[state] = tally;
    else delete next.acked[state]; // a state with nothing acknowledged has no entry
  }
  void meta.put(next, 'pending');
}

/** What one write changes of a run, for the states that acknowledged its earlier versions. */
export interface RunChange {
  runId: string;
  /** Seqs of tags this write replaced. */
  replacedTags?: readonly number[];
  /** The file this write replaced. */
  replacedFile?: { path: string; sha256: string; size: number };
  /**
   * The write changed the run's lifecycle stage: every state compares the
   * run with its server again, even when nothing is sent (deleted and
   * restored between two passes, or set back on the server meanwhile).
   */
  unverify?: true;
}

/** The stores `recordRunWrites` needs in the writing transaction, besides the writer's own. */
export const PENDING_STORES = ['meta', 'remote'] as const satisfies readonly StoreName[];

/**
 * In a transaction that wrote to runs: opens each run for every state, takes
 * replaced versions back out of the states that had them, and adds `totals`.
 */
export async function recordRunWrites(
  tx: WriteTx,
  changes: readonly RunChange[],
  totals: Partial<Tally>,
  early: PendingReads = readEarly(tx),
): Promise<void> {
  const states = statesOf(await early.servers);
  const remote = tx.objectStore('remote');
  const lost: Record<string, Tally> = {};
  await Promise.all(
    states.flatMap((state) =>
      changes.map(async (change) => {
        const k = key(state, 'run', change.runId);
        const run = (await remote.get(k)) as RunSyncRecord | undefined;
        const unverify = change.unverify === true && run?.verifiedEpoch !== undefined;
        if (run?.openIn !== state || unverify) {
          const next: RunSyncRecord = {
            ...(run ?? { runId: change.runId, createAttempted: false, syncedSeq: 0 }),
            openIn: state,
          };
          if (unverify) delete next.verifiedEpoch;
          void remote.put(next, k);
        }
        let part: Partial<Tally> | undefined;
        const tags = run === undefined ? 0 : (change.replacedTags ?? []).filter((seq) => seq <= run.syncedSeq).length;
        if (tags > 0) part = { tags };
        const file = change.replacedFile;
        if (file !== undefined) {
          const synced = (await remote.get(key(state, 'file', change.runId, file.path))) as
            | { syncedSha256?: string }
            | undefined;
          if (synced?.syncedSha256 === file.sha256) part = { ...part, artifacts: 1, bytes: file.size };
        }
        if (part !== undefined) lost[state] = plus(lost[state] ?? NO_TALLY, part);
      }),
    ),
  );
  await adjustPending(
    tx,
    totals,
    Object.fromEntries(Object.entries(lost).map(([state, t]) => [state, negate(t)])),
    early,
  );
}

/** The counters, recounted from the records when missing or damaged. */
export async function readPending(db: Db): Promise<PendingCounters> {
  const counters = await db.get('meta', 'pending');
  return isCounters(counters) ? counters : recountPending(db);
}

/**
 * The counters from the records themselves, written back: what the
 * incremental ones must always equal. One readwrite transaction over
 * everything it reads, so no write slips in between.
 */
export async function recountPending(db: Db): Promise<PendingCounters> {
  const tx = db.transaction(['meta', 'runs', 'params', 'tags', 'series', 'artifacts', 'remote'], 'readwrite');
  const [runIds, params, tags, series, artifacts, servers] = await Promise.all([
    tx.objectStore('runs').getAllKeys(),
    tx.objectStore('params').getAll(),
    tx.objectStore('tags').getAll(),
    tx.objectStore('series').getAll(),
    tx.objectStore('artifacts').getAll(),
    readServers(tx as never),
  ]);
  const isRun = new Set(runIds);
  const files = artifacts.filter((a) => isRun.has(a.runId));
  const totals: Tally = {
    params: params.length,
    tags: tags.length,
    metrics: series.reduce((n, s) => n + s.count, 0),
    artifacts: files.length,
    bytes: files.reduce((n, a) => n + a.size, 0),
  };
  const acked: Record<string, Tally> = {};
  for (const state of statesOf(servers)) {
    const [runSync, seriesSynced, fileSynced] = await Promise.all([
      remoteMap(tx as never, state, 'run'),
      remoteMap(tx as never, state, 'series'),
      remoteMap(tx as never, state, 'file'),
    ]);
    const ackedText = (r: { runId: string; seq: number }) => r.seq <= (runSync.get(r.runId)?.syncedSeq ?? 0);
    const ackedFiles = files.filter((a) => fileSynced.get(`${a.runId}\u0000${a.path}`)?.syncedSha256 === a.sha256);
    const tally: Tally = {
      params: params.filter(ackedText).length,
      tags: tags.filter(ackedText).length,
      metrics: series.reduce(
        (n, s) => n + Math.min(s.count, seriesSynced.get(`${s.runId}\u0000${s.key}`)?.syncedCount ?? 0),
        0,
      ),
      artifacts: ackedFiles.length,
      bytes: ackedFiles.reduce((n, a) => n + a.size, 0),
    };
    if (PARTS.some((p) => tally[p] > 0)) acked[state] = tally;
  }
  const counters: PendingCounters = { totals, acked };
  void tx.objectStore('meta').put(counters, 'pending');
  await tx.done;
  return counters;
}

/** Runs with work for the state: the open ones, or every run while the state waits for a whole look. */
async function pendingRunCount(db: Db, state: string): Promise<number> {
  const scanned = (await readServers(db)).scanned?.[state] ?? 0;
  return scanned === 0 ? db.count('runs') : db.countFromIndex('remote', 'byOpen', state);
}

/** What of the runs the state's server lacks: a few reads, whatever the number of runs. */
export async function pendingOfRuns(db: Db, state: string): Promise<Tally & { runs: number }> {
  const [counters, runs] = await Promise.all([readPending(db), pendingRunCount(db, state)]);
  return { ...plus(counters.totals, negate(counters.acked[state] ?? NO_TALLY)), runs };
}

/** What one run's records of a state acknowledged, to take back when the server lost them (see reopenRun). */
export async function ackedOfRun(
  tx: WriteTx,
  state: string,
  runId: string,
  syncedSeq: number,
  parts: { text: boolean; series: 'all' | readonly string[]; files: 'all' | readonly string[] },
): Promise<Tally> {
  const range = runRange(runId);
  const lost: Tally = { ...NO_TALLY };
  if (parts.text) {
    const [params, tags] = await Promise.all([
      tx.objectStore('params').getAll(range),
      tx.objectStore('tags').getAll(range),
    ]);
    lost.params = params.filter((p) => p.seq <= syncedSeq).length;
    lost.tags = tags.filter((t) => t.seq <= syncedSeq).length;
  }
  const [series, files, seriesSynced, fileSynced] = await Promise.all([
    tx.objectStore('series').getAll(range),
    tx.objectStore('artifacts').getAll(range),
    remoteMap(tx as never, state, 'series', runId),
    remoteMap(tx as never, state, 'file', runId),
  ]);
  for (const s of series) {
    if (parts.series !== 'all' && !parts.series.includes(s.key)) continue;
    lost.metrics += Math.min(s.count, seriesSynced.get(`${runId}\u0000${s.key}`)?.syncedCount ?? 0);
  }
  for (const a of files) {
    if (parts.files !== 'all' && !parts.files.includes(a.path)) continue;
    if (fileSynced.get(`${runId}\u0000${a.path}`)?.syncedSha256 === a.sha256) {
      lost.artifacts++;
      lost.bytes += a.size;
    }
  }
  return lost;
}
