/**
 * What sync reads and acknowledges. Every acknowledgement is one transaction
 * that only moves progress forward (max of old and new), so a replayed ack
 * after a crash is harmless and progress never runs ahead of the server.
 */
import type { MetricPoint } from '../schema/entities.js';
import {
  BLOCK_POINTS,
  TAIL_POINTS,
  runRange,
  type ArtifactRecord,
  type Db,
  type DeadLetterRecord,
  type ExperimentRecord,
  type LoggedModelRecord,
  type ModelVersionRecord,
  type RegisteredModelRecord,
  type ParamRecord,
  type RunRecord,
  type RunSyncRecord,
  type SeriesRecord,
  type WriteTx,
} from './schema.js';

export interface RunWork {
  run: RunRecord;
  experiment: ExperimentRecord;
  sync: RunSyncRecord;
  /** Params and tags not yet on the server, in seq order. */
  text: { kind: 'param' | 'tag'; record: ParamRecord }[];
  /** Series with points not yet on the server. */
  series: SeriesRecord[];
  artifacts: ArtifactRecord[];
  /** The end state to send with runs/update, when it differs from what the server has. */
  end?: { status: RunRecord['status']; endTime?: number };
}

const emptySync = (runId: string): RunSyncRecord => ({ runId, createAttempted: false, syncedSeq: 0 });

/** Every run with something the server lacks, in start order (parents before children). */
export async function pendingRuns(db: Db): Promise<RunWork[]> {
  const tx = db.transaction(['runs', 'experiments', 'runSync', 'params', 'tags', 'series', 'artifacts'], 'readonly');
  const [runs, experiments, syncs] = await Promise.all([
    tx.objectStore('runs').getAll(),
    tx.objectStore('experiments').getAll(),
    tx.objectStore('runSync').getAll(),
  ]);
  const experimentById = new Map(experiments.map((e) => [e.experimentId, e]));
  const syncById = new Map(syncs.map((s) => [s.runId, s]));
  runs.sort((a, b) => a.startTime - b.startTime || (a.runId < b.runId ? -1 : 1));
  const work = await Promise.all(
    runs.map(async (run): Promise<RunWork | undefined> => {
      const sync = syncById.get(run.runId) ?? emptySync(run.runId);
      const range = runRange(run.runId);
      const [params, tags, series, artifacts] = await Promise.all([
        tx.objectStore('params').getAll(range),
        tx.objectStore('tags').getAll(range),
        tx.objectStore('series').getAll(range),
        tx.objectStore('artifacts').getAll(range),
      ]);
      const text = [
        ...params.filter((p) => p.seq > sync.syncedSeq).map((record) => ({ kind: 'param' as const, record })),
        ...tags.filter((t) => t.seq > sync.syncedSeq).map((record) => ({ kind: 'tag' as const, record })),
      ].sort((a, b) => a.record.seq - b.record.seq);
      const item: RunWork = {
        run,
        experiment: experimentById.get(run.experimentId)!,
        sync,
        text,
        series: series.filter((s) => s.count > s.syncedCount),
        artifacts: artifacts.filter((a) => a.syncedSha256 !== a.sha256),
      };
      const wanted = run.status === 'RUNNING' ? undefined : { status: run.status, endTime: run.endTime };
      const had = sync.endSynced;
      if (wanted !== undefined && (had?.status !== wanted.status || had.endTime !== wanted.endTime)) {
        item.end = run.endTime === undefined ? { status: run.status } : { status: run.status, endTime: run.endTime };
      } else if (wanted === undefined && had !== undefined && had.status !== 'RUNNING') {
        item.end = { status: 'RUNNING' }; // resumed after the server saw it end
      }
      const pending = sync.remoteRunId === undefined || text.length > 0 || item.series.length > 0 || item.artifacts.length > 0 || item.end !== undefined;
      return pending ? item : undefined;
    }),
  );
  await tx.done;
  return work.filter((w): w is RunWork => w !== undefined);
}

