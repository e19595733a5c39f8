/**
 * Pending counts kept incrementally (store/pending.ts) always equal what a
 * full reading of the store says: random mixes of logging, replacing tags
 * and files, resuming and ending runs, syncing through servers that lose
 * data, and switching servers, checked after every step.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Remote } from 'comlink';
import { Tracker } from '../../../src/client/tracker.js';
import type { SyncCounts, TrackerWorkerApi } from '../../../src/protocol.js';
import type { Run } from '../../../src/client/run.js';
import { openDatabase } from '../../../src/store/open.js';
import { recountPending } from '../../../src/store/pending.js';
import { currentState } from '../../../src/store/remote-state.js';
import { pendingModels } from '../../../src/store/model-sync-state.js';
import { ackVerified, pendingRuns } from '../../../src/store/sync-state.js';
import { countPending } from '../../../src/sync/progress.js';
import { TrackerService } from '../../../src/worker/service.js';
import { ScriptedMlflow } from '../scripted-mlflow.js';
import { storeLocation, openRequest } from '../store-location.js';
import { mulberry32 } from '../../seeded.js';

const FAST = { attempts: 2, baseMs: 1, capMs: 2 };
let counter = 0;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup.length = 0;
});

async function open(trackingUri: string, dbName: string): Promise<Tracker> {
  const service = new TrackerService(FAST);
  await service.open(openRequest(dbName, { remote: { trackingUri, autoSync: false } }));
  const t = new Tracker({ terminate() {} } as unknown as Worker, service as unknown as Remote<TrackerWorkerApi>, {
    dbName,
  });
  cleanup.push(() => t.close().catch(() => undefined));
  return t;
}

/** What a full reading of the store says is pending for the current server. */
async function truth(dbName: string): Promise<SyncCounts> {
  const db = await openDatabase(storeLocation(dbName));
  try {
    const state = (await currentState(db)) ?? '';
    return countPending(await pendingRuns(db, state, false), await pendingModels(db, state));
  } finally {
    db.close();
  }
}

async function recounted(dbName: string) {
  const db = await openDatabase(storeLocation(dbName));
  try {
    const stored = await db.get('meta', 'pending');
    return { stored, recount: await recountPending(db) };
  } finally {
    db.close();
  }
}

describe('pending counts kept with every write and acknowledgement', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`equal a full recount after every step (seed ${seed})`, async () => {
      const rand = mulberry32(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const a = new ScriptedMlflow('a.test');
      const b = new ScriptedMlflow('b.test');
      globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) =>
        ((new URL(String(input)).host === 'a.test' ? a : b) as unknown as { handle: typeof fetch }).handle(
          input,
          init,
        )) as typeof fetch;
      cleanup.push(() => {
        a.stop();
        b.stop();
      });
      const dbName = `pending-${process.pid}-${++counter}`;
      let t = await open(a.url, dbName);
      const runs: Run[] = [];
      const ended = new Set<Run>();
      const steps: string[] = [];
      for (let i = 0; i < 80; i++) {
        const live = runs.filter((r) => !ended.has(r));
        const op = pick([
          'start',
          'params',
          'tags',
          'metrics',
          'file',
          'end',
          'resume',
          'sync',
          'sync',
          'lose',
          'switch',
          'reopen',
          'sync while logging',
          'sync while logging',
        ] as const);
        steps.push(op);
        const run = live.length > 0 ? pick(live) : undefined;
        switch (op) {
          case 'start':
            runs.push(await t.startRun({ experimentName: pick(['e1', 'e2']), tags: { origin: `step ${i}` } }));
            break;
          case 'params':
            run?.logParams({ [`p${Math.floor(rand() * 4)}`]: 'same', [`q${i}`]: i });
            break;
          case 'tags':
            run?.setTags({ [`t${Math.floor(rand() * 3)}`]: `v${i}` }); // often replaces an earlier value
            break;
          case 'metrics':
            for (let s = 0; s < 1 + Math.floor(rand() * 30); s++)
              run?.logMetrics({ loss: rand(), [`m${Math.floor(rand() * 3)}`]: s }, { step: s });
            break;
          case 'file':
            await run?.logArtifact(pick(['a.txt', 'd/b.txt', 'c.txt']), 'x'.repeat(1 + Math.floor(rand() * 50)));
            break;
          case 'end':
            await run?.end({ status: pick(['FINISHED', 'FAILED'] as const) });
            if (run !== undefined) ended.add(run);
            break;
          case 'resume': {
            const done = runs.filter((r) => ended.has(r));
            const old = done.length > 0 ? pick(done) : undefined;
            if (old !== undefined)
              runs[runs.indexOf(old)] = await t.startRun({ runId: old.runId, tags: { resumed: `at ${i}` } });
            break;
          }
          case 'sync':
            await t.sync().catch(() => undefined);
            break;
          case 'sync while logging': {
            // Writes land between the pass's reading and its acknowledgements: replaced tags, new points, a new file.
            const pass = t.sync().catch(() => undefined);
            for (let k = 0; k < 6 && run !== undefined; k++) {
              run.setTags({ t0: `during ${i}.${k}`, t1: `during ${i}.${k}` });
              run.logMetric('loss', rand(), { step: 100 + k });
              await t.flush();
              if (k === 3) await run.logArtifact('a.txt', `during ${i}`);
              await new Promise((r) => setTimeout(r, Math.floor(rand() * 3)));
            }
            await pass;
            break;
          }
          case 'lose': {
            const s = pick([a, b]);
            if (rand() < 0.5) s.dropParams.add(`q${i - 1}`);
            else s.wipe();
            break;
          }
          case 'switch':
            await t.setRemote({ trackingUri: pick([a, b]).url, autoSync: false });
            break;
          case 'reopen':
            await t.close();
            t = await open(pick([a, b]).url, dbName);
            runs.length = 0; // handles of a closed tracker are closed
            break;
        }
        await t.flush();
        const { stored, recount } = await recounted(dbName);
        expect(stored, `after ${steps.join(', ')}`).toEqual(recount);
        const status = (await t.syncStatus()).pending;
        const full = await truth(dbName);
        expect({ ...status, runs: 0 }, `after ${steps.join(', ')}`).toEqual({ ...full, runs: 0 });
        if (op === 'sync') expect(status.runs, `after ${steps.join(', ')}`).toBe(full.runs);
        else expect(status.runs).toBeGreaterThanOrEqual(full.runs);
      }
    });
  }

  it('a store without counters (from before them) or with damaged ones is recounted once, at the next status', async () => {
    const s = new ScriptedMlflow('a.test');
    cleanup.push(() => s.stop());
    const dbName = `pending-${process.pid}-${++counter}`;
    const t = await open(s.url, dbName);
    const run = await t.startRun({ experimentName: 'e' });
    run.logParams({ a: 1, b: 2 });
    run.logMetric('m', 1);
    await t.flush();
    const db = await openDatabase(storeLocation(dbName));
    await db.delete('meta', 'pending');
    db.close();
    // Tags: the four of the run context (name, user, source name and type) and this one.
    run.setTag('after', 'deletion'); // written while there are no counters: not counted, the recount will
    await t.flush();
    expect((await t.syncStatus()).pending).toMatchObject({ runs: 1, params: 2, tags: 5, metrics: 1 });
    const db2 = await openDatabase(storeLocation(dbName));
    await db2.put('meta', { totals: { params: -1 } } as never, 'pending');
    db2.close();
    expect((await t.syncStatus()).pending).toMatchObject({ runs: 1, params: 2, tags: 5, metrics: 1 });
    await t.sync();
    expect((await t.syncStatus()).pending).toMatchObject({ runs: 0, params: 0, tags: 0, metrics: 0 });
  });
});

