/**
 * The IndexedDB layout, in types (so a wrong store or key fails to compile)
 * and in migrations (so every database ever written opens in this version).
 *
 * Invariants:
 * - Metric points live in chunks, in the order they were logged; a chunk's
 *   `chunkNo` is the index of its first point / TAIL_POINTS. The open end of
 *   a series is a run of small tail chunks (≤ TAIL_POINTS, cheap to rewrite on
 *   each flush); in IndexedDB each completed block of BLOCK_POINTS is sealed
 *   into one record (fewer, larger records read about twice as fast there),
 *   while a SQLite store keeps a full block's tails (each point written
 *   once). Readers take either layout.
 *   `series.count` is the total.
 * - Every param, tag and run change gets the next `seq` from `meta`, inside
 *   the transaction that writes it: the log is the outbox sync reads. A
 *   run's own `seq` moves with every write that touches the run (its
 *   params, tags, metrics and files too), so sync finds changed runs by
 *   the `bySeq` index instead of reading every run.
 * - A logged batch that carries (sessionId, batchNo) raises that session's
 *   `journalSessions.batchNo` in the transaction that writes it; a batch at
 *   or below it is never written again (a journal replay is idempotent).
 */
import type { DeadLetterKind } from '../protocol.js';
import type { Migrations } from './migrate.js';
import { bound, type Database, type KeyRange, type ObjectStore, type StoreNames, type Transaction } from './port.js';
import type { Dataset } from '../schema/datasets/dataset.js';
import type { LifecycleStage, MetricPoint, RunStatus } from '../schema/entities.js';

export const TAIL_POINTS = 1024;
export const BLOCK_POINTS = 8 * TAIL_POINTS;

export interface ExperimentRecord {
  experimentId: string;
  name: string;
  lifecycleStage: LifecycleStage;
  creationTime: number;
  lastUpdateTime: number;
  tags: Record<string, string>;
  /**
   * The change counter (meta 'seq') at the last change made by an experiment
   * call (createExperiment, a tag, delete/restore): sync uploads the
   * experiment when it is above what the server acknowledged. Absent on
   * experiments made implicitly by startRun (they reach the server with
   * their runs) and on stores written before it existed.
   */
  seq?: number;
  /** As given to createExperiment; the server chooses when absent. */
  artifactLocation?: string;
}

export interface RunRecord {
  runId: string;
  experimentId: string;
  runName: string;
  status: RunStatus;
  startTime: number;
  endTime?: number;
  lifecycleStage: LifecycleStage;
  /** When the run was deleted (MLflow's `deleted_time`); absent while active. */
  deletedTime?: number;
  userId: string;
  seq: number;
}

export interface ParamRecord {
  runId: string;
  key: string;
  value: string;
  seq: number;
}

/**
 * A tag, or with `deleted` the deletion of one (`run.deleteTag`): kept as a
 * record with the next seq so sync sends MLflow's runs/delete-tag in order;
 * reads leave it out. Optional, so stores written before it read unchanged.
 */
export type TagRecord = ParamRecord & { deleted?: true };

export interface SeriesRecord {
  runId: string;
  key: string;
  /** Points in the series. */
  count: number;
  /** The point MLflow reports as the run's metric value: max of (step, timestamp, value). */
  latest: MetricPoint;
}

export interface ChunkRecord {
  runId: string;
  key: string;
  chunkNo: number;
  steps: Float64Array;
  values: Float64Array;
  timestamps: Float64Array;
}

/** What one server has of a run (schema v3 kept one per database in `runSync`; since v5, one per server in `remote`). */
export interface RunSyncRecord {
  runId: string;
  remoteRunId?: string;
  /** The run's artifact root on the server, e.g. `mlflow-artifacts:/1/<id>/artifacts`. */
  artifactUri?: string;
  /** Set durably before runs/create is sent: afterwards, search by client id before creating again. */
  createAttempted: boolean;
  /** Every param and tag with seq ≤ this is on the server. */
  syncedSeq: number;
  /** The status and end time last sent with runs/update. */
  endSynced?: { status: RunStatus; endTime?: number };
  /** The lifecycle stage last set on the server by runs/delete or runs/restore; absent: active, as created. */
  lifecycleSynced?: LifecycleStage;
  /** The server's copy was compared with the local one and found complete, at this server epoch (see ServerStates). */
  verifiedEpoch?: number;
  /** The state this record belongs to, while the run has work for it (indexed: sync reads open runs, not every run). */
  openIn?: string;
}

