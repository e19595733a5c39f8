/**
 * Runs look like MLflow Python's (its DefaultRunContext): `mlflow.user`,
 * `mlflow.source.name` (never ending in '/', since MLflow's UI shows the text
 * after the last '/') and `mlflow.source.type` LOCAL; run names in MLflow's
 * generator style. Node's own defaults (OS user, main script) are checked by
 * running a script against the built library.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pageSourceName } from '../../../src/client/run-context.js';
import { openTracker as openEdge } from '../../../src/edge.js';
import { generateRunName } from '../../../src/schema/run-names.js';
import { buildCli, ROOT } from '../cli-run.js';
import { openedPerTest } from '../in-process.js';
import { rejection } from '../typed-errors.js';

const tracker = openedPerTest();
/** What MLflow's UI shows in the Source column of a LOCAL run (its Utils.baseName). */
const shownInUi = (source: string) => source.split('/').at(-1);

describe('a page names its runs by its URL', () => {
  it.each([
    ['https://demo.example/iris/', 'https://demo.example/iris', 'iris'],
    ['https://demo.example/iris/train.html?token=secret#top', 'https://demo.example/iris/train.html', 'train.html'],
    ['https://demo.example/', 'https://demo.example', 'demo.example'],
    ['http://localhost:5173/', 'http://localhost:5173', 'localhost:5173'],
    ['https://u:p@demo.example/a//', 'https://demo.example/a', 'a'],
    ['file:///home/ada/demo/index.html', 'file:///home/ada/demo/index.html', 'index.html'],
    ['about:blank', 'about:', 'about:'],
    ['data:text/html,<p>hi</p>', 'data:', 'data:'],
  ])('%s → %s (the UI shows %s)', (href, source, shown) => {
    expect(pageSourceName({ href })).toBe(source);
    expect(shownInUi(source)).toBe(shown);
  });
});

describe('system tags of a new run', () => {
  it('without a page, user or server: <console> and unknown, as MLflow Python without a main file or account', async () => {
    const { tracker: t } = await tracker();
    const run = await t.startRun();
    const { info, data } = await t.getRun(run.runId);
    expect(data.tags).toMatchObject({
      'mlflow.user': 'unknown',
      'mlflow.source.name': '<console>',
      'mlflow.source.type': 'LOCAL',
    });
    expect(info.userId).toBe('unknown');
  });

  it("the server's basic-auth user name is the default user, as Python's MLFLOW_TRACKING_USERNAME", async () => {
    const { tracker: t } = await tracker({
      remote: { trackingUri: 'http://mlflow.invalid', auth: { username: 'grace', password: 'x' }, autoSync: false },
    });
    expect((await t.getRun((await t.startRun()).runId)).data.tags['mlflow.user']).toBe('grace');
    const { tracker: u } = await tracker({
      remote: { trackingUri: 'http://linus:pw@mlflow.invalid', autoSync: false },
    });
    expect((await u.getRun((await u.startRun()).runId)).data.tags['mlflow.user']).toBe('linus');
  });

  it('user and source options win; a run may name its own source; tags given to startRun win over all', async () => {
    const { tracker: t } = await tracker({ user: 'ada', source: 'lab/train.html' });
    const a = await t.startRun();
    const b = await t.startRun({ source: 'lab/eval.html' });
    const c = await t.startRun({ tags: { 'mlflow.source.name': 'explicit', 'mlflow.user': 'bob' } });
    expect((await t.getRun(a.runId)).data.tags).toMatchObject({
      'mlflow.user': 'ada',
      'mlflow.source.name': 'lab/train.html',
    });
    expect((await t.getRun(b.runId)).data.tags['mlflow.source.name']).toBe('lab/eval.html');
    expect((await t.getRun(c.runId)).data.tags).toMatchObject({
      'mlflow.source.name': 'explicit',
      'mlflow.user': 'bob',
    });
    expect((await t.getRun(c.runId)).info.userId).toBe('bob');
  });

  it('resuming a run keeps its tags', async () => {
    const { tracker: t } = await tracker({ source: 'first.html' });
    const run = await t.startRun();
    await run.end();
    await t.startRun({ runId: run.runId, source: 'second.html' });
    expect((await t.getRun(run.runId)).data.tags['mlflow.source.name']).toBe('first.html');
  });

  it('refuses an empty or too long user and an empty source, typed, before anything starts', async () => {
    await expect(openEdge({ user: '' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(openEdge({ user: 'x'.repeat(257) })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(openEdge({ source: '' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    const { tracker: t } = await tracker();
    expect((await rejection(t.startRun({ source: 42 as unknown as string }))).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('direct mode (mlflow-edge/edge) names its runs <edge function>', async () => {
    const t = await openEdge();
    const run = await t.startRun();
    expect((await t.getRun(run.runId)).data.tags).toMatchObject({
      'mlflow.source.name': '<edge function>',
      'mlflow.user': 'unknown',
    });
    await t.close();
  });
});

describe('in Node: the main script and the OS user, as Python uses sys.argv[0] and getpass.getuser()', () => {
  it('a script run with node names its runs by its path and its user', () => {
    buildCli();
    const dir = mkdtempSync(join(tmpdir(), 'mlflow-edge-context-'));
    const script = join(dir, 'train.mjs');
    writeFileSync(
      script,
      `import { openTracker } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/node.js')).href)};
const tracker = await openTracker({ store: { path: ${JSON.stringify(join(dir, 'store'))} } });
const run = await tracker.startRun();
console.log(JSON.stringify((await tracker.getRun(run.runId)).data.tags));
await tracker.close();
`,
    );
    const env = { ...process.env, LOGNAME: '', USER: 'ada-os', LNAME: '', USERNAME: '' };
    const tags = JSON.parse(execFileSync(process.execPath, [script], { env, encoding: 'utf8' })) as Record<
      string,
      string
    >;
    expect(tags).toMatchObject({
      'mlflow.user': 'ada-os',
      'mlflow.source.name': script,
      'mlflow.source.type': 'LOCAL',
    });
  }, 120_000);
});

describe("run names in MLflow's generator style", () => {
  it('adjective-noun-number, number 0..1000, at most 20 characters', () => {
    for (let i = 0; i < 2000; i++) {
      const name = generateRunName();
      expect(name).toMatch(/^[a-z]+-[a-z]+-\d{1,4}$/);
      expect(Number(name.split('-')[2])).toBeLessThanOrEqual(1000);
      expect(name.length).toBeLessThanOrEqual(20);
    }
  });
});