/** Logged models, registry versions and aliases the server does not have yet, and the bytes of those models' files. */
export async function pendingModels(db: Db): Promise<{ models: number; registry: number; bytes: number }> {
  const tx = db.transaction(['loggedModels', 'modelVersions', 'registeredModels', 'artifacts'], 'readonly');
  const [models, versions, registered] = await Promise.all([
    tx.objectStore('loggedModels').getAll(),
    tx.objectStore('modelVersions').getAll(),
    tx.objectStore('registeredModels').getAll(),
  ]);
  const waiting = models.filter((m) => !m.ready && !m.abandoned);
  let bytes = 0;
  for (const m of waiting) {
    for (const a of await tx.objectStore('artifacts').getAll(runRange(m.modelId))) if (a.syncedSha256 !== a.sha256) bytes += a.size;
  }
  let registry = versions.filter((v) => v.remoteVersion === undefined && !v.abandoned).length;
  for (const r of registered) {
    const synced = r.aliasesSynced ?? {};
    registry += Object.keys(r.aliases).filter((a) => synced[a] === undefined || versions.find((v) => v.name === r.name && v.version === r.aliases[a])?.remoteVersion !== synced[a]).length;
    registry += Object.keys(synced).filter((a) => !(a in r.aliases)).length;
  }
  await tx.done;
  return { models: waiting.length, registry, bytes };
}

/** What the server has of runs and experiments: the ids models and registry versions refer to. */
export async function remoteIds(db: Db): Promise<{ runs: Map<string, RunSyncRecord>; experiments: Map<string, string | undefined> }> {
  const [syncs, experiments] = await Promise.all([db.getAll('runSync'), db.getAll('experiments')]);
  return { runs: new Map(syncs.map((s) => [s.runId, s])), experiments: new Map(experiments.map((e) => [e.experimentId, e.remoteId])) };
}

/** An owner's files whose content the server does not have. */
export async function unsyncedFiles(db: Db, owner: string): Promise<ArtifactRecord[]> {
  return (await db.getAll('artifacts', runRange(owner))).filter((a) => a.syncedSha256 !== a.sha256);
}

/** Points [from, to) of a series, as MLflow metrics. */
export async function readPoints(db: Db, runId: string, key: string, from: number, to: number): Promise<MetricPoint[]> {
  // A sealed block starts at a multiple of BLOCK_POINTS; tails at multiples of TAIL_POINTS.
  const firstChunk = (Math.floor(from / BLOCK_POINTS) * BLOCK_POINTS) / TAIL_POINTS;
  const lastChunk = Math.floor((to - 1) / TAIL_POINTS);
  const chunks = await db.getAll('metricChunks', IDBKeyRange.bound([runId, key, firstChunk], [runId, key, lastChunk]));
  const out: MetricPoint[] = [];
  for (const c of chunks) {
    const start = c.chunkNo * TAIL_POINTS;
    for (let i = Math.max(0, from - start); i < c.values.length && start + i < to; i++) {
      out.push({ step: c.steps[i]!, value: c.values[i]!, timestamp: c.timestamps[i]! });
    }
  }
  return out;
}

async function updateSync(tx: WriteTx, runId: string, change: (s: RunSyncRecord) => RunSyncRecord): Promise<void> {
  const store = tx.objectStore('runSync');
  void store.put(change((await store.get(runId)) ?? emptySync(runId)));
}

/** Durable before runs/create goes out: a crash after it makes the next attempt search first. */
export async function markCreateAttempted(db: Db, runId: string): Promise<void> {
  const tx = db.transaction(['runSync'], 'readwrite');
  await updateSync(tx as WriteTx, runId, (s) => ({ ...s, createAttempted: true }));
  await tx.done;
}

export async function recordRemoteRun(db: Db, runId: string, remoteRunId: string, artifactUri: string): Promise<void> {
  const tx = db.transaction(['runSync'], 'readwrite');
  await updateSync(tx as WriteTx, runId, (s) => ({ ...s, createAttempted: true, remoteRunId, artifactUri }));
  await tx.done;
}

export async function recordRemoteExperiment(db: Db, experimentId: string, remoteId: string): Promise<void> {
  const tx = db.transaction(['experiments'], 'readwrite');
  const e = await tx.objectStore('experiments').get(experimentId);
  if (e !== undefined) void tx.objectStore('experiments').put({ ...e, remoteId });
  await tx.done;
}