/** What one server has of a metric series (schema v5). */
export interface SeriesSyncRecord {
  /** The server has the first `syncedCount` points, in logged order. */
  syncedCount: number;
  /**
   * How many acknowledged log-batches moved `syncedCount` forward. MLflow's
   * SQL store writes one log-batch's metrics in one transaction, so a series
   * acknowledged in one batch is whole when its latest point is on the
   * server; after more than one, verification counts its points. Absent on
   * records written before it existed: unknown, so counted.
   */
  batches?: number;
}

/** An item the server refused for good (a 4xx other than auth); sync went on without it. */
export interface DeadLetterRecord {
  id?: number;
  /** The sync state (server) that refused it (schema v5; none before: the v5 upgrade's 's0'). */
  state?: string;
  runId: string;
  kind: DeadLetterKind;
  key: string;
  message: string;
  at: number;
}

/**
 * A dataset a run used (schema v6): MLflow's DatasetInput, one per (run,
 * dataset name, digest). The first one logged is kept, as MLflow's store
 * keeps the first input of a dataset to a run; its `seq` (from `meta`, like
 * params and tags) moves the run's, so sync finds it.
 */
export interface DatasetInputRecord extends Dataset {
  runId: string;
  /** The input's tags, e.g. `mlflow.data.context`. */
  tags: Record<string, string>;
  seq: number;
}

/** A logged model a run used (schema v6): MLflow 3's ModelInput, one per (run, model). */
export interface ModelInputRecord {
  runId: string;
  /** The local logged model's id. */
  modelId: string;
  seq: number;
}

/** `opfs`: a file of the browser's OPFS; `fs`: a file of the store's artifacts directory (SQLite adapter); `idb`: in the record. */
export type ArtifactLocation = { kind: 'opfs' | 'fs'; file: string } | { kind: 'idb'; blob: Blob };

export interface ArtifactRecord {
  runId: string;
  path: string;
  size: number;
  sha256: string;
  createdAt: number;
  location: ArtifactLocation;
  seq: number;
}

/**
 * An MLflow 3 logged model recorded here (schema v4). Its files are in
 * `artifacts` under the owner key `modelId`, not under the run: MLflow 3
 * keeps a model's files under the model, and `runs:/<run>/<name>` finds it.
 */
export interface LoggedModelRecord {
  /** `m-` + 32 hex, made here; the server gives the model another id on sync. */
  modelId: string;
  experimentId: string;
  runId: string;
  name: string;
  creationTime: number;
  flavors: string[];
  /** Its run's context tags (mlflow.user, mlflow.source.*), as MLflow 3 tags a logged model; optional, as `params`. */
  tags?: Record<string, string>;
  /** The model's params (MLflow 3's LoggedModel params); optional, so records written before it read unchanged. */
  params?: Record<string, string>;
  /**
   * Metric points linked to the model (MLflow 3's metric model_id), in
   * logged order; each is also a point of its run's series. A short list
   * (evaluation results), rewritten with the record; optional, as `params`.
   */
  metrics?: LoggedModelMetricRecord[];
}

/** A metric point of a logged model: its run, key and point. */
export interface LoggedModelMetricRecord {
  runId: string;
  key: string;
  value: number;
  step: number;
  timestamp: number;
}

/** What one server has of a logged model (schema v5). */
export interface ModelSyncRecord {
  /** Set durably before logged-models create goes out (search by client id afterwards). */
  createAttempted: boolean;
  remoteModelId?: string;
  remoteArtifactUri?: string;
  /** runs/outputs links the model to its run on the server. */
  outputSynced?: boolean;
  /** Files uploaded and the model finalized READY (or, on an MLflow 2 server, uploaded under the run). */
  ready?: boolean;
  /** The server refused it for good (see the dead letters); sync no longer tries. */
  abandoned?: boolean;
  /** The server's copy (READY, every file at its size) was checked at this server epoch (see ServerStates). */
  verifiedEpoch?: number;
  /** The first `metricsSynced` of the model's linked metric points were sent with its model_id and acknowledged (or refused). */
  metricsSynced?: number;
  /** The server refused a batch of them for good (see the dead letters): they are no longer sent or checked. */
  metricsRefused?: boolean;
  /** The server refused the params its copy lacked (see the dead letters): they are not sent again. */
  paramsRefused?: boolean;
}

/** A registered model of the local registry (schema v4). */
export interface RegisteredModelRecord {
  name: string;
  creationTime: number;
  lastUpdatedTime: number;
  /** alias → local version number. */
  aliases: Record<string, number>;
}

