/**
 * What sync reads and acknowledges, for one server's state (see
 * remote-state.ts). Every acknowledgement is one transaction that only
 * moves progress forward (max of old and new), so a replayed ack after a
 * crash is harmless and progress never runs ahead of the server.
 */
import type { LifecycleStage, MetricPoint } from '../schema/entities.js';
import { ackedOfRun, adjustPending, negate, readEarly, type Tally } from './pending.js';
import { key, kindRange, readServers, remoteMap, updateRemote } from './remote-state.js';
import {
  BLOCK_POINTS,
  TAIL_POINTS,
  runRange,
  type ArtifactRecord,
  type DatasetInputRecord,
  type Db,
  type ModelInputRecord,
  type DeadLetterRecord,
  type ExperimentRecord,
  type ExperimentSyncRecord,
  type ParamRecord,
  type TagRecord,
  type RunRecord,
  type RunSyncRecord,
  type SeriesRecord,
  type SeriesSyncRecord,
} from './schema.js';
import { bound, lowerBound } from './port.js';

export interface RunWork {
  run: RunRecord;
  /** Undefined when the run's experiment record is missing (a damaged store): the run is quarantined. */
  experiment: ExperimentRecord | undefined;
  /** The experiment's id on this server, once known. */
  remoteExperimentId?: string;
  sync: RunSyncRecord;
  /** Params and tags not yet on the server, in seq order. */
  text: { kind: 'param' | 'tag'; record: TagRecord }[];
  /** Series with points not yet on the server, with how many the server has. */
  series: (SeriesRecord & { syncedCount: number })[];
  artifacts: ArtifactRecord[];
  /** Dataset inputs the server does not have (runs/log-inputs), in the order logged. */
  inputs: DatasetInputRecord[];
  /** Model inputs the server does not have (runs/log-inputs `models`), in the order logged. */
  modelInputs: ModelInputRecord[];
  /** The end state to send with runs/update, when it differs from what the server has. */
  end?: { status: RunRecord['status']; endTime?: number };
  /** The lifecycle stage to set by runs/delete or runs/restore, when it differs from what this store last set there. */
  lifecycle?: LifecycleStage;
  /**
   * Everything is acknowledged but not yet compared with the server's copy at
   * this epoch. Each series carries how many log-batches the server
   * acknowledged of it (see SeriesSyncRecord; undefined when unknown).
   */
  verify?: {
    epoch: number;
    params: ParamRecord[];
    /** With deleted tags, which the server must not have. */
    tags: TagRecord[];
    series: (SeriesRecord & { batches: number | undefined })[];
    artifacts: ArtifactRecord[];
    inputs: DatasetInputRecord[];
    modelInputs: ModelInputRecord[];
  };
}

/** The `sub` of an input's remote record: its dataset's name and digest. */
export const inputKey = (i: { name: string; digest: string }): string => `${i.name}\u0000${i.digest}`;

const emptySync = (runId: string): RunSyncRecord => ({ runId, createAttempted: false, syncedSeq: 0 });

/**
 * Every run with something the server lacks or that is not yet verified,
 * in start order (parents before children). Reads only the runs that
 * changed since the state's last look (the runs' bySeq index) and those
 * still open for it (the remote store's byOpen index), so its cost follows
 * the work, not the number of runs; then records which are open now
 * (`record`; a status look only reads, so it never waits on the uploader's
 * writes).
 */