/** The server has every param/tag up to `syncedSeq` and the first `counts[key]` points of each series. */
export async function ackBatch(db: Db, runId: string, syncedSeq: number | undefined, counts: ReadonlyMap<string, number>): Promise<void> {
  const tx = db.transaction(['runSync', 'series'], 'readwrite') as WriteTx;
  if (syncedSeq !== undefined) await updateSync(tx, runId, (s) => ({ ...s, syncedSeq: Math.max(s.syncedSeq, syncedSeq) }));
  await Promise.all(
    [...counts].map(async ([key, count]) => {
      const series = await tx.objectStore('series').get([runId, key]);
      if (series !== undefined && count > series.syncedCount) void tx.objectStore('series').put({ ...series, syncedCount: count });
    }),
  );
  await tx.done;
}

export async function ackArtifact(db: Db, runId: string, path: string, sha256: string): Promise<void> {
  const tx = db.transaction(['artifacts'], 'readwrite');
  const a = await tx.objectStore('artifacts').get([runId, path]);
  // Only if the file was not replaced while it was uploading.
  if (a !== undefined && a.sha256 === sha256) void tx.objectStore('artifacts').put({ ...a, syncedSha256: sha256 });
  await tx.done;
}

export async function ackEnd(db: Db, runId: string, end: NonNullable<RunSyncRecord['endSynced']>): Promise<void> {
  const tx = db.transaction(['runSync'], 'readwrite');
  await updateSync(tx as WriteTx, runId, (s) => ({ ...s, endSynced: end }));
  await tx.done;
}

export async function addDeadLetter(db: Db, letter: Omit<DeadLetterRecord, 'id'>): Promise<void> {
  await db.add('deadLetters', letter as DeadLetterRecord);
}

export function listDeadLetters(db: Db): Promise<DeadLetterRecord[]> {
  return db.getAll('deadLetters');
}

/**
 * Sync state belongs to one remote server. Pointing the tracker at another
 * one starts over: everything is uploaded again there.
 */
export async function useRemote(db: Db, trackingUri: string): Promise<void> {
  const tx = db.transaction(
    ['meta', 'runSync', 'series', 'artifacts', 'experiments', 'deadLetters', 'loggedModels', 'registeredModels', 'modelVersions'],
    'readwrite',
  ) as WriteTx;
  const meta = tx.objectStore('meta');
  const current = await meta.get('syncRemote');
  if (current === trackingUri) return tx.done;
  void meta.put(trackingUri, 'syncRemote');
  void tx.objectStore('runSync').clear();
  void tx.objectStore('deadLetters').clear();
  const reset = async <T>(store: 'series' | 'artifacts' | 'experiments' | 'loggedModels' | 'registeredModels' | 'modelVersions', change: (v: T) => T) => {
    let cursor = await tx.objectStore(store).openCursor();
    while (cursor) {
      void cursor.update(change(cursor.value as T) as never);
      cursor = await cursor.continue();
    }
  };
  await reset<SeriesRecord>('series', (s) => ({ ...s, syncedCount: 0 }));
  await reset<ArtifactRecord>('artifacts', ({ syncedSha256: _, ...a }) => a);
  await reset<ExperimentRecord>('experiments', ({ remoteId: _, ...e }) => e);
  await reset<LoggedModelRecord>('loggedModels', (m) => ({
    modelId: m.modelId,
    experimentId: m.experimentId,
    runId: m.runId,
    name: m.name,
    creationTime: m.creationTime,
    flavors: m.flavors,
    createAttempted: false,
  }));
  await reset<RegisteredModelRecord>('registeredModels', ({ remoteCreated: _, aliasesSynced: __, ...r }) => r);
  await reset<ModelVersionRecord>('modelVersions', ({ remoteVersion: _, abandoned: __, ...v }) => ({ ...v, createAttempted: false }));
  await tx.done;
}

/** The change counter: it moves with every local write, so an unchanged value means nothing new to sync. */
export async function changeSeq(db: Db): Promise<number> {
  return Number((await db.get('meta', 'seq')) ?? 0);
}