/** What one server has of a registered model (schema v5). */
export interface RegisteredSyncRecord {
  /** The server has this registered model. */
  remoteCreated?: boolean;
  /** alias → remote version string, as last set on the server. */
  aliasesSynced?: Record<string, string>;
  /** The server has it with these aliases: checked at this server epoch (see ServerStates). */
  verifiedEpoch?: number;
}

export interface ModelVersionRecord {
  name: string;
  version: number;
  /** `models:/<modelId>` of a local logged model. */
  source: string;
  modelId: string;
  runId: string;
  creationTime: number;
  /** Names this version on the server, as a tag, so a retried create finds it. */
  clientId: string;
}

/** What one server has of a model version (schema v5). */
export interface VersionSyncRecord {
  createAttempted: boolean;
  remoteVersion?: string;
  /** The server refused it for good (see the dead letters). */
  abandoned?: boolean;
  /** The server has `remoteVersion`, carrying this version's client id: checked at this server epoch. */
  verifiedEpoch?: number;
}

/** What one server has of an experiment: its id there, and what experiment calls it acknowledged. */
export interface ExperimentSyncRecord {
  remoteId: string;
  /** The experiment's tags and lifecycle as of this seq were verified on the server (see ExperimentRecord.seq). */
  syncedSeq?: number;
  /** The lifecycle stage last set on the server by this store; absent: active. */
  lifecycleSynced?: LifecycleStage;
}

/** What a server has of each kind of local entity (schema v5), keyed by `RemoteKey`. */
export interface RemoteValues {
  run: RunSyncRecord;
  series: SeriesSyncRecord;
  file: { syncedSha256: string };
  /** The server has this dataset input of the run (schema v6; `sub` is name NUL digest). */
  input: { synced: true };
  /** The server has this model input of the run (schema v6; `sub` is the local model id). */
  modelInput: { synced: true };
  experiment: ExperimentSyncRecord;
  model: ModelSyncRecord;
  registered: RegisteredSyncRecord;
  version: VersionSyncRecord;
}
export type RemoteKind = keyof RemoteValues;
/**
 * [state, kind, id, sub]: `state` names one server's sync state (see
 * ServerStates); `id`/`sub` the local entity: a run id; run id and metric
 * key; owner and file path; experiment id; model id; registered model name;
 * name and version.
 */
export type RemoteKey = [state: string, kind: RemoteKind, id: string, sub: string];

/**
 * Which sync state belongs to which server (schema v5), in `meta` under
 * 'servers'. A state is made for a tracking URI when it is first set; once
 * the server answers, its identity (the creation time of its Default
 * experiment, made when its database was) is bound to that state, so two
 * URIs of one server share one state, and a URI whose server's database was
 * replaced gets a new one.
 */
export interface ServerStates {
  byUri: Record<string, string>;
  byIdentity: Record<string, string>;
  /** state → the epoch at which its acknowledged runs, logged models and registry entries must be verified again (bumped when the server lost data). */
  epochs: Record<string, number>;
  /** The state of the tracking URI set now, if one is. */
  current?: string;
  /** state → the server's id of the last run created there: gone means the server lost data. */
  lastRun?: Record<string, string>;
  /** state → the last logged model and registry version created there: gone (or another's) means the server lost data, as for `lastRun`. */
  lastModel?: Record<string, LastModels>;
  /** state → the change sequence up to which every run was looked at: later changes are read from the runs' bySeq index. */
  scanned?: Record<string, number>;
  next: number;
}

/** Counts of what runs hold, the parts of pending sync counts that a write or an acknowledgement changes (see store/pending.ts). */
export interface Tally {
  params: number;
  tags: number;
  metrics: number;
  artifacts: number;
  bytes: number;
}

/** `meta` 'pending': what the store holds, and what each state's server acknowledged of it. */
export interface PendingCounters {
  totals: Tally;
  acked: Record<string, Tally>;
}

/** `meta` 'uploader': which process uploads now, where there are no Web Locks (see store/lease.ts). */
export interface UploaderLease {
  owner: string;
  /** ms since epoch; renewed while the holder uploads. */
  expires: number;
}

export interface LastModels {
  /** The server's id of the last logged model created there. */
  modelId?: string;
  /** The last registry version created there, with the client id it carries. */
  version?: { name: string; version: string; clientId: string };
}

/** Files of a model directory fetched from a server or URL, kept for offline loads (schema v4). */
export interface ModelCacheRecord {
  /** Where the files came from: an `mlflow-artifacts:` URI or an http(s) URL. */
  source: string;
  /** The owner key of the files in `artifacts` (each checked against its own recorded sha256 on read). */
  owner: string;
  /** Cached file → size in bytes. */
  files: Record<string, number>;
  lastUsed: number;
}

