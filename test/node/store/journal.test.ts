// The store's half of the page journal: each (sessionId, batchNo) is written once.
import { describe, expect, it } from 'vitest';
import type { Tracker } from '../../../src/client/tracker.js';
import type { LogBatch } from '../../../src/protocol.js';
import { openDatabase } from '../../../src/store/open.js';
import { KEEP_SESSIONS, pruneSessions } from '../../../src/store/journal.js';
import { TrackerService } from '../../../src/worker/service.js';
import { openedPerTest } from '../in-process.js';
import { storeLocation, openRequest } from '../store-location.js';
import { metricColumns } from '../../metric-columns.js';

const tracker = openedPerTest();

const batch = (runId: string, sessionId: string, batchNo: number, values: number[]): LogBatch => ({
  sessionId,
  batchNo,
  runs: [
    {
      runId,
      metrics: metricColumns({
        keys: values.map(() => 'm'),
        values,
        steps: values.map((_, i) => i),
        timestamps: values.map(() => 1000),
      }),
    },
  ],
});

async function history(t: Tracker, runId: string) {
  return (await t.getMetricHistory(runId, 'm')).map((p) => p.value);
}

describe('the worker writes each journaled batch once', () => {
  it('skips a batch of a session it has stored, however often it comes again', async () => {
    const { tracker: t, service } = await tracker();
    const { runId } = await t.startRun();
    expect(await service.logBatch(batch(runId, 's1', 1, [1, 2]))).toEqual({ rejected: [] });
    expect(await service.logBatch(batch(runId, 's1', 1, [1, 2]))).toEqual({ rejected: [], duplicate: true });
    expect(await service.logBatch(batch(runId, 's1', 2, [3]))).toEqual({ rejected: [] });
    // Another session's batch 1 is another batch.
    expect(await service.logBatch(batch(runId, 's2', 1, [4]))).toEqual({ rejected: [] });
    expect(await history(t, runId)).toEqual([1, 2, 3, 4]);

    const journal = [batch(runId, 's1', 1, [1, 2]), batch(runId, 's1', 2, [3]), batch(runId, 's1', 3, [5])];
    expect(await service.replayJournal(journal)).toEqual({ replayed: 1, skipped: 2, rejected: [] });
    expect(await service.replayJournal(journal)).toEqual({ replayed: 0, skipped: 3, rejected: [] });
    expect(await history(t, runId)).toEqual([1, 2, 3, 4, 5]);
  });

  it('skips the second copy of a batch when both arrive in one group commit', async () => {
    const { tracker: t, service } = await tracker();
    const { runId } = await t.startRun();
    const results = await Promise.all([
      service.logBatch(batch(runId, 's', 1, [1])),
      service.replayJournal([batch(runId, 's', 1, [1]), batch(runId, 's', 2, [2])]),
      service.logBatch(batch(runId, 's', 2, [2])),
    ]);
    expect(results).toEqual([
      { rejected: [] },
      { replayed: 1, skipped: 1, rejected: [] },
      { rejected: [], duplicate: true },
    ]);
    expect(await history(t, runId)).toEqual([1, 2]);
  });

  it('two workers replaying the same journal at once store it once', async () => {
    const { tracker: t, service, dbName } = await tracker();
    const { runId } = await t.startRun();
    const other = new TrackerService();
    await other.open(openRequest(dbName));
    const journal = [1, 2, 3].map((n) => batch(runId, 'gone', n, [n]));
    const [a, b] = await Promise.all([service.replayJournal(journal), other.replayJournal(journal)]);
    expect(a.replayed + b.replayed).toBe(3);
    expect(a.skipped + b.skipped).toBe(3);
    await other.close();
    expect(await history(t, runId)).toEqual([1, 2, 3]);
  });

  it('a batch refused as a whole counts as written: its replay is skipped and reports nothing new', async () => {
    const { tracker: t, service } = await tracker();
    const run = await t.startRun();
    await run.end();
    const refused = await service.logBatch(batch(run.runId, 's', 1, [1]));
    expect(refused.rejected).toEqual([expect.objectContaining({ code: 'INVALID_STATE' })]);
    expect(await service.replayJournal([batch(run.runId, 's', 1, [1])])).toEqual({
      replayed: 0,
      skipped: 1,
      rejected: [],
    });
  });

  it('refuses malformed session fields with BAD_REQUEST', async () => {
    const { tracker: t, service } = await tracker();
    const { runId } = await t.startRun();
    for (const bad of [
      { sessionId: 's' },
      { batchNo: 1 },
      { sessionId: '', batchNo: 1 },
      { sessionId: 's', batchNo: 0 },
      { sessionId: 's', batchNo: 1.5 },
      { sessionId: 7, batchNo: 1 },
    ]) {
      await expect(service.logBatch({ runs: [], ...bad } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    await expect(service.replayJournal([{ runs: [] }])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.replayJournal(null as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await history(t, runId)).toEqual([]);
  });

  it('keeps the marks of the sessions that committed last', async () => {
    const { tracker: t, service, dbName } = await tracker();
    const { runId } = await t.startRun();
    for (let s = 0; s < 8; s++) await service.logBatch(batch(runId, `s${s}`, s + 1, [s]));
    const db = await openDatabase(storeLocation(dbName));
    expect(await pruneSessions(db)).toBe(0); // far fewer than KEEP_SESSIONS
    expect(KEEP_SESSIONS).toBeGreaterThan(8);
    expect(await pruneSessions(db, 3)).toBe(5);
    expect((await db.getAll('journalSessions')).map((r) => [r.sessionId, r.batchNo]).sort()).toEqual([
      ['s5', 6],
      ['s6', 7],
      ['s7', 8],
    ]);
    db.close();
  });
});

describe('schema v5', () => {
  it('a version-4 database gains the journal marks store on open', async () => {
    const db4 = await openDatabase(storeLocation('journal-v4'), { version: 4 });
    expect([...db4.objectStoreNames]).not.toContain('journalSessions');
    db4.close();
    const db = await openDatabase(storeLocation('journal-v4'));
    expect([...db.objectStoreNames]).toContain('journalSessions');
    db.close();
  });
});