export async function pendingRuns(db: Db, state: string, record = true): Promise<RunWork[]> {
  const servers = await readServers(db);
  const epoch = servers.epochs[state] ?? 0;
  const scannedTo = servers.scanned?.[state] ?? 0;
  const tx = db.transaction(
    ['meta', 'runs', 'experiments', 'params', 'tags', 'series', 'artifacts', 'datasetInputs', 'modelInputs', 'remote'],
    'readonly',
  );
  const remote = tx.objectStore('remote');
  const [seqNow, changed, openKeys, experiments, experimentSync] = await Promise.all([
    tx.objectStore('meta').get('seq'),
    tx.objectStore('runs').index('bySeq').getAllKeys(lowerBound(scannedTo, true)),
    remote.index('byOpen').getAllKeys(state),
    tx.objectStore('experiments').getAll(),
    remoteMap(tx, state, 'experiment'),
  ]);
  // A damaged seq (not a number) is not in the index's number range: such runs are read by a full look once.
  const ids = [
    ...new Set([
      ...changed,
      ...openKeys.map((k) => k[2]),
      ...(scannedTo === 0 ? await tx.objectStore('runs').getAllKeys() : []),
    ]),
  ];
  const experimentById = new Map(experiments.map((e) => [e.experimentId, e]));
  const read = await Promise.all(
    ids.map(async (runId) => {
      const range = runRange(runId);
      const [run, sync, params, tags, series, artifacts, inputs, models, seriesSync, fileSync, inputSync, modelSync] =
        await Promise.all([
          tx.objectStore('runs').get(runId),
          remote.get(key(state, 'run', runId)) as Promise<RunSyncRecord | undefined>,
          tx.objectStore('params').getAll(range),
          tx.objectStore('tags').getAll(range),
          tx.objectStore('series').getAll(range),
          tx.objectStore('artifacts').getAll(range),
          tx.objectStore('datasetInputs').getAll(range),
          tx.objectStore('modelInputs').getAll(range),
          remoteMap(tx, state, 'series', runId),
          remoteMap(tx, state, 'file', runId),
          remoteMap(tx, state, 'input', runId),
          remoteMap(tx, state, 'modelInput', runId),
        ]);
      inputs.sort((a, b) => a.seq - b.seq);
      models.sort((a, b) => a.seq - b.seq);
      return {
        runId,
        run,
        sync,
        params,
        tags,
        series,
        artifacts,
        inputs,
        models,
        seriesSync,
        fileSync,
        inputSync,
        modelSync,
      };
    }),
  );
  await tx.done;
  read.sort(
    (a, b) =>
      (a.run?.startTime ?? 0) - (b.run?.startTime ?? 0) || ((a.run?.runId ?? '') < (b.run?.runId ?? '') ? -1 : 1),
  );
  const work = read.map(
    ({
      run,
      sync: stored,
      params,
      tags,
      series,
      artifacts,
      inputs,
      models,
      seriesSync,
      fileSync,
      inputSync,
      modelSync,
    }): RunWork | undefined => {
      if (run === undefined) return undefined;
      const sync = stored ?? emptySync(run.runId);
      const text = [
        ...params.filter((p) => !(p.seq <= sync.syncedSeq)).map((record) => ({ kind: 'param' as const, record })),
        ...tags.filter((t) => !(t.seq <= sync.syncedSeq)).map((record) => ({ kind: 'tag' as const, record })),
      ].sort((a, b) => a.record.seq - b.record.seq);
      const synced = (s: SeriesRecord) => seriesSync.get(`${run.runId}\u0000${s.key}`)?.syncedCount ?? 0;
      const item: RunWork = {
        run,
        experiment: experimentById.get(run.experimentId),
        sync,
        text,
        series: series.filter((s) => s.count > synced(s)).map((s) => ({ ...s, syncedCount: synced(s) })),
        artifacts: artifacts.filter((a) => fileSync.get(`${run.runId}\u0000${a.path}`)?.syncedSha256 !== a.sha256),
        inputs: inputs.filter((i) => inputSync.get(`${run.runId}\u0000${inputKey(i)}`) === undefined),
        modelInputs: models.filter((m) => modelSync.get(`${run.runId}\u0000${m.modelId}`) === undefined),
      };
      const remoteExperimentId = experimentSync.get(run.experimentId)?.remoteId;
      if (remoteExperimentId !== undefined) item.remoteExperimentId = remoteExperimentId;
      const wanted = run.status === 'RUNNING' ? undefined : { status: run.status, endTime: run.endTime };
      const had = sync.endSynced;
      if (wanted !== undefined && (had?.status !== wanted.status || had.endTime !== wanted.endTime)) {
        item.end = run.endTime === undefined ? { status: run.status } : { status: run.status, endTime: run.endTime };
      } else if (wanted === undefined && had !== undefined && had.status !== 'RUNNING') {
        item.end = { status: 'RUNNING' }; // resumed after the server saw it end
      }
      if (run.lifecycleStage !== (sync.lifecycleSynced ?? 'active')) item.lifecycle = run.lifecycleStage;
      const pending =
        item.lifecycle !== undefined ||
        sync.remoteRunId === undefined ||
        text.length > 0 ||
        item.series.length > 0 ||
        item.artifacts.length > 0 ||
        item.inputs.length > 0 ||
        item.modelInputs.length > 0 ||
        item.end !== undefined;
      if (pending) return item;
      if (sync.verifiedEpoch !== epoch && (run.status !== 'RUNNING' || epoch > 0)) {
        item.verify = {
          epoch,
          params,
          tags,
          series: series.map((s) => ({ ...s, batches: seriesSync.get(`${run.runId}\u0000${s.key}`)?.batches })),
          artifacts,
          inputs,
          modelInputs: models,
        };
        return item;
      }
      return undefined;
    },
  );
  if (record)
    await markOpen(
      db,
      state,
      read.map((r, i) => ({ runId: r.runId, stored: r.sync, open: work[i] !== undefined })),
      Number(seqNow ?? 0),
    );
  return work.filter((w): w is RunWork => w !== undefined);
}