/** The last resolution of a model URI that needed the server, for offline loads. */
export interface ModelResolutionRecord {
  uri: string;
  source: string;
  at: number;
}

/**
 * The highest batch of a page's tracker session (one openTracker) that is on
 * disk (schema v5). A session's batches commit in order, so every batch up to
 * `batchNo` is stored or was refused as a whole; see store/journal.ts.
 */
export interface JournalSessionRecord {
  sessionId: string;
  batchNo: number;
  /** When the last batch of the session committed (ms since epoch); the oldest sessions are pruned. */
  committedAt: number;
}

// A type, not an interface: the port's StorageSchema constraint needs its implicit index signature.
export type EdgeDB = {
  meta: { key: string; value: number | string | ServerStates | PendingCounters | UploaderLease };
  experiments: { key: string; value: ExperimentRecord; indexes: { byName: string } };
  runs: {
    key: string;
    value: RunRecord;
    indexes: { byExperiment: string; byExperimentStart: [string, number]; bySeq: number };
  };
  params: { key: [string, string]; value: ParamRecord };
  tags: { key: [string, string]; value: TagRecord };
  series: { key: [string, string]; value: SeriesRecord };
  metricChunks: { key: [string, string, number]; value: ChunkRecord };
  artifacts: { key: [string, string]; value: ArtifactRecord };
  runSync: { key: string; value: RunSyncRecord };
  deadLetters: { key: number; value: DeadLetterRecord };
  loggedModels: { key: string; value: LoggedModelRecord; indexes: { byRunName: [string, string] } };
  registeredModels: { key: string; value: RegisteredModelRecord };
  modelVersions: { key: [string, number]; value: ModelVersionRecord };
  modelCache: { key: string; value: ModelCacheRecord };
  modelResolutions: { key: string; value: ModelResolutionRecord };
  remote: { key: RemoteKey; value: RemoteValues[RemoteKind]; indexes: { byOpen: string } };
  journalSessions: { key: string; value: JournalSessionRecord; indexes: { byCommitted: number } };
  datasetInputs: { key: [string, string, string]; value: DatasetInputRecord };
  modelInputs: { key: [string, string]; value: ModelInputRecord };
};

export type Db = Database<EdgeDB>;
export type StoreName = StoreNames<EdgeDB>;
/** A transaction over some stores, for helpers that run inside their caller's transaction. */
export type WriteTx = Transaction<EdgeDB, StoreName[]>;

/**
 * migrations[i] takes a database from version i to version i + 1. Never edit
 * a shipped migration: databases in users' browsers were built by it.
 */
