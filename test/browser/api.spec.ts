import { expect, test } from './fixtures.js';

test.describe('the whole API through the worker', () => {
  test('logs, queries and stores artifacts in OPFS', async ({ page }) => {
    const result = await page.evaluate(async () => {
      const tracker = await edge.openTracker({ dbName: 'api', user: 'ada' });
      const parent = await tracker.startRun({ experimentName: 'iris', runName: 'sweep' });
      const run = await tracker.startRun({
        experimentName: 'iris',
        runName: 'child',
        parentRunId: parent.runId,
        tags: { stage: 'dev' },
      });
      run.logParams({ lr: 0.01, epochs: 3 });
      run.setTag('model', 'mlp');
      for (let epoch = 0; epoch < 3; epoch++)
        run.logMetrics({ loss: 1 / (epoch + 1), acc: epoch / 3 }, { step: epoch });
      run.logMetric('weird', NaN);
      run.logMetric('weird', -Infinity, { step: 1 });
      await run.logArtifact('notes/readme.txt', 'hello from the browser');
      await run.logArtifact('weights.bin', new Float32Array([1, 2, 3]).buffer);
      await run.end();
      await parent.end({ status: 'KILLED' });
      const info = await tracker.getRun(run.runId);
      const history = await tracker.getMetricHistory(run.runId, 'loss');
      const weird = await tracker.getMetricHistory(run.runId, 'weird');
      const found = await tracker.searchRuns({
        experimentName: 'iris',
        filter: "params.lr = '0.01' AND metrics.acc > 0.5",
      });
      const ordered = await tracker.searchRuns({ orderBy: ['attributes.run_name ASC'] });
      const root = await tracker.listArtifacts(run.runId);
      const notes = await tracker.listArtifacts(run.runId, 'notes');
      const text = await (await tracker.readArtifact(run.runId, 'notes/readme.txt')).text();
      const weights = Array.from(
        new Float32Array(await (await tracker.readArtifact(run.runId, 'weights.bin')).arrayBuffer()),
      );
      const opfs = await (await navigator.storage.getDirectory()).getDirectoryHandle('mlflow-edge-artifacts');
      const files: string[] = [];
      for await (const name of (
        (await opfs.getDirectoryHandle('api')) as unknown as { keys(): AsyncIterable<string> }
      ).keys())
        files.push(name);
      const storage = await tracker.storage();
      const persisted = await tracker.requestPersistence();
      const experiments = await tracker.listExperiments();
      await tracker.close();
      return {
        runId: run.runId,
        parentId: parent.runId,
        info,
        history,
        weird: weird.map((p) => String(p.value)),
        found: found.map((r) => r.info.runId),
        ordered: ordered.map((r) => r.info.runName),
        root,
        notes,
        text,
        weights,
        files,
        storage,
        persisted,
        experiments,
      };
    });
    expect(result.info.info).toMatchObject({
      runName: 'child',
      status: 'FINISHED',
      experimentName: 'iris',
      userId: 'ada',
    });
    expect(result.info.data.params).toEqual({ lr: '0.01', epochs: '3' });
    expect(result.info.data.tags).toMatchObject({
      stage: 'dev',
      model: 'mlp',
      'mlflow.parentRunId': result.parentId,
      'mlflow.runName': 'child',
      'mlflow.user': 'ada',
      'mlflow.source.type': 'LOCAL',
    });
    expect(result.info.data.tags['mlflow.source.name']).toContain('/test/browser/blank.html');
    expect(result.info.data.metrics.loss).toBeCloseTo(1 / 3);
    expect(result.history.map((p) => [p.step, p.value])).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
    ]);
    expect(result.weird).toEqual(['NaN', '-Infinity']);
    expect(result.found).toEqual([result.runId]);
    expect(result.ordered).toEqual(['child', 'sweep']);
    expect(result.root).toEqual([
      { path: 'notes', isDir: true },
      { path: 'weights.bin', isDir: false, fileSize: 12 },
    ]);
    expect(result.notes).toEqual([{ path: 'notes/readme.txt', isDir: false, fileSize: 22 }]);
    expect(result.text).toBe('hello from the browser');
    expect(result.weights).toEqual([1, 2, 3]);
    expect(result.files).toHaveLength(2); // bytes are in OPFS, not IndexedDB
    expect(result.storage.quota).toBeGreaterThan(0);
    expect(typeof result.storage.persisted).toBe('boolean');
    expect(typeof result.persisted).toBe('boolean');
    expect(result.experiments.map((e) => e.name)).toEqual(['iris']);
  });

  test('sends buffered items on its own within the flush interval', async ({ page }) => {
    const seen = await page.evaluate(async () => {
      const writer = await edge.openTracker({ dbName: 'interval', flushIntervalMs: 50 });
      const reader = await edge.openTracker({ dbName: 'interval' });
      const run = await writer.startRun();
      run.logMetric('m', 42);
      run.logParam('p', 'v');
      const deadline = Date.now() + 5000;
      let data = (await reader.getRun(run.runId)).data;
      while (data.metrics.m === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        data = (await reader.getRun(run.runId)).data;
      }
      return data;
    });
    expect(seen.metrics).toEqual({ m: 42 });
    expect(seen.params).toEqual({ p: 'v' });
  });

  test('every bad input is a typed MlflowEdgeError and the worker stays usable', async ({ page }) => {
    const outcomes = await page.evaluate(async () => {
      const tracker = await edge.openTracker({ dbName: 'bad-input' });
      const run = await tracker.startRun();
      run.logParam('lr', '0.1');
      run.logMetric('kept', 1);
      const ended = await tracker.startRun();
      await ended.end();
      const cases: Record<string, () => unknown> = {
        'metric key with #': () => run.logMetric('a#b', 1),
        'empty key': () => run.logMetric('', 1),
        'key with ..': () => run.logParam('../up', 1),
        'key with //': () => run.setTag('a//b', 1),
        'key too long': () => run.logMetric('k'.repeat(251), 1),
        'metric value a string': () => run.logMetric('m', '1' as never),
        'fractional step': () => run.logMetric('m', 1, { step: 0.5 }),
        'negative timestamp': () => run.logMetric('m', 1, { timestamp: -5 }),
        'param value an object': () => run.logParam('p', {} as never),
        'param value too long': () => run.logParam('p', 'x'.repeat(6001)),
        'tag value too long': () => run.setTag('t', 'x'.repeat(8001)),
        'param changed': () => run.logParam('lr', '0.2'),
        'log to ended run': () => ended.logMetric('m', 1),
        'artifact ..': () => run.logArtifact('../x.txt', 'x'),
        'artifact absolute': () => run.logArtifact('/etc/x', 'x'),
        'artifact #': () => run.logArtifact('a#b', 'x'),
        'artifact control char': () => run.logArtifact('a\u0007b', 'x'),
        'artifact to ended run': () => ended.logArtifact('a.txt', 'x'),
        'unknown run': () => tracker.getRun('0'.repeat(32)),
        'malformed run id': () => tracker.getRun('nope'),
        'resume unknown run': () => tracker.startRun({ runId: 'f'.repeat(32) }),
        'unknown parent': () => tracker.startRun({ parentRunId: 'e'.repeat(32) }),
        'empty experiment name': () => tracker.startRun({ experimentName: '' }),
        'bad filter': () => tracker.searchRuns({ filter: 'metrics.acc ~ 3' }),
        'bad maxResults': () => tracker.searchRuns({ maxResults: 50001 }),
        'missing artifact': () => tracker.readArtifact(run.runId, 'nope.txt'),
      };
      const out = await errorsOf(cases);
      await run.flush();
      const after = await tracker.getRun(run.runId);
      return { out, params: after.data.params, metrics: after.data.metrics };
    });
    const expected: Record<string, string> = {
      'unknown run': 'RESOURCE_DOES_NOT_EXIST',
      'resume unknown run': 'RESOURCE_DOES_NOT_EXIST',
      'unknown parent': 'RESOURCE_DOES_NOT_EXIST',
      'missing artifact': 'RESOURCE_DOES_NOT_EXIST',
      'log to ended run': 'INVALID_STATE',
      'artifact to ended run': 'INVALID_STATE',
    };
    for (const [name, outcome] of Object.entries(outcomes.out)) {
      expect(outcome.typed, `${name}: ${outcome.message}`).toBe(true);
      expect(outcome.code, name).toBe(expected[name] ?? 'INVALID_PARAMETER_VALUE');
      expect(outcome.message.length, name).toBeGreaterThan(30);
    }
    expect(outcomes.params).toEqual({ lr: '0.1' });
    expect(outcomes.metrics).toEqual({ kept: 1 });
  });

  test('a large Blob artifact streams into OPFS and reads back intact', async ({ page }) => {
    const result = await page.evaluate(async () => {
      const t = await edge.openTracker({ dbName: 'big-artifact' });
      const run = await t.startRun();
      const part = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 31) % 251);
      const blob = new Blob(Array.from({ length: 12 }, () => part)); // 48 MiB, many stream chunks
      const info = await run.logArtifact('data/big.bin', blob);
      const back = await t.readArtifact(run.runId, 'data/big.bin');
      const bytes = new Uint8Array(await back.arrayBuffer());
      const digest = async (b: BufferSource) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', b))].join(',');
      const same = (await digest(bytes)) === (await digest(new Uint8Array(await blob.arrayBuffer())));
      await t.close();
      return { size: info.fileSize, backSize: bytes.length, same };
    });
    expect(result).toEqual({ size: 48 * 1024 * 1024, backSize: 48 * 1024 * 1024, same: true });
  });
});