/** Records which runs are open for the state, and that every change up to `seq` was looked at. */
async function markOpen(
  db: Db,
  state: string,
  runs: { runId: string; stored: RunSyncRecord | undefined; open: boolean }[],
  seq: number,
): Promise<void> {
  const flips = runs.filter((r) => (r.stored?.openIn === state) !== r.open);
  const tx = db.transaction(['meta', 'runs', 'remote'], 'readwrite');
  for (const { runId, open } of flips) {
    const k = key(state, 'run', runId);
    const current = ((await tx.objectStore('remote').get(k)) as RunSyncRecord | undefined) ?? emptySync(runId);
    // A run written since the look stays open: the look did not see that write.
    if (!open && !(Number((await tx.objectStore('runs').get(runId))?.seq) <= seq)) continue;
    const { openIn: _, ...closed } = current;
    void tx.objectStore('remote').put(open ? { ...current, openIn: state } : closed, k);
  }
  const servers = await readServers(tx as never);
  if (Number.isSafeInteger(seq) && seq > (servers.scanned?.[state] ?? 0)) {
    servers.scanned = { ...servers.scanned, [state]: seq };
    void tx.objectStore('meta').put(servers, 'servers');
  }
  await tx.done;
}

/** What this server has of runs and experiments: the ids models and registry versions refer to. */
export async function remoteIds(
  db: Db,
  state: string,
): Promise<{ runs: Map<string, RunSyncRecord>; experiments: Map<string, string> }> {
  const [runs, experiments] = await Promise.all([remoteMap(db, state, 'run'), remoteMap(db, state, 'experiment')]);
  return { runs, experiments: new Map([...experiments].map(([id, e]) => [id, e.remoteId])) };
}

/** An owner's files whose content this server does not have. */
export async function unsyncedFiles(db: Db, state: string, owner: string): Promise<ArtifactRecord[]> {
  const [files, synced] = await Promise.all([
    db.getAll('artifacts', runRange(owner)),
    remoteMap(db, state, 'file', owner),
  ]);
  return files.filter((a) => synced.get(`${owner}\u0000${a.path}`)?.syncedSha256 !== a.sha256);
}

/** Points [from, to) of a series, as MLflow metrics. */
export async function readPoints(db: Db, runId: string, key: string, from: number, to: number): Promise<MetricPoint[]> {
  return (await readWindows(db, runId, [{ key, from, to }]))[0]!;
}

/** Points [from, to) of several series of a run, read in one transaction (one per series costs more than the reading). */
export async function readWindows(
  db: Db,
  runId: string,
  windows: readonly { key: string; from: number; to: number }[],
): Promise<MetricPoint[][]> {
  const store = db.transaction('metricChunks').store;
  return Promise.all(
    windows.map(async ({ key, from, to }) => {
      // A sealed block starts at a multiple of BLOCK_POINTS; tails at multiples of TAIL_POINTS.
      const firstChunk = (Math.floor(from / BLOCK_POINTS) * BLOCK_POINTS) / TAIL_POINTS;
      const lastChunk = Math.floor((to - 1) / TAIL_POINTS);
      const chunks = await store.getAll(bound([runId, key, firstChunk], [runId, key, lastChunk]));
      const out: MetricPoint[] = [];
      for (const c of chunks) {
        const start = c.chunkNo * TAIL_POINTS;
        for (let i = Math.max(0, from - start); i < c.values.length && start + i < to; i++) {
          out.push({ step: c.steps[i]!, value: c.values[i]!, timestamp: c.timestamps[i]! });
        }
      }
      return out;
    }),
  );
}

