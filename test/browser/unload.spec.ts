import { BLANK, expect, openLibrary, Profile, test, watchErrors } from './fixtures.js';
import type { Page } from '@playwright/test';

// What a page logged right before it went away (a navigation, a closed tab)
// is on disk after a reload, exactly once: the tracker journals what the
// worker has not acknowledged on pagehide, and the next openTracker replays it.

const POINTS = 60_000;

/**
 * Logs POINTS metric points, params and tags without awaiting anything;
 * returns the run id. The points go to the worker in batches of 500 as they
 * are logged; the items logged last wait on the page (a long flush
 * interval), so the page certainly has something to journal when it goes.
 */
async function logWithoutFlush(page: Page, dbName: string): Promise<string> {
  await page.evaluate(async (dbName) => {
    const tracker = await edge.openTracker({ dbName, flushIntervalMs: 60_000 });
    const run = await tracker.startRun({ runName: 'unload' });
    run.logParam('before', 'start');
    await run.flush();
    Object.assign(window, { tracker, run });
  }, dbName);
  return page.evaluate((points) => {
    const { run } = window as unknown as { run: import('../../src/index.js').Run };
    for (let i = 0; i < points; i++) run.logMetric('m', i, { step: i, timestamp: 1_700_000_000_000 + i });
    run.logMetric('special', NaN, { step: 0 });
    run.logMetric('special', -Infinity, { step: 1 });
    run.logParams({ lr: 0.1, last: 'yes' });
    run.setTag('phase', 'leaving');
    return run.runId;
  }, POINTS);
}

/** The journals in this origin's localStorage of a database. */
const journals = (page: Page, dbName: string) =>
  page.evaluate(
    (prefix) => Object.keys(localStorage).filter((key) => key.startsWith(prefix)).length,
    `mlflow-edge:journal:${dbName}:`,
  );

/** What the store holds of that run, read through a fresh tracker. */
async function readBack(page: Page, dbName: string, runId: string) {
  return page.evaluate(
    async ({ dbName, runId }) => {
      const tracker = await edge.openTracker({ dbName });
      const run = await tracker.getRun(runId);
      const { steps, values } = await tracker.getMetricHistoryColumns(runId, 'm');
      let exact = steps.length === values.length;
      for (let i = 0; i < steps.length && exact; i++) exact = steps[i] === i && values[i] === i;
      const special = (await tracker.getMetricHistory(runId, 'special')).map((p) => String(p.value));
      await tracker.flush(); // no error reported from the replay
      await tracker.close();
      return {
        n: steps.length,
        exact,
        special,
        params: run.data.params,
        phase: run.data.tags.phase,
        status: run.info.status,
      };
    },
    { dbName, runId },
  );
}

const expected = {
  n: POINTS,
  exact: true,
  special: ['NaN', '-Infinity'],
  params: { before: 'start', lr: '0.1', last: 'yes' },
  phase: 'leaving',
  status: 'RUNNING',
};

test('items logged just before a navigation are stored exactly once after it', async ({ page }) => {
  const runId = await logWithoutFlush(page, 'unload-navigate');
  await page.evaluate((url) => {
    location.href = url;
  }, `${BLANK}?after`);
  await page.waitForURL(/\?after$/);
  await openLibrary(page, '/dist/index.js', `${BLANK}?after`);
  expect(await journals(page, 'unload-navigate')).toBe(1);
  expect(await readBack(page, 'unload-navigate', runId)).toEqual(expected);
  expect(await journals(page, 'unload-navigate')).toBe(0);
  // Opening again replays nothing twice.
  expect(await readBack(page, 'unload-navigate', runId)).toEqual(expected);
});

test('items logged just before the tab closes are stored exactly once, and stay after a browser restart', async () => {
  const profile = new Profile();
  try {
    let context = await profile.launch();
    let page = context.pages()[0] ?? (await context.newPage());
    const errors = watchErrors(page);
    await openLibrary(page);
    const runId = await logWithoutFlush(page, 'unload-close');
    await Promise.all([page.waitForEvent('close'), page.close({ runBeforeUnload: true })]);
    expect(errors).toEqual([]);

    page = await context.newPage();
    const after = watchErrors(page);
    await openLibrary(page);
    expect(await journals(page, 'unload-close')).toBe(1);
    expect(await readBack(page, 'unload-close', runId)).toEqual(expected);
    expect(await journals(page, 'unload-close')).toBe(0);
    expect(after).toEqual([]);
    await context.close();

    context = await profile.launch();
    page = context.pages()[0] ?? (await context.newPage());
    await openLibrary(page);
    expect(await readBack(page, 'unload-close', runId)).toEqual(expected);
    await context.close();
  } finally {
    profile.remove();
  }
});

test('a journal of a tab that is still open, replayed by another tab, stores nothing twice', async ({
  page,
  context,
}) => {
  const runId = await logWithoutFlush(page, 'unload-alive');
  // The first tab is hidden, not closed: it journals, and its worker goes on storing.
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  expect(await journals(page, 'unload-alive')).toBe(1);
  const second = await context.newPage();
  const errors = watchErrors(second);
  await openLibrary(second);
  // Opening replays the first tab's journal while that tab's own batches may still be on their way.
  await second.evaluate(async () => {
    const tracker = await edge.openTracker({ dbName: 'unload-alive' });
    await tracker.close();
  });
  await page.evaluate(async () => {
    const { tracker } = window as unknown as { tracker: import('../../src/index.js').Tracker };
    await tracker.flush();
    await tracker.close();
  });
  expect(await readBack(second, 'unload-alive', runId)).toEqual(expected);
  expect(await journals(second, 'unload-alive')).toBe(0);
  expect(errors).toEqual([]);
});

test('journal keys are per database: opening one database leaves the journals of another', async ({ page }) => {
  await logWithoutFlush(page, 'unload-a');
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  expect(await journals(page, 'unload-a')).toBe(1);
  await page.evaluate(async () => {
    const other = await edge.openTracker({ dbName: 'unload-a:b' });
    await other.close();
  });
  expect(await journals(page, 'unload-a')).toBe(1);
});