export const MIGRATIONS: Migrations<EdgeDB> = [
  // v1: the first layout.
  (db) => {
    db.createObjectStore('meta');
    db.createObjectStore('experiments', { keyPath: 'experimentId' }).createIndex('byName', 'name', { unique: true });
    db.createObjectStore('runs', { keyPath: 'runId' }).createIndex('byExperiment', 'experimentId');
    db.createObjectStore('params', { keyPath: ['runId', 'key'] });
    db.createObjectStore('tags', { keyPath: ['runId', 'key'] });
    db.createObjectStore('series', { keyPath: ['runId', 'key'] });
    db.createObjectStore('metricChunks', { keyPath: ['runId', 'key', 'chunkNo'] });
    db.createObjectStore('artifacts', { keyPath: ['runId', 'path'] });
  },
  // v2: runs listed by experiment in start order; series carry the sync watermark.
  async (_db, tx) => {
    tx.objectStore('runs').createIndex('byExperimentStart', ['experimentId', 'startTime']);
    let cursor = await tx.objectStore('series').openCursor();
    while (cursor) {
      const record = cursor.value as SeriesRecord & { syncedCount?: number };
      if (record.syncedCount === undefined) await cursor.update({ ...record, syncedCount: 0 } as SeriesRecord);
      cursor = await cursor.continue();
    }
  },
  // v3: what the remote server has of each run, and refused items.
  (db) => {
    db.createObjectStore('runSync', { keyPath: 'runId' });
    db.createObjectStore('deadLetters', { keyPath: 'id', autoIncrement: true });
  },
  // v4: logged models, the model registry, and the cache of models loaded from servers.
  (db) => {
    db.createObjectStore('loggedModels', { keyPath: 'modelId' }).createIndex('byRunName', ['runId', 'name']);
    db.createObjectStore('registeredModels', { keyPath: 'name' });
    db.createObjectStore('modelVersions', { keyPath: ['name', 'version'] });
    db.createObjectStore('modelCache', { keyPath: 'source' });
    db.createObjectStore('modelResolutions', { keyPath: 'uri' });
  },
  // v5: sync state per server: what v3/v4 kept on the records (for the one
  // server then set) moves to `remote` under state 's0', bound to that URI.
  // And per page session, the highest journaled batch on disk, so a replayed
  // journal never writes a batch twice.
  async (db, tx) => {
    db.createObjectStore('journalSessions', { keyPath: 'sessionId' }).createIndex('byCommitted', 'committedAt');
    // Runs by their last change, and the runs each state has work for: sync reads only those, not every run.
    tx.objectStore('runs').createIndex('bySeq', 'seq');
    db.createObjectStore('remote').createIndex('byOpen', 'openIn');
    const remote = tx.objectStore('remote');
    const uri = await tx.objectStore('meta').get('syncRemote');
    const servers: ServerStates =
      typeof uri === 'string'
        ? { byUri: { [uri]: 's0' }, byIdentity: {}, epochs: {}, current: 's0', next: 1 }
        : { byUri: {}, byIdentity: {}, epochs: {}, next: 1 };
    await tx.objectStore('meta').put(servers, 'servers');
    const put = <K extends RemoteKind>(kind: K, id: string, sub: string, value: RemoteValues[K]) =>
      void remote.put(value, ['s0', kind, id, sub]);
    // Each old store: copy its sync fields (when a server was set), then strip them from the record.
    const each = async (
      name: StoreName,
      move: (value: Record<string, unknown>) => Record<string, unknown> | undefined,
    ) => {
      let cursor = await (tx.objectStore(name) as unknown as ObjectStore<EdgeDB, StoreName>).openCursor();
      while (cursor) {
        const stripped = move(cursor.value as Record<string, unknown>);
        if (stripped !== undefined) await cursor.update(stripped as never);
        cursor = await cursor.continue();
      }
    };
    const keep = typeof uri === 'string';
    await each('runSync', (r) => {
      if (keep) put('run', r.runId as string, '', r as unknown as RunSyncRecord);
      return undefined;
    });
    await tx.objectStore('runSync').clear();
    await each('series', ({ syncedCount, ...s }) => {
      if (keep && typeof syncedCount === 'number' && syncedCount > 0)
        put('series', s.runId as string, s.key as string, { syncedCount });
      return s;
    });
    await each('artifacts', ({ syncedSha256, ...a }) => {
      if (keep && typeof syncedSha256 === 'string') put('file', a.runId as string, a.path as string, { syncedSha256 });
      return a;
    });
    await each('experiments', ({ remoteId, ...e }) => {
      if (keep && typeof remoteId === 'string') put('experiment', e.experimentId as string, '', { remoteId });
      return e;
    });
    await each(
      'loggedModels',
      ({ createAttempted, remoteModelId, remoteArtifactUri, outputSynced, ready, abandoned, ...m }) => {
        if (keep)
          put('model', m.modelId as string, '', {
            createAttempted,
            remoteModelId,
            remoteArtifactUri,
            outputSynced,
            ready,
            abandoned,
          } as ModelSyncRecord);
        return m;
      },
    );
    await each('registeredModels', ({ remoteCreated, aliasesSynced, ...r }) => {
      if (keep) put('registered', r.name as string, '', { remoteCreated, aliasesSynced } as RegisteredSyncRecord);
      return r;
    });
    await each('modelVersions', ({ createAttempted, remoteVersion, abandoned, ...v }) => {
      if (keep)
        put('version', v.name as string, String(v.version), {
          createAttempted,
          remoteVersion,
          abandoned,
        } as VersionSyncRecord);
      return v;
    });
  },
  // v6: the datasets and logged models each run used (MLflow's run inputs).
  (db) => {
    db.createObjectStore('datasetInputs', { keyPath: ['runId', 'name', 'digest'] });
    db.createObjectStore('modelInputs', { keyPath: ['runId', 'modelId'] });
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Key range of every `[runId, …]` key of one run: arrays sort after strings and numbers. */
export function runRange(runId: string): KeyRange {
  return bound([runId], [runId, []]);
}

/** Key range of every version of a registered model. */
export function versionRange(name: string): KeyRange {
  return bound([name, 0], [name, Infinity]);
}

export function seriesRange(runId: string, key: string): KeyRange {
  return bound([runId, key], [runId, key, []]);
}