function updateRun(
  db: Db,
  state: string,
  runId: string,
  change: (s: RunSyncRecord) => RunSyncRecord,
): Promise<RunSyncRecord> {
  return updateRemote(db, state, 'run', runId, '', (old) => change(old ?? emptySync(runId)));
}

/** Durable before runs/create goes out: a crash after it makes the next attempt search first. */
export async function markCreateAttempted(db: Db, state: string, runIds: readonly string[]): Promise<void> {
  const tx = db.transaction(['remote'], 'readwrite');
  for (const runId of runIds) {
    const k = key(state, 'run', runId);
    const old = ((await tx.objectStore('remote').get(k)) as RunSyncRecord | undefined) ?? emptySync(runId);
    void tx.objectStore('remote').put({ ...old, createAttempted: true }, k);
  }
  await tx.done;
}

export async function recordRemoteRun(
  db: Db,
  state: string,
  runId: string,
  remoteRunId: string,
  artifactUri: string,
): Promise<void> {
  await updateRun(db, state, runId, (s) => ({ ...s, createAttempted: true, remoteRunId, artifactUri }));
}

export async function recordRemoteExperiment(
  db: Db,
  state: string,
  experimentId: string,
  remoteId: string,
): Promise<void> {
  // A new server id (the server lost the old one) starts over: nothing of it was acknowledged there.
  await updateRemote(db, state, 'experiment', experimentId, '', (old) =>
    old?.remoteId === remoteId ? old : { remoteId },
  );
}

/** Experiments changed by experiment calls since their server acknowledged them, with what it has of each. */
export async function pendingExperiments(
  db: Db,
  state: string,
): Promise<{ experiment: ExperimentRecord; sync: ExperimentSyncRecord | undefined }[]> {
  const [experiments, synced] = await Promise.all([db.getAll('experiments'), remoteMap(db, state, 'experiment')]);
  return experiments
    .filter((e) => typeof e.seq === 'number' && e.seq > (synced.get(e.experimentId)?.syncedSeq ?? 0))
    .map((experiment) => ({ experiment, sync: synced.get(experiment.experimentId) }));
}

/** The server has the experiment's tags and lifecycle stage as of `seq` (checked by reading them back). */
export async function ackExperiment(
  db: Db,
  state: string,
  experimentId: string,
  remoteId: string,
  seq: number,
  lifecycleSynced: LifecycleStage,
): Promise<void> {
  await updateRemote(db, state, 'experiment', experimentId, '', (old) => {
    const next: ExperimentSyncRecord = { remoteId, syncedSeq: Math.max(seq, old?.syncedSeq ?? 0) };
    if (lifecycleSynced !== 'active') next.lifecycleSynced = lifecycleSynced;
    return next;
  });
}

/** The stage this store last set on the server for an experiment (before its acknowledgement as a whole). */
export async function recordExperimentLifecycle(
  db: Db,
  state: string,
  experimentId: string,
  stage: LifecycleStage,
): Promise<void> {
  await updateRemote(db, state, 'experiment', experimentId, '', (old) => {
    const { lifecycleSynced: _, ...rest } = old ?? { remoteId: '' };
    return stage === 'active' ? rest : { ...rest, lifecycleSynced: stage };
  });
}

/** The server's run has this lifecycle stage, as set by runs/delete or runs/restore. */
export async function ackRunLifecycle(db: Db, state: string, runId: string, stage: LifecycleStage): Promise<void> {
  await updateRun(db, state, runId, ({ verifiedEpoch: _, lifecycleSynced: __, ...s }) =>
    stage === 'active' ? s : { ...s, lifecycleSynced: stage },
  );
}

/** The server no longer has this experiment (restored from an older backup): it is found by name, or created, again. */
export async function forgetRemoteExperiment(db: Db, state: string, experimentId: string): Promise<void> {
  await db.delete('remote', key(state, 'experiment', experimentId));
}

/**
 * The server has every param/tag up to `syncedSeq` (`text`: the params and
 * tags of this batch) and the first `counts[key]` points of each series.
 */
