// The page's half of the journal: written on hide and pagehide, replayed by the next openTracker.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Remote } from 'comlink';
import { decodeJournal, encodeJournal, journalKey } from '../../../src/client/journal.js';
import type { Tracker } from '../../../src/client/tracker.js';
import type { LogBatch, TrackerWorkerApi } from '../../../src/protocol.js';
import { TrackerService } from '../../../src/worker/service.js';
import { openedPerTest } from '../in-process.js';
import { openRequest } from '../store-location.js';
import { metricColumns } from '../../metric-columns.js';

const tracker = openedPerTest();

async function history(t: Tracker, runId: string) {
  return (await t.getMetricHistory(runId, 'm')).map((p) => p.value);
}

describe('the journal format', () => {
  it('round-trips batches, NaN, ±Infinity and -0 and model links included', () => {
    const batches: LogBatch[] = [
      {
        sessionId: 'abc',
        batchNo: 7,
        runs: [
          {
            runId: 'r'.repeat(32),
            params: [['lr', '0.1']],
            tags: [['t', 'x']],
            metrics: metricColumns({
              keys: ['a', 'b', 'a', 'a', 'b'],
              values: [NaN, Infinity, -Infinity, -0, 1.5],
              steps: [0, 0, 1, 2, 1],
              timestamps: [1, 2, 3, 4, 5],
            }),
            modelLinks: [
              [0, `m-${'a'.repeat(32)}`],
              [4, `m-${'b'.repeat(32)}`],
            ],
          },
          { runId: 's'.repeat(32), tags: [['only', 'tags']] },
        ],
      },
      { sessionId: 'abc', batchNo: 8, runs: [] },
    ];
    const decoded = decodeJournal(encodeJournal('abc', batches));
    expect(decoded).toEqual(batches);
    expect(Object.is(decoded[0]!.runs[0]!.metrics!.values[3], -0)).toBe(true);
  });

  it('refuses text it did not write', () => {
    for (const text of [
      '',
      '{}',
      '[]',
      '{"v":2,"session":"a","batches":[]}',
      '{"v":1,"session":"a","batches":[{"n":"1","runs":[]}]}',
    ]) {
      expect(() => decodeJournal(text)).toThrow();
    }
  });
});

/** A page, as far as the tracker sees one: document visibility, pagehide, and localStorage. */
class FakePage {
  readonly window = new EventTarget();
  readonly document = Object.assign(new EventTarget(), { visibilityState: 'visible' as DocumentVisibilityState });
  readonly items = new Map<string, string>();
  readonly localStorage: Storage = ((items) => ({
    get length() {
      return items.size;
    },
    key: (i: number) => [...items.keys()][i] ?? null,
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, String(v)),
    removeItem: (k: string) => void items.delete(k),
    clear: () => items.clear(),
  }))(this.items);
  install(): void {
    Object.assign(globalThis, {
      document: this.document,
      localStorage: this.localStorage,
      addEventListener: this.window.addEventListener.bind(this.window),
      removeEventListener: this.window.removeEventListener.bind(this.window),
    });
  }
  uninstall(): void {
    for (const name of ['document', 'localStorage', 'addEventListener', 'removeEventListener'])
      delete (globalThis as Record<string, unknown>)[name];
  }
  hide(): void {
    this.document.visibilityState = 'hidden';
    this.document.dispatchEvent(new Event('visibilitychange'));
  }
  unload(): void {
    this.window.dispatchEvent(new Event('pagehide'));
  }
  journals(): string[] {
    return [...this.items.keys()].filter((k) => k.startsWith('mlflow-edge:journal:'));
  }
}
let page: FakePage;
beforeEach(() => {
  page = new FakePage();
});
afterEach(() => page.uninstall());

/**
 * A tracker whose worker dies with the page: its logBatch calls never answer.
 * With `stores`, the worker writes each batch first (it committed, but the
 * answer was lost); without, nothing of them is written.
 */
