/**
 * The page journal: what a tracker has logged and the worker has not yet
 * acknowledged, written synchronously to localStorage when the page may be
 * going away (pagehide, hidden), one key per tracker session:
 * `mlflow-edge:journal:<dbName>:<sessionId>`. The next openTracker of the
 * same database hands every journal of it to the worker and removes them.
 *
 * Invariants:
 * - Written only on pagehide and on hiding, never per log call: the logging
 *   hot path pays nothing for it.
 * - A journal holds whole batches with their (sessionId, batchNo), and every
 *   unacknowledged batch of its session, in order. The store skips a batch it
 *   has (store/journal.ts), so replaying a journal whose batches the worker
 *   did store after all, or one of a tab that is still open, changes nothing.
 * - A journal is removed only if it still holds the text that was replayed:
 *   one its tab rewrote in the meantime stays for the next open.
 */
import type { LogBatch, RunBatch } from '../protocol.js';

const PREFIX = 'mlflow-edge:journal:';
const FORMAT = 1;

/** localStorage when this context has a usable one (not in workers, sandboxed frames, or where storage is blocked). */
export function journalStorage(): Storage | undefined {
  try {
    const storage = (globalThis as { localStorage?: Storage }).localStorage;
    if (storage === undefined || storage === null) return undefined;
    void storage.length; // throws where storage is blocked
    return storage;
  } catch {
    return undefined;
  }
}

/** A tracker session id: 128 random bits as hex (crypto.randomUUID needs a secure context; this does not). */
export function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** dbName is encoded, so no database's prefix is a prefix of another's. */
const dbPrefix = (dbName: string) => `${PREFIX}${encodeURIComponent(dbName)}:`;

export function journalKey(dbName: string, sessionId: string): string {
  return dbPrefix(dbName) + sessionId;
}

/**
 * Writes `batches` (all unacknowledged batches of the session, in order) under
 * `key`, or removes the key when there are none. Returns false when storage
 * refused (quota, blocked): the previous journal of the session, if any, stays.
 */
export function saveJournal(storage: Storage, key: string, sessionId: string, batches: readonly LogBatch[]): boolean {
  try {
    if (batches.length === 0) storage.removeItem(key);
    else storage.setItem(key, encodeJournal(sessionId, batches));
    return true;
  } catch {
    return false;
  }
}

export interface StoredJournal {
  key: string;
  /** The stored text, to remove the key only if nobody rewrote it. */
  text: string;
  batches: LogBatch[];
}

/** Every journal of `dbName`; ones that cannot be parsed are listed apart (by key and text). */
export function readJournals(
  storage: Storage,
  dbName: string,
): { journals: StoredJournal[]; corrupt: { key: string; text: string }[] } {
  const prefix = dbPrefix(dbName);
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key?.startsWith(prefix)) keys.push(key);
  }
  const journals: StoredJournal[] = [];
  const corrupt: { key: string; text: string }[] = [];
  for (const key of keys) {
    const text = storage.getItem(key);
    if (text === null) continue;
    try {
      journals.push({ key, text, batches: decodeJournal(text) });
    } catch {
      corrupt.push({ key, text });
    }
  }
  return { journals, corrupt };
}

/** Removes `key` if it still holds `text`. */
export function removeJournal(storage: Storage, key: string, text: string): void {
  try {
    if (storage.getItem(key) === text) storage.removeItem(key);
  } catch {
    // Blocked storage: the journal stays and is replayed (and skipped) again.
  }
}

/*
 * The format: JSON, with each run's metric keys as a dictionary plus
 * indexes (a journal may hold many thousands of points), as the batch
 * carries them, and values that JSON has no number for (NaN, ±Infinity,
 * -0) written as strings.
 */
interface WireJournal {
  v: typeof FORMAT;
  session: string;
  batches: { n: number; runs: WireRun[] }[];
}
interface WireRun {
  id: string;
  p?: [string, string][];
  t?: [string, string | null][];
  m?: { k: string[]; i: number[]; v: (number | string)[]; s: number[]; ts: number[] };
  /** modelLinks (optional, so journals written before it read unchanged). */
  l?: [number, string][];
}

export function encodeJournal(sessionId: string, batches: readonly LogBatch[]): string {
  const wire: WireJournal = {
    v: FORMAT,
    session: sessionId,
    batches: batches.map((b) => ({ n: b.batchNo!, runs: b.runs.map(encodeRun) })),
  };
  return JSON.stringify(wire);
}

function encodeRun(run: RunBatch): WireRun {
  const out: WireRun = { id: run.runId };
  if (run.params !== undefined) out.p = run.params;
  if (run.tags !== undefined) out.t = run.tags;
  const m = run.metrics;
  if (m !== undefined) {
    const v = Array.from(m.values, (x) =>
      Number.isFinite(x) && !Object.is(x, -0) ? x : Object.is(x, -0) ? '-0' : String(x),
    );
    out.m = { k: m.keys, i: Array.from(m.keyIndexes), v, s: Array.from(m.steps), ts: Array.from(m.timestamps) };
  }
  if (run.modelLinks !== undefined) out.l = run.modelLinks;
  return out;
}

/** The batches of a journal, each with its sessionId and batchNo; throws on anything not written by encodeJournal. */
export function decodeJournal(text: string): LogBatch[] {
  const wire = JSON.parse(text) as WireJournal;
  if (wire?.v !== FORMAT || typeof wire.session !== 'string' || !Array.isArray(wire.batches))
    throw new Error('not a journal');
  return wire.batches.map((b) => {
    if (!Number.isSafeInteger(b?.n) || !Array.isArray(b.runs)) throw new Error('not a journal batch');
    return { sessionId: wire.session, batchNo: b.n, runs: b.runs.map(decodeRun) };
  });
}

function decodeRun(run: WireRun): RunBatch {
  if (typeof run?.id !== 'string') throw new Error('not a journal run');
  const out: RunBatch = { runId: run.id };
  if (run.p !== undefined) out.params = run.p;
  if (run.t !== undefined) out.tags = run.t;
  const m = run.m;
  if (m !== undefined) {
    if (![m.k, m.i, m.v, m.s, m.ts].every(Array.isArray)) throw new Error('not journal metrics');
    out.metrics = {
      keys: m.k,
      keyIndexes: Uint32Array.from(m.i),
      values: Float64Array.from(m.v, (x) => (typeof x === 'string' ? Number(x) : x)),
      steps: Float64Array.from(m.s),
      timestamps: Float64Array.from(m.ts),
    };
  }
  if (run.l !== undefined) {
    if (!Array.isArray(run.l)) throw new Error('not journal model links');
    out.modelLinks = run.l;
  }
  return out;
}