export async function ackBatch(
  db: Db,
  state: string,
  runId: string,
  syncedSeq: number | undefined,
  counts: ReadonlyMap<string, number>,
  text: readonly { kind: 'param' | 'tag'; key: string; seq: number }[] = [],
): Promise<void> {
  const tx = db.transaction(['meta', 'params', 'tags', 'remote'], 'readwrite');
  const early = readEarly(tx);
  const runKey = key(state, 'run', runId);
  const run = ((await tx.objectStore('remote').get(runKey)) as RunSyncRecord | undefined) ?? emptySync(runId);
  const { verifiedEpoch: _, ...unverified } = run;
  void tx.objectStore('remote').put({ ...unverified, syncedSeq: Math.max(run.syncedSeq, syncedSeq ?? 0) }, runKey);
  const acked: Tally = { params: 0, tags: 0, metrics: 0, artifacts: 0, bytes: 0 };
  await Promise.all([
    ...[...counts].map(async ([metric, count]) => {
      const k = key(state, 'series', runId, metric);
      const old = (await tx.objectStore('remote').get(k)) as SeriesSyncRecord | undefined;
      if (count > (old?.syncedCount ?? 0)) {
        acked.metrics += count - (old?.syncedCount ?? 0);
        // An old record without `batches` took at least one batch: this makes it more than one.
        void tx
          .objectStore('remote')
          .put(
            { syncedCount: count, batches: old === undefined ? 1 : (old.batches ?? 1) + 1 } satisfies SeriesSyncRecord,
            k,
          );
      }
    }),
    // Counted once, and only while the stored record is the version sent (a tag replaced meanwhile is still pending).
    ...text
      .filter((t) => t.seq > run.syncedSeq)
      .map(async (t) => {
        const current = await tx.objectStore(t.kind === 'param' ? 'params' : 'tags').get([runId, t.key]);
        if (current?.seq === t.seq) acked[t.kind === 'param' ? 'params' : 'tags']++;
      }),
  ]);
  await adjustPending(tx, {}, { [state]: acked }, early);
  await tx.done;
}

/** The server has this content at `path` of `owner` (a run or a logged model), if the file was not replaced meanwhile. */
export async function ackArtifact(db: Db, state: string, owner: string, path: string, sha256: string): Promise<void> {
  const tx = db.transaction(['meta', 'runs', 'artifacts', 'remote'], 'readwrite');
  const k = key(state, 'file', owner, path);
  const [a, old, run] = await Promise.all([
    tx.objectStore('artifacts').get([owner, path]),
    tx.objectStore('remote').get(k),
    tx.objectStore('runs').getKey(owner),
  ]);
  if (a !== undefined && a.sha256 === sha256) {
    void tx.objectStore('remote').put({ syncedSha256: sha256 }, k);
    // Files of logged models are counted with the models.
    if (run !== undefined && (old as { syncedSha256?: string } | undefined)?.syncedSha256 !== sha256)
      await adjustPending(tx, {}, { [state]: { artifacts: 1, bytes: a.size } });
  }
  await tx.done;
}

/** The server has these dataset inputs of the run (runs/log-inputs answered, or refused them for good). */
export async function ackInputs(
  db: Db,
  state: string,
  runId: string,
  inputs: readonly { name: string; digest: string }[],
): Promise<void> {
  const tx = db.transaction(['remote'], 'readwrite');
  for (const i of inputs) void tx.objectStore('remote').put({ synced: true }, key(state, 'input', runId, inputKey(i)));
  await tx.done;
}

/** The server has these model inputs of the run (or they cannot go there: refused, or a server without logged models). */
export async function ackModelInputs(db: Db, state: string, runId: string, modelIds: readonly string[]): Promise<void> {
  const tx = db.transaction(['remote'], 'readwrite');
  for (const m of modelIds) void tx.objectStore('remote').put({ synced: true }, key(state, 'modelInput', runId, m));
  await tx.done;
}

export async function ackEnd(
  db: Db,
  state: string,
  runId: string,
  end: NonNullable<RunSyncRecord['endSynced']>,
): Promise<void> {
  await updateRun(db, state, runId, ({ verifiedEpoch: _, ...s }) => ({ ...s, endSynced: end }));
}

/**
 * The server's copy is complete as of the run's `seq` when it was read: the
 * run is no longer open for this state (no later look reads it again until
 * it changes), unless it was written since.
 */
