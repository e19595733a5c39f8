import { expect, openLibrary, PAGE_ORIGIN, Profile, test, watchErrors } from './fixtures.js';

test('a full disk rejects flush() and reaches onError; what was stored stays intact', async () => {
  const profile = new Profile();
  const context = await profile.launch();
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = watchErrors(page);
    await openLibrary(page);
    // Chromium reads an origin's quota when its storage is first opened, so
    // the small quota is set before anything is stored; the first data fits.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: PAGE_ORIGIN, quotaSize: 4 * 1024 * 1024 });
    const runId = await page.evaluate(async () => {
      const t = await edge.openTracker({ dbName: 'quota' });
      const run = await t.startRun({ runName: 'before-full' });
      run.logParam('kept', 'yes');
      for (let i = 0; i < 1000; i++) run.logMetric('m', i, { step: i });
      await run.logArtifact('small.txt', 'small');
      await run.flush();
      Object.assign(window, { t, run });
      return run.runId;
    });

    const full = await page.evaluate(async () => {
      const { t, run } = window as unknown as {
        t: Awaited<ReturnType<typeof edge.openTracker>>;
        run: Awaited<ReturnType<Awaited<ReturnType<typeof edge.openTracker>>['startRun']>>;
      };
      const seen: { code?: string | undefined; message: string }[] = [];
      t.onError((e) => seen.push({ code: (e as { code?: string }).code, message: e.message }));
      // Random values do not compress: about 5 MB of values alone.
      for (let i = 0; i < 600_000; i++) run.logMetric('noise', Math.random(), { step: i });
      run.logParam('lost', 'in the failed flush');
      let flushError: { code?: string | undefined; message: string; typed: boolean } | undefined;
      try {
        await run.flush();
      } catch (e) {
        flushError = {
          code: (e as { code?: string }).code,
          message: (e as Error).message,
          typed: e instanceof edge.MlflowEdgeError,
        };
      }
      let artifactError: { code?: string | undefined; typed: boolean; name: string; message: string } | undefined;
      try {
        for (let i = 0; i < 100; i++)
          await run.logArtifact(`big-${i}.bin`, crypto.getRandomValues(new Uint8Array(65_536)).buffer);
      } catch (e) {
        artifactError = {
          code: (e as { code?: string }).code,
          typed: e instanceof edge.MlflowEdgeError,
          name: (e as Error).name,
          message: (e as Error).message,
        };
      }
      return { flushError, artifactError, seen };
    });
    expect(full.flushError).toMatchObject({ code: 'RESOURCE_EXHAUSTED', typed: true });
    expect(full.flushError?.message).toMatch(/storage is full/i);
    expect(full.seen.map((e) => e.code)).toContain('RESOURCE_EXHAUSTED');
    expect(full.artifactError, JSON.stringify(full.artifactError)).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      typed: true,
    });

    // Everything stored before the disk filled up is intact and readable.
    const before = await page.evaluate(async (runId) => {
      const t = await edge.openTracker({ dbName: 'quota' });
      const run = await t.getRun(runId);
      const m = await t.getMetricHistory(runId, 'm');
      const text = await (await t.readArtifact(runId, 'small.txt')).text();
      return { params: run.data.params, n: m.length, text };
    }, runId);
    // Each transaction is all or nothing: later, smaller batches may still fit, so the last
    // param may or may not be stored; what was stored before is intact either way.
    expect({ kept: before.params.kept, n: before.n, text: before.text }).toEqual({
      kept: 'yes',
      n: 1000,
      text: 'small',
    });

    // With room again, logging works again in the same tracker.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: PAGE_ORIGIN });
    const recovered = await page.evaluate(async () => {
      const { t, run } = window as unknown as {
        t: Awaited<ReturnType<typeof edge.openTracker>>;
        run: { logMetric(k: string, v: number): void; flush(): Promise<void>; runId: string };
      };
      run.logMetric('after', 1);
      // Logging the param again stores it if its batch was refused, and is a no-op if it was stored.
      (run as unknown as { logParam(k: string, v: string): void }).logParam('lost', 'in the failed flush');
      await run.flush();
      const data = (await t.getRun(run.runId)).data;
      return { after: data.metrics.after, lost: data.params.lost };
    });
    expect(recovered).toEqual({ after: 1, lost: 'in the failed flush' });
    expect(errors).toEqual([]);
  } finally {
    await context.close();
    profile.remove();
  }
});