async function dyingTracker(dbName: string, stores: boolean): Promise<Tracker> {
  const { Tracker } = await import('../../../src/client/tracker.js');
  const service = new TrackerService();
  await service.open(openRequest(dbName));
  const api = new Proxy(service, {
    get(target, name, receiver) {
      if (name === 'logBatch')
        return (b: LogBatch) =>
          (stores ? target.logBatch(b) : Promise.resolve()).then(() => new Promise(() => undefined));
      return Reflect.get(target, name, receiver);
    },
  });
  return new Tracker({ terminate() {} } as unknown as Worker, api as unknown as Remote<TrackerWorkerApi>, {
    dbName,
    flushIntervalMs: 60_000,
    maxBatchItems: 4,
  });
}

describe('the page journal', () => {
  for (const stores of [false, true]) {
    it(`a page that goes away ${stores ? 'after its worker stored the batches but before it answered' : 'before its worker stored anything'} loses nothing and doubles nothing`, async () => {
      page.install();
      const { tracker: first, dbName } = await tracker();
      const { runId } = await first.startRun();
      const dying = await dyingTracker(dbName, stores);
      const run = await dying.startRun({ runId });
      for (let i = 0; i < 10; i++) run.logMetric('m', i, { step: i }); // 2 batches of 4 sent, 2 points buffered
      run.logParam('lr', 0.1);
      run.logMetric('special', NaN);
      page.unload();
      expect(page.journals()).toEqual([
        expect.stringMatching(new RegExp(`^mlflow-edge:journal:${dbName}:[0-9a-f]{32}$`)),
      ]);
      await new Promise((r) => setTimeout(r, 0));

      const { tracker: next } = await tracker({ dbName });
      expect(page.journals()).toEqual([]);
      await next.flush(); // the replay reported nothing
      expect(await history(next, runId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect((await next.getMetricHistory(runId, 'special')).map((p) => p.value)).toEqual([NaN]);
      expect((await next.getRun(runId)).data.params).toEqual({ lr: '0.1' });
      // A second open finds nothing to replay, and stores nothing twice.
      const { tracker: again } = await tracker({ dbName });
      expect(await history(again, runId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });
  }

  it('a hidden page journals; once every batch is answered, hiding again removes the journal, and so does close()', async () => {
    page.install();
    const { tracker: t, dbName } = await tracker({ flushIntervalMs: 60_000 });
    const run = await t.startRun();
    run.logMetric('m', 1);
    page.hide();
    expect(page.journals()).toHaveLength(1);
    const [key] = page.journals();
    expect(decodeJournal(page.items.get(key!)!)).toEqual([
      expect.objectContaining({ batchNo: 1, runs: [expect.objectContaining({ runId: run.runId })] }),
    ]);
    await t.flush();
    page.hide();
    expect(page.journals()).toEqual([]);
    run.logMetric('m', 2);
    page.hide();
    expect(page.journals()).toHaveLength(1);
    await t.close();
    expect(page.journals()).toEqual([]);
    const { tracker: next } = await tracker({ dbName });
    expect(await history(next, run.runId)).toEqual([1, 2]);
  });

  it('a journal that cannot be read is removed and reported as DATA_LOSS at the next flush, without harming stored data', async () => {
    page.install();
    const { tracker: t, dbName } = await tracker();
    const run = await t.startRun();
    run.logMetric('m', 1);
    await t.close();
    page.items.set(journalKey(dbName, 'broken'), '{"v":1,');
    const { tracker: next } = await tracker({ dbName });
    expect(page.journals()).toEqual([]);
    await expect(next.flush()).rejects.toMatchObject({ code: 'DATA_LOSS', name: 'MlflowEdgeError' });
    expect(await history(next, run.runId)).toEqual([1]);
  });

  it('reports replayed items the store refuses at the next flush, typed', async () => {
    page.install();
    const { tracker: t, dbName } = await tracker();
    const run = await t.startRun();
    run.logParam('lr', 0.1);
    await t.flush();
    page.items.set(
      journalKey(dbName, 'old'),
      encodeJournal('old', [{ sessionId: 'old', batchNo: 1, runs: [{ runId: run.runId, params: [['lr', '0.2']] }] }]),
    );
    const { tracker: next } = await tracker({ dbName });
    await expect(next.flush()).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', name: 'MlflowEdgeError' });
    expect((await next.getRun(run.runId)).data.params).toEqual({ lr: '0.1' });
  });
});
