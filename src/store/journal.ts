/**
 * The store's half of the page journal (client/journal.ts): per tracker
 * session, the highest batch on disk, raised in the transaction that writes
 * the batch. A batch at or below it is skipped, so a journal replayed once,
 * twice, or by two tabs at once stores each batch once.
 *
 * A session's batches reach the store in order (one page, one message
 * channel, one writer queue; a replay sends them in order too), so "highest"
 * is enough: every batch below it was written or refused as a whole.
 *
 * Pruning keeps the KEEP_SESSIONS sessions that committed last. That is safe
 * because every openTracker replays (and removes) every journal of its
 * database before the tracker logs anything: a journal left unreplayed
 * belongs to a session that logged after the last open, hence one of the
 * newest sessions, never a pruned one.
 */
import type { Db, WriteTx } from './schema.js';

export const KEEP_SESSIONS = 200;

/** The highest batch on disk of each session, read in the caller's transaction. */
export async function committedBatches(tx: WriteTx, sessions: readonly string[]): Promise<Map<string, number>> {
  const store = tx.objectStore('journalSessions');
  const records = await Promise.all(sessions.map((id) => store.get(id)));
  const committed = new Map<string, number>();
  for (const record of records) if (record !== undefined) committed.set(record.sessionId, record.batchNo);
  return committed;
}

/** Raises each session's mark to `batchNo`, in the transaction that writes those batches. */
export function recordCommitted(tx: WriteTx, commits: ReadonlyMap<string, number>, now: number): void {
  const store = tx.objectStore('journalSessions');
  for (const [sessionId, batchNo] of commits) void store.put({ sessionId, batchNo, committedAt: now });
}

/** Forgets all but the `keep` sessions that committed last; returns how many it forgot. */
export async function pruneSessions(db: Db, keep = KEEP_SESSIONS): Promise<number> {
  const excess = (await db.count('journalSessions')) - keep;
  if (excess <= 0) return 0;
  const tx = db.transaction('journalSessions', 'readwrite');
  let cursor = await tx.store.index('byCommitted').openCursor();
  let deleted = 0;
  while (cursor !== null && deleted < excess) {
    void cursor.delete();
    deleted++;
    cursor = await cursor.continue();
  }
  await tx.done;
  return deleted;
}