describe('a run written while sync looks at it stays open (counted as pending)', () => {
  async function setup() {
    const s = new ScriptedMlflow('a.test');
    cleanup.push(() => s.stop());
    const dbName = `pending-${process.pid}-${++counter}`;
    const t = await open(s.url, dbName);
    const run = await t.startRun({ experimentName: 'e' });
    run.logParam('a', 1);
    await run.end();
    await t.sync();
    const db = await openDatabase(storeLocation(dbName));
    cleanup.push(() => db.close());
    const state = (await currentState(db))!;
    return { t, db, state, runId: run.runId };
  }

  it('verified with the seq it was read at: a later write keeps it open', async () => {
    const { db, state, runId } = await setup();
    const seqAtLook = (await db.get('runs', runId))!.seq;
    await db.put('remote', { runId, createAttempted: true, syncedSeq: 0, openIn: state }, [state, 'run', runId, '']);
    await db.put('runs', { ...(await db.get('runs', runId))!, seq: seqAtLook + 1 });
    await ackVerified(db, state, runId, 0, seqAtLook);
    expect(await db.countFromIndex('remote', 'byOpen', state)).toBe(1);
    await ackVerified(db, state, runId, 0, seqAtLook + 1);
    expect(await db.countFromIndex('remote', 'byOpen', state)).toBe(0);
  });

  it('a look that found nothing to do does not close a run written after its reading', async () => {
    const { db, state, runId } = await setup();
    // Whichever comes first, the look's reading or the write, the run ends open: the write left a param to upload.
    for (let delay = 0; delay < 24; delay++) {
      const synced = (await db.get('remote', [state, 'run', runId, ''])) as object;
      await db.put('remote', { ...synced, openIn: state } as never, [state, 'run', runId, '']); // open, with nothing left to do
      const look = pendingRuns(db, state, true);
      for (let i = 0; i < delay; i++) await new Promise((r) => setImmediate(r));
      const tx = db.transaction(['runs', 'params'], 'readwrite');
      const run = (await tx.objectStore('runs').get(runId))!;
      void tx.objectStore('runs').put({ ...run, seq: run.seq + 1e6 });
      void tx.objectStore('params').put({ runId, key: `late${delay}`, value: 'x', seq: run.seq + 1e6 });
      await tx.done;
      await look;
      expect(await db.countFromIndex('remote', 'byOpen', state), `delay ${delay}`).toBe(1);
      await db.put('remote', { ...synced, syncedSeq: run.seq + 1e6 } as never, [state, 'run', runId, '']);
    }
  });
});