export async function ackVerified(db: Db, state: string, runId: string, epoch: number, seq: number): Promise<void> {
  const tx = db.transaction(['runs', 'remote'], 'readwrite');
  const k = key(state, 'run', runId);
  const [stored, run] = await Promise.all([
    tx.objectStore('remote').get(k) as Promise<RunSyncRecord | undefined>,
    tx.objectStore('runs').get(runId),
  ]);
  const { openIn, ...closed } = stored ?? emptySync(runId);
  const next: RunSyncRecord = { ...closed, verifiedEpoch: epoch };
  if (openIn !== undefined && !(Number(run?.seq) <= seq)) next.openIn = openIn;
  void tx.objectStore('remote').put(next, k);
  await tx.done;
}

/**
 * The server's copy of a run lacks what was acknowledged: forget those
 * acknowledgements so they are uploaded again. `whole` when the run itself
 * is gone (it is created again, after a search by its client id).
 */
export async function reopenRun(
  db: Db,
  state: string,
  runId: string,
  whole: boolean,
  missing: {
    params?: boolean;
    series?: string[];
    files?: string[];
    inputs?: string[];
    modelInputs?: string[];
    end?: boolean;
    lifecycle?: LifecycleStage;
  },
): Promise<void> {
  const tx = db.transaction(['meta', 'params', 'tags', 'series', 'artifacts', 'remote'], 'readwrite');
  const runKey = key(state, 'run', runId);
  const run = ((await tx.objectStore('remote').get(runKey)) as RunSyncRecord | undefined) ?? emptySync(runId);
  const parts = whole
    ? { text: true, series: 'all' as const, files: 'all' as const }
    : { text: missing.params === true, series: missing.series ?? [], files: missing.files ?? [] };
  await adjustPending(tx, {}, { [state]: negate(await ackedOfRun(tx, state, runId, run.syncedSeq, parts)) });
  if (whole) {
    for (const kind of ['series', 'file', 'input', 'modelInput'] as const)
      void tx.objectStore('remote').delete(kindRange(state, kind, runId));
    void tx
      .objectStore('remote')
      .put({ runId, createAttempted: true, syncedSeq: 0, openIn: state } satisfies RunSyncRecord, runKey);
  } else {
    const { verifiedEpoch: _, endSynced, lifecycleSynced, ...rest } = run;
    const next: RunSyncRecord = { ...rest, syncedSeq: missing.params ? 0 : run.syncedSeq, openIn: state };
    // `missing.lifecycle`: the stage the server's copy has, not the local one: recorded, so the next pass sets it again (RunWork.lifecycle).
    const stage = missing.lifecycle ?? lifecycleSynced;
    if (stage !== undefined && stage !== 'active') next.lifecycleSynced = stage;
    if (!missing.end && endSynced !== undefined) next.endSynced = endSynced;
    void tx.objectStore('remote').put(next, runKey);
    for (const metric of missing.series ?? [])
      void tx.objectStore('remote').delete(key(state, 'series', runId, metric));
    for (const path of missing.files ?? []) void tx.objectStore('remote').delete(key(state, 'file', runId, path));
    for (const sub of missing.inputs ?? []) void tx.objectStore('remote').delete(key(state, 'input', runId, sub));
    for (const m of missing.modelInputs ?? []) void tx.objectStore('remote').delete(key(state, 'modelInput', runId, m));
  }
  await tx.done;
}

/** An item one server refused for good: kept with that server's state (another server may take it). */
export async function addDeadLetter(
  db: Db,
  state: string,
  letter: Omit<DeadLetterRecord, 'id' | 'state'>,
): Promise<void> {
  await db.add('deadLetters', { ...letter, state } as DeadLetterRecord);
}

/** The dead letters of one server's state (those written before v5 named no state: they belong to the state the v5 upgrade made). */
export async function listDeadLetters(db: Db, state: string): Promise<DeadLetterRecord[]> {
  return (await db.getAll('deadLetters')).filter((d) => (d.state ?? 's0') === state);
}

/** Forgets the dead letters of one server's state (the refused items stay unsent); returns how many. */
export async function clearDeadLetters(db: Db, state: string): Promise<number> {
  const tx = db.transaction('deadLetters', 'readwrite');
  let cleared = 0;
  for (const letter of await tx.store.getAll()) {
    if ((letter.state ?? 's0') !== state) continue;
    void tx.store.delete(letter.id!); // autoIncrement: every stored record has one
    cleared++;
  }
  await tx.done;
  return cleared;
}

/** The change counter: it moves with every local write, so an unchanged value means nothing new to sync. */
export async function changeSeq(db: Db): Promise<number> {
  return Number((await db.get('meta', 'seq')) ?? 0);
}
