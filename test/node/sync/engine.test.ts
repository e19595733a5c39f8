/**
 * The sync engine against a scripted MLflow server (scripted-mlflow.ts) that
 * lies the ways networks and servers do. Every case ends with the server
 * compared with the local store: equal, no deleted runs, no duplicates.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Tracker } from '../../../src/client/tracker.js';
import type { Run } from '../../../src/client/run.js';
import type { SyncStatus } from '../../../src/protocol.js';
import { MAX_RETRY_AFTER_MS, retryAfter } from '../../../src/remote/rest.js';
import { redactUrl } from '../../../src/remote/redact.js';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import { openDatabase } from '../../../src/store/open.js';
import { nothingPending, open, reopen, server, twoServers } from './harness.js';
import { acknowledged, html, type ScriptedMlflow, type FakeRequest } from '../scripted-mlflow.js';
import { rejection } from '../typed-errors.js';
import { storeLocation } from '../store-location.js';

const CLIENT_ID = 'mlflow-edge.clientRunId';

/** A run with params, tags, three metric series, a nested file, ended. */
async function logRun(t: Tracker, experimentName = 'lies', name = 'r') {
  const run = await t.startRun({ experimentName, runName: name });
  run.logParams({ lr: 0.1, layers: 3, optimizer: 'adam' });
  run.setTags({ team: 'field', note: 'ünïcödé 🌱' });
  for (let step = 0; step < 40; step++)
    run.logMetrics({ loss: 1 / (step + 1), acc: step / 40, nan: step === 3 ? NaN : step }, { step });
  await run.logArtifact('plots/loss.txt', `loss of ${name}`);
  await run.end();
  return run;
}

/** The server holds exactly what the local store holds for the experiment: one active run per local run, equal data, nothing deleted. */
async function expectServerEquals(t: Tracker, s: ScriptedMlflow, experimentName = 'lies', emptyTwinsDeleted = 0) {
  const local = await t.searchRuns({ experimentName });
  const remote = s.runsOf(experimentName);
  expect(remote.map((r) => r.tags.get(CLIENT_ID)).sort()).toEqual(local.map((r) => r.info.runId).sort());
  const deleted = s.runsOf(experimentName, 'deleted');
  expect(deleted).toHaveLength(emptyTwinsDeleted);
  for (const twin of deleted)
    expect({ params: twin.params.size, metrics: twin.metrics.length }).toEqual({ params: 0, metrics: 0 });
  for (const run of local) {
    const r = remote.find((x) => x.tags.get(CLIENT_ID) === run.info.runId)!;
    expect(Object.fromEntries(r.params)).toEqual(run.data.params);
    for (const [k, v] of Object.entries(run.data.tags)) expect(r.tags.get(k)).toBe(await serverTagValue(t, v));
    expect(r.info.status).toBe(run.info.status);
    for (const key of Object.keys(run.data.metrics)) {
      // Each point exactly once; MLflow keeps no logging order (get-history sorts by timestamp, step, value).
      const history = (await t.getMetricHistory(run.info.runId, key)).map(
        (p) => `${p.step}:${p.timestamp}:${String(p.value)}`,
      );
      const onServer = r.metrics.filter((m) => m.key === key).map((m) => `${m.step}:${m.timestamp}:${String(m.value)}`);
      expect(onServer.sort()).toEqual(history.sort());
    }
    const root = r.info.artifact_uri.replace('mlflow-artifacts:/', '');
    const files = [...s.db.files].filter(([p]) => p.startsWith(`${root}/`));
    const walk = async (dir: string): Promise<string[]> => {
      const out: string[] = [];
      for (const f of await t.listArtifacts(run.info.runId, dir))
        out.push(...(f.isDir ? await walk(f.path) : [f.path]));
      return out;
    };
    const localFiles = await walk('');
    expect(files.map(([p]) => p.slice(root.length + 1)).sort()).toEqual(localFiles.sort());
    for (const path of localFiles) {
      expect(new TextDecoder().decode(s.db.files.get(`${root}/${path}`))).toBe(
        await (await t.readArtifact(run.info.runId, path)).text(),
      );
    }
  }
}

/** A tag naming a local run is on the server with that run's server id (sync/run-ids.ts); any other value as is. */
async function serverTagValue(t: Tracker, value: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{32}$/.test(value)) return value;
  const named = await t.getRun(value).catch(() => undefined);
  return named === undefined ? value : named.info.remoteRunId;
}

const ENDPOINTS = [
  'runs/log-batch',
  'runs/create',
  'runs/update',
  'experiments/get-by-name',
  'experiments/create',
  'mlflow-artifacts',
] as const;
const at = (endpoint: (typeof ENDPOINTS)[number]) => (r: FakeRequest) =>
  r.endpoint.startsWith(endpoint) || r.path.includes(`/${endpoint}/`);

describe("answers that are not MLflow's are never acknowledgements", () => {
  const answers: [string, () => Response][] = [
    ['a captive portal: 200 with an HTML page', () => html(200)],
    ['200 with an empty body', () => new Response('', { status: 200 })],
    [
      '200 with JSON that is not an object',
      () => new Response('[]', { status: 200, headers: { 'Content-Type': 'application/json' } }),
    ],
    [
      'a 302 to a portal page',
      () => new Response('', { status: 302, headers: { Location: 'http://portal.test/login?token=secret' } }),
    ],
    ["a proxy's 404 (HTML)", () => html(404, '<html><body><center>nginx</center>404 Not Found</body></html>')],
    ["a proxy's 405 (HTML)", () => html(405, '<html>405 Not Allowed</html>')],
    ["a proxy's 413 (HTML)", () => html(413, '<html>413 Request Entity Too Large</html>')],
    [
      "a 400 with a JSON body that is not MLflow's",
      () =>
        new Response('{"detail":"bad gateway rule"}', { status: 400, headers: { 'Content-Type': 'application/json' } }),
    ],
  ];
  for (const [what, answer] of answers) {
    for (const endpoint of ENDPOINTS) {
      for (const when of ['instead', 'after'] as const) {
        if (when === 'after' && endpoint === 'experiments/create') continue; // the server made it; the retry finds it by name (covered by get-by-name)
        it(`${what} for ${endpoint} (${when === 'instead' ? 'never reached MLflow' : 'applied, answer replaced'}): retried, shown, then everything arrives once`, async () => {
          const s = server();
          const { t } = await open(s.url);
          await logRun(t);
          s.lie({ match: at(endpoint), when, answer });
          if (endpoint === 'mlflow-artifacts' && what.startsWith('200 with an empty body')) {
            // MLflow 3 itself answers an upload with an empty 200: only the check before done can tell the file never arrived.
            await t.sync();
            const status = await t.syncStatus();
            if (when === 'instead') {
              expect(status.pending).toMatchObject({ runs: 1, artifacts: 1 });
              expect(status.lastNotice?.message).toMatch(/lacks files plots\/loss.txt/);
            }
            s.lies = [];
            await t.sync();
            expect((await t.syncStatus()).pending).toEqual(nothingPending);
            await expectServerEquals(t, s);
            return;
          }
          if (endpoint === 'runs/create' && when === 'after') {
            // The create was applied: the retry finds the run by its client id and adopts it.
            await t.sync();
            expect(s.db.runs.size).toBe(1);
            await expectServerEquals(t, s);
            return;
          }
          const error = await rejection(t.sync());
          expect(error.code).toBe('TEMPORARILY_UNAVAILABLE');
          const status = await t.syncStatus();
          expect(status.deadLetters).toEqual([]);
          expect(status.lastError?.code).toBe('TEMPORARILY_UNAVAILABLE');
          expect(status.lastError?.message).not.toContain('secret');
          expect(status.pending.runs).toBe(1);
          s.lies = [];
          await t.sync();
          const after = await t.syncStatus();
          expect(after.pending).toEqual(nothingPending);
          expect(after.lastError).toBeUndefined(); // a success clears the old error
          await expectServerEquals(t, s);
        });
      }
    }
  }

  it("only MLflow's own refusal (its JSON error_code) dead-letters an item, and the rest goes on", async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    run.logParams({ a: 1, b: 2 });
    await run.end();
    // Another client logged b first with another value.
    await t.sync();
    s.runsOf('lies')[0]!.params.set('c', 'theirs');
    const again = await t.startRun({ runId: run.runId });
    again.logParams({ c: 'mine', d: 4 });
    await again.end();
    await t.sync();
    const status = await t.syncStatus();
    expect(status.deadLetters).toEqual([
      expect.objectContaining({
        runId: run.runId,
        kind: 'param',
        key: 'c',
        message: expect.stringContaining('INVALID_PARAMETER_VALUE'),
      }),
    ]);
    expect(s.runsOf('lies')[0]!.params.get('d')).toBe('4');
    expect(status.pending).toEqual(nothingPending);
  });
});

describe('per-server state', () => {
  it('a mistyped URI, then the right one, then a reload: nothing is uploaded again and nothing is deleted', async () => {
    const s = server();
    const { t, dbName } = await open(s.url);
    await logRun(t, 'lies', 'a');
    await logRun(t, 'lies', 'b');
    await t.sync();
    const created = s.requests.filter((r) => r.endpoint === 'runs/create').length;
    await t.setRemote({ trackingUri: 'http://mlflow.tset:5000', autoSync: false }); // a dead host
    expect((await rejection(t.sync())).code).toBe('TEMPORARILY_UNAVAILABLE');
    await t.setRemote({ trackingUri: s.url, autoSync: false });
    const t2 = await reopen(t, dbName, s.url);
    await logRun(t2, 'lies', 'c');
    await t2.sync();
    expect(s.requests.filter((r) => r.endpoint === 'runs/create').length).toBe(created + 1);
    expect(s.requests.filter((r) => r.endpoint === 'runs/delete')).toEqual([]);
    expect((await t2.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t2, s);
  });

  it('correcting a mistyped URI while its pass waits to retry: the right server gets everything at once, without a reload', async () => {
    const s = server();
    // The dead server's pass would wait a minute.
    const { t } = await open('http://mlflow.tset', undefined, true, { attempts: 8, baseMs: 60_000, capMs: 60_000 });
    await logRun(t);
    await vi.waitFor(() => expect(s.requests.length + 0).toBe(0)); // nothing reaches the right server yet
    await new Promise((r) => setTimeout(r, 400)); // the dead server's pass has failed once and waits
    await t.setRemote({ trackingUri: s.url, autoSync: true });
    await vi.waitFor(() => expect(s.runsOf('lies')).toHaveLength(1), { timeout: 5000 });
    await vi.waitFor(async () => expect((await t.syncStatus()).pending).toEqual(nothingPending), { timeout: 5000 });
    await expectServerEquals(t, s);
  });

  it('two servers in turn: each gets everything once, and going back resumes where it was', async () => {
    const [a, b] = twoServers();
    const { t } = await open(a.url);
    await logRun(t, 'lies', 'one');
    await t.sync();
    await t.setRemote({ trackingUri: b.url, autoSync: false });
    expect((await t.syncStatus()).pending.runs).toBe(1); // b has nothing yet
    await t.sync();
    await logRun(t, 'lies', 'two');
    await t.setRemote({ trackingUri: a.url, autoSync: false });
    expect((await t.syncStatus()).pending.runs).toBe(1); // only the new run is missing on a
    await t.sync();
    await t.setRemote({ trackingUri: b.url, autoSync: false });
    await t.sync();
    for (const s of [a, b]) {
      await expectServerEquals(t, s);
      expect(s.requests.filter((r) => r.endpoint === 'runs/create')).toHaveLength(2);
    }
  });

  it('dead letters belong to the server that refused the item: another server gets it, and going back shows them again', async () => {
    const [a, b] = twoServers();
    const { t } = await open(a.url);
    const run = await t.startRun({ experimentName: 'lies' });
    run.logParam('p', 'ours');
    await run.flush();
    await t.sync();
    a.runsOf('lies')[0]!.params.set('q', 'theirs'); // another client set q on a
    run.logParam('q', 'ours');
    await run.end();
    await t.sync();
    expect((await t.syncStatus()).deadLetters).toEqual([expect.objectContaining({ key: 'q' })]);
    await t.setRemote({ trackingUri: b.url, autoSync: false });
    expect((await t.syncStatus()).deadLetters).toEqual([]);
    await t.sync();
    expect(b.runsOf('lies')[0]!.params.get('q')).toBe('ours');
    await t.setRemote({ trackingUri: a.url, autoSync: false });
    expect((await t.syncStatus()).deadLetters).toEqual([expect.objectContaining({ key: 'q' })]);
    // Cleared once read: for this server only, and the refused item is not sent again.
    await t.setRemote({ trackingUri: b.url, autoSync: false });
    expect(await t.clearDeadLetters()).toBe(0);
    await t.setRemote({ trackingUri: a.url, autoSync: false });
    expect(await t.clearDeadLetters()).toBe(1);
    expect((await t.syncStatus()).deadLetters).toEqual([]);
    expect(await t.clearDeadLetters()).toBe(0);
    await t.sync();
    expect(a.runsOf('lies')[0]!.params.get('q')).toBe('theirs');
    expect((await t.syncStatus()).deadLetters).toEqual([]);
  });

  it('two URIs of one server share one state', async () => {
    const s = server('one.test');
    s.hosts.add('alias.test');
    const { t } = await open('http://one.test/');
    await logRun(t);
    await t.sync();
    await t.setRemote({ trackingUri: 'http://alias.test', autoSync: false });
    await t.sync();
    expect(s.requests.filter((r) => r.endpoint === 'runs/create')).toHaveLength(1);
    await expectServerEquals(t, s);
  });

  it('a server restarted on an empty database gets everything again, and the status says so', async () => {
    const s = server();
    const { t } = await open(s.url);
    await logRun(t, 'lies', 'a');
    await t.sync();
    s.wipe();
    await logRun(t, 'lies', 'b');
    await t.sync();
    const status = await t.syncStatus();
    expect(status.lastNotice?.message).toMatch(/another database|uploaded again/);
    expect(status.pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('a server restored from an older backup: what it lost is found and uploaded again', async () => {
    const s = server();
    const { t } = await open(s.url);
    await logRun(t, 'lies', 'a');
    await t.sync();
    const backup = s.backup();
    await logRun(t, 'lies', 'b');
    const c = await t.startRun({ experimentName: 'lies', runName: 'c' });
    c.logMetric('m', 1);
    await c.flush();
    await t.sync();
    s.restoreBackup(backup); // b and c are gone
    c.logMetric('m', 2, { step: 1 });
    await c.end();
    await t.sync();
    await t.sync(); // the second pass uploads what the first found missing
    expect((await t.syncStatus()).lastNotice?.message).toMatch(/no longer has|missing/);
    await expectServerEquals(t, s);
  });

  it('a server restored from a backup older than the experiment is found by sync() with nothing new to upload; the experiment is made again', async () => {
    const s = server();
    const { t } = await open(s.url);
    const backup = s.backup();
    await logRun(t, 'lies', 'a');
    await t.sync();
    s.restoreBackup(backup); // the run is gone
    s.requests = [];
    await t.sync();
    await t.sync();
    expect((await t.syncStatus()).lastNotice?.message).toMatch(/no longer has|missing/);
    await expectServerEquals(t, s);
  });

  it('many runs in one experiment: the experiment is looked up once per pass, and verified runs are no longer read by later looks', async () => {
    const s = server();
    const { t, dbName } = await open(s.url);
    for (let i = 0; i < 5; i++) await logRun(t, 'lies', `r${i}`);
    await t.sync();
    expect(s.requests.filter((r) => r.endpoint === 'experiments/get-by-name')).toHaveLength(1);
    const db = await openDatabase(storeLocation(dbName));
    const stillOpen = await db.getAllKeysFromIndex('remote', 'byOpen');
    db.close();
    expect(stillOpen).toEqual([]);
    await expectServerEquals(t, s);
  });

  it('a background pass with nothing pending sends no request at all', async () => {
    const s = server();
    const { t, dbName } = await open(s.url);
    await logRun(t);
    await t.sync();
    await t.close();
    s.requests = [];
    const { t: again } = await open(s.url, dbName, true); // opening schedules a pass at once
    await new Promise((r) => setTimeout(r, 300));
    expect((await again.syncStatus()).pending).toEqual(nothingPending);
    expect(s.requests).toEqual([]);
  });

  it('a server that drops a param silently: the check before done finds it and sends it again', async () => {
    const s = server();
    const { t } = await open(s.url);
    s.dropParams.add('lr');
    await logRun(t);
    await t.sync();
    s.dropParams.clear();
    await t.sync();
    await expectServerEquals(t, s);
  });

  it('credentials in the tracking URI become basic auth and are never stored or shown', async () => {
    const s = server();
    const { t, dbName } = await open('http://ada:s%C3%A9cret@mlflow.test/');
    await logRun(t);
    await t.sync();
    const status = await t.syncStatus();
    expect(status.trackingUri).toBe('http://mlflow.test');
    expect(JSON.stringify(status)).not.toContain('cret');
    const auth = s.requests.at(-1)!.headers.get('Authorization')!;
    expect(Buffer.from(auth.replace('Basic ', ''), 'base64').toString('utf8')).toBe('ada:sécret');
    const db = await openDatabase(storeLocation(dbName));
    const stored = JSON.stringify([await db.getAll('meta'), await db.getAllKeys('meta')]);
    db.close();
    expect(stored).not.toContain('cret');
    await expectServerEquals(t, s);
    const both = await rejection(t.setRemote({ trackingUri: 'http://u:p@mlflow.test', auth: { token: 'x' } }));
    expect(both.code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('servers behind restrictive proxies and permissions', () => {
  it('a reverse proxy that passes only /api/ (GET /version is a 404 page): sync still works', async () => {
    const s = server();
    s.lie({ match: (r) => r.path === '/version', when: 'instead', answer: () => html(404) });
    const { t } = await open(s.url);
    await logRun(t);
    await t.sync();
    await expectServerEquals(t, s);
  });

  it('an MLflow 2 server behind a proxy that passes only /api/ (no /version): a model goes under its run, as MLflow 2 keeps models', async () => {
    const s = server();
    s.mlflow2 = true;
    s.lie({ match: (r) => r.path === '/version', when: 'instead', answer: () => html(404) });
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    await run.logModel(
      'circle',
      { code: "import { setModel } from 'mlflow-edge/model';\nsetModel({ predict: (c, rows) => rows.map(() => 1) });" },
      { inputExample: [{ r: 1 }] },
    );
    await run.end();
    await t.sync();
    const root = s.runsOf('lies')[0]!.info.artifact_uri.replace('mlflow-artifacts:/', '');
    expect([...s.db.files.keys()]).toContain(`${root}/circle/MLmodel`);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    // The probe asked MLflow for a logged model that cannot exist, and MLflow 2 has no such route.
    expect(s.requests.some((r) => r.endpoint.startsWith('logged-models/m-0000'))).toBe(true);
  });

  it('a user who may not read the Default experiment (403 on the identity probe): sync still works, the URI names the server', async () => {
    const s = server();
    s.lie({
      match: (r) => r.endpoint === 'experiments/get',
      when: 'instead',
      answer: () =>
        new Response('{"error_code":"PERMISSION_DENIED","message":"Permission denied"}', {
          status: 403,
          headers: { 'Content-Type': 'application/json' },
        }),
    });
    const { t } = await open(s.url);
    await logRun(t);
    await t.sync();
    await expectServerEquals(t, s);
  });
});

describe('server-side changes make runs wait, never lose data', () => {
  it('an experiment deleted on the server after its run synced: new data waits, then arrives after the restore', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    run.logMetric('m', 1);
    await run.flush();
    await t.sync();
    s.deleteExperiment('lies');
    run.logParam('late', 'yes');
    run.logMetric('m', 2, { step: 1 });
    await run.end();
    const error = await rejection(t.sync());
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toMatch(/restore/i);
    const status = await t.syncStatus();
    expect(status.deadLetters).toEqual([]);
    expect(status.lastError?.message).toMatch(/waits/);
    expect(status.pending.params).toBe(1);
    s.restoreExperiment('lies');
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('a run deleted on the server: it waits, and finishes once restored', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await logRun(t);
    await t.sync();
    const remote = s.runsOf('lies')[0]!;
    remote.info.lifecycle_stage = 'deleted';
    const again = await t.startRun({ runId: run.runId });
    again.logMetric('more', 1);
    await again.end();
    expect((await rejection(t.sync())).code).toBe('INVALID_STATE');
    expect((await t.syncStatus()).deadLetters).toEqual([]);
    remote.info.lifecycle_stage = 'active';
    await t.sync();
    await expectServerEquals(t, s);
  });

  it('a new run in an experiment deleted on the server waits with the reason', async () => {
    const s = server();
    const { t } = await open(s.url);
    await logRun(t, 'lies', 'a');
    await t.sync();
    s.deleteExperiment('lies');
    await logRun(t, 'lies', 'b');
    expect((await rejection(t.sync())).code).toBe('INVALID_STATE');
    s.restoreExperiment('lies');
    await t.sync();
    await expectServerEquals(t, s);
  });
});

describe('verification counts the points of series that went in more than one batch', () => {
  const histories = (s: ScriptedMlflow) => s.requests.filter((r) => r.endpoint === 'metrics/get-history');
  const batches = (s: ScriptedMlflow) => s.requests.filter((r) => r.endpoint === 'runs/log-batch');
  /** A proxy answers MLflow's `{}` to the `nth` log-batch (from 1) and never forwards it. */
  const swallow = (s: ScriptedMlflow, nth: number) =>
    s.lie({ match: at('runs/log-batch'), when: 'instead', answer: acknowledged, skip: nth - 1, times: 1 });
  /** `n` points of `key`, NaN and ±Infinity among them, one step each. */
  const series = (run: Run, key: string, n: number, from = 0) => {
    for (let step = from; step < from + n; step++)
      run.logMetric(key, step % 97 === 3 ? NaN : step % 89 === 5 ? (step % 2 ? Infinity : -Infinity) : 1 / (step + 1), {
        step,
        timestamp: 1_700_000_000_000 + step,
      });
  };

  it('a middle batch of a long series acknowledged but never applied: found at verification, the series is sent again, then every point is there once', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    series(run, 'm', 2500); // three batches: 1000, 1000, 500; the latest point is in the last
    run.logMetric('other', 1);
    await run.end();
    swallow(s, 2);
    await t.sync();
    expect(s.runsOf('lies')[0]!.metrics.filter((m) => m.key === 'm')).toHaveLength(1500);
    const status = await t.syncStatus();
    expect(status.lastNotice?.message).toMatch(/lacks 1000 of the 2500 points of metric m:/);
    expect(status.pending.runs).toBe(1);
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('a run synced while running, between logging bursts, whose middle burst was lost: found once the run ends', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    series(run, 'm', 10);
    await run.flush();
    await t.sync();
    series(run, 'm', 10, 10);
    await run.flush();
    swallow(s, 1);
    await t.sync();
    series(run, 'm', 10, 20);
    await run.end();
    await t.sync();
    expect((await t.syncStatus()).lastNotice?.message).toMatch(/lacks 10 of the 30 points of metric m:/);
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('a series that went in one batch costs no get-history request; one in several costs one', async () => {
    const s = server();
    const { t } = await open(s.url);
    await logRun(t, 'lies', 'small'); // three series, one batch
    const big = await t.startRun({ experimentName: 'lies', runName: 'big' });
    series(big, 'm', 2500);
    await big.end();
    await t.sync();
    // One point asked for at offset 2499 (MLflow 3.2+ pages by an offset token): the server holds exactly the 2500, ending with the same one.
    const runId = s.runsOf('lies').find((r) => r.tags.get(CLIENT_ID) === big.runId)!.info.run_id;
    expect(histories(s).map((r) => r.body)).toEqual([
      { run_id: runId, metric_key: 'm', max_results: '1', page_token: btoa('{"offset":2499}') },
    ]);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('a series of more than 25,000 points is counted across get-history pages', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    series(run, 'm', 27_000);
    await run.end();
    swallow(s, 5);
    await t.sync();
    // 26,000 on the server: nothing at offset 26,999, then two pages, both counted.
    expect(histories(s).map((r) => (r.body as { max_results: string }).max_results)).toEqual(['1', '25000', '25000']);
    expect(histories(s).map((r) => (r.body as { page_token?: string }).page_token !== undefined)).toEqual([
      true,
      false,
      true,
    ]);
    expect((await t.syncStatus()).lastNotice?.message).toMatch(/lacks 1000 of the 27000 points of metric m:/);
    s.requests = [];
    await t.sync();
    expect(batches(s)).toHaveLength(27);
    expect(histories(s)).toHaveLength(1); // the offset probe: all 27,000 there
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('a server that refuses the offset token (MLflow 2, or a changed token format): whole histories are counted, and no more probes are sent', async () => {
    const s = server();
    s.mlflow2 = true;
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    series(run, 'm', 2500);
    series(run, 'n', 2500);
    await run.end();
    swallow(s, 2);
    await t.sync();
    expect(histories(s).map((r) => (r.body as { max_results: string }).max_results)).toEqual(['1', '25000', '25000']);
    expect((await t.syncStatus()).lastNotice?.message).toMatch(/lacks 1000 of the 2500 points of metric [mn]/);
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('a probe answered with another last point, or with more points, is not taken as complete: the history is counted', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    series(run, 'm', 2500);
    await run.end();
    // A proxy's stale page: a point of the series, but not the last one, and a token for more.
    s.lie({
      match: (r) => r.endpoint === 'metrics/get-history' && (r.body as { max_results: string }).max_results === '1',
      when: 'instead',
      answer: () =>
        new Response(
          JSON.stringify({ metrics: [{ key: 'm', value: 0, step: 0, timestamp: 0 }], next_page_token: 'x' }),
          { status: 200, headers: { 'Content-Type': 'application/json' } },
        ),
      times: 1,
    });
    await t.sync();
    expect(histories(s).map((r) => (r.body as { max_results: string }).max_results)).toEqual(['1', '25000']);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('points logged twice (the server keeps them once) are counted once: no endless upload', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    series(run, 'm', 1200);
    const ts = 1_800_000_000_000;
    // MLflow's key is (timestamp, step, value): these pairs are one point each there; NaN is stored as 0 with a flag, so NaN and 0 are two.
    for (const [a, b] of [
      [0.5, 0.5],
      [NaN, NaN],
      [Infinity, Number.MAX_VALUE],
      [-Infinity, -Number.MAX_VALUE],
      [-0, 0],
      [NaN, 0],
    ] as const) {
      run.logMetric('m', a, { step: 5000, timestamp: ts });
      run.logMetric('m', b, { step: 5000, timestamp: ts });
    }
    await run.end();
    await t.sync();
    expect(histories(s)).toHaveLength(1);
    const status = await t.syncStatus();
    expect(status.lastNotice?.message ?? '').not.toMatch(/lacks/);
    expect(status.pending).toEqual(nothingPending);
    s.requests = [];
    await t.sync();
    expect(batches(s)).toEqual([]);
  });

  it('a metric the server refused a point of (a dead letter) is not counted: no get-history for it, no endless upload', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    series(run, 'bad', 1200);
    await run.end();
    const refusesStep0 = (r: FakeRequest) =>
      r.endpoint === 'runs/log-batch' &&
      ((r.body as { metrics?: { key: string; step: number }[] }).metrics ?? []).some(
        (m) => m.key === 'bad' && m.step === 0,
      );
    s.lie({
      match: refusesStep0,
      when: 'instead',
      answer: () =>
        new Response(JSON.stringify({ error_code: 'INVALID_PARAMETER_VALUE', message: 'refused' }), {
          status: 400,
          headers: { 'Content-Type': 'application/json' },
        }),
    });
    await t.sync();
    const status = await t.syncStatus();
    expect(status.deadLetters).toEqual([expect.objectContaining({ kind: 'metric', key: 'bad' })]);
    expect(status.pending).toEqual(nothingPending);
    expect(histories(s)).toEqual([]);
    s.requests = [];
    await t.sync();
    expect(batches(s)).toEqual([]);
  });

  it('an MLflow 2 server, which refuses a batch that repeats a NaN point it has: the series sent again still arrives whole, and nothing is dead-lettered', async () => {
    const s = server();
    s.refusesRepeatedNaN = true;
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    series(run, 'm', 2500);
    await run.end();
    swallow(s, 2);
    await t.sync();
    expect((await t.syncStatus()).lastNotice?.message).toMatch(/lacks 1000 of the 2500 points of metric m:/);
    await t.sync();
    const status = await t.syncStatus();
    expect(status.deadLetters).toEqual([]);
    expect(status.pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('an MLflow 2 server: a batch with NaN points whose answer was lost is sent again without a dead letter', async () => {
    const s = server();
    s.refusesRepeatedNaN = true;
    const { t } = await open(s.url);
    await logRun(t); // a NaN point among 120
    s.lie({ match: at('runs/log-batch'), when: 'after', answer: () => html(502), times: 1 });
    await t.sync();
    const status = await t.syncStatus();
    expect(status.deadLetters).toEqual([]);
    expect(status.pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('a series record from before the batch counter (an older version acknowledged it) is counted, not taken as one batch', async () => {
    const s = server();
    const { t, dbName } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    series(run, 'm', 2500);
    await run.flush();
    swallow(s, 2);
    await t.sync(); // running: not verified yet
    const db = await openDatabase(storeLocation(dbName));
    const keys = (await db.getAllKeys('remote')).filter((k) => k[1] === 'series' && k[2] === run.runId);
    expect(keys).toHaveLength(1);
    await db.put('remote', { syncedCount: 2500 }, keys[0]); // what ackBatch wrote before it counted batches
    db.close();
    await run.end();
    await t.sync();
    expect((await t.syncStatus()).lastNotice?.message).toMatch(/lacks 1000 of the 2500 points of metric m:/);
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });
});

describe("the run's name", () => {
  it('never goes in a log-batch (MLflow sets it there by rewriting the run row, status included); a rename after sync goes by runs/update, status untouched', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies', runName: 'first' });
    run.logParam('p', 1);
    await t.flush();
    await t.sync(); // created as 'first', still running
    run.setTag('mlflow.runName', 'second');
    run.logMetric('m', 1);
    await t.flush();
    await t.sync();
    const remote = s.runsOf('lies')[0]!;
    expect(remote.info.run_name).toBe('second');
    expect(remote.info.status).toBe('RUNNING');
    await run.end();
    await t.sync();
    expect(s.runsOf('lies')[0]!.info.status).toBe('FINISHED');
    const batches = s.requests.filter((r) => r.endpoint === 'runs/log-batch');
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches)
      expect((b.body as { tags: { key: string }[] }).tags.map((x) => x.key)).not.toContain('mlflow.runName');
    const renames = s.requests.filter(
      (r) => r.endpoint === 'runs/update' && (r.body as { run_name?: string }).run_name !== undefined,
    );
    expect(renames.map((r) => r.body)).toEqual([{ run_id: remote.info.run_id, run_name: 'second' }]);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });
});

describe('nested runs', () => {
  it("a child's parent tag names the parent's server id, also when the parent has nothing left to upload", async () => {
    const s = server();
    const { t } = await open(s.url);
    const parent = await t.startRun({ experimentName: 'lies', runName: 'parent' });
    parent.logMetric('m', 1);
    await parent.flush();
    await t.sync();
    const child = await t.startRun({ experimentName: 'lies', runName: 'child', parentRunId: parent.runId });
    child.logMetric('m', 2);
    await child.end();
    await t.sync();
    const remoteParent = (await t.getRun(parent.runId)).info.remoteRunId;
    expect(remoteParent).toBeDefined();
    const onServer = s.runsOf('lies').find((r) => r.tags.get(CLIENT_ID) === child.runId)!;
    expect(onServer.tags.get('mlflow.parentRunId')).toBe(remoteParent);
  });

  it("a child whose parent is not on the server waits instead of naming the parent's local id", async () => {
    const s = server();
    const { t } = await open(s.url);
    const parent = await t.startRun({ experimentName: 'gone', runName: 'parent' });
    const child = await t.startRun({ experimentName: 'lies', runName: 'child', parentRunId: parent.runId });
    await child.end();
    await parent.end();
    s.refuseRunsIn = 'gone';
    expect((await rejection(t.sync())).code).toBe('INVALID_STATE');
    expect(s.runsOf('lies').every((r) => r.tags.get('mlflow.parentRunId') !== parent.runId)).toBe(true);
    s.refuseRunsIn = undefined;
    await t.sync();
    const remoteParent = (await t.getRun(parent.runId)).info.remoteRunId;
    expect(s.runsOf('lies')[0]!.tags.get('mlflow.parentRunId')).toBe(remoteParent);
  });
});

describe('tags naming local runs', () => {
  it("a tag whose whole value is a local run id names that run's server id there; locally the local id; params and other values as logged", async () => {
    const s = server();
    const { t } = await open(s.url);
    const best = await t.startRun({ experimentName: 'lies', runName: 'best' });
    best.logMetric('acc', 0.9);
    await best.end();
    await t.sync(); // `best` is on the server before the run naming it exists
    const sweep = await t.startRun({ experimentName: 'lies', runName: 'sweep' });
    const other = await t.startRun({ experimentName: 'other', runName: 'later' });
    await other.end();
    const notLocal = 'ab'.repeat(16);
    sweep.setTags({
      best_run_id: best.runId,
      self: sweep.runId,
      later: other.runId,
      foreign: notLocal,
      text: `run ${best.runId}`,
    });
    sweep.logParam('best_run_param', best.runId);
    await sweep.end();
    await t.sync();
    const remoteOf = async (id: string) => (await t.getRun(id)).info.remoteRunId!;
    const onServer = s.runsOf('lies').find((r) => r.tags.get(CLIENT_ID) === sweep.runId)!;
    expect(Object.fromEntries(onServer.tags)).toMatchObject({
      best_run_id: await remoteOf(best.runId),
      self: await remoteOf(sweep.runId),
      later: await remoteOf(other.runId),
      foreign: notLocal,
      text: `run ${best.runId}`,
    });
    expect(onServer.tags.get('best_run_id')).not.toBe(best.runId);
    expect(onServer.params.get('best_run_param')).toBe(best.runId);
    expect((await t.getRun(sweep.runId)).data.tags.best_run_id).toBe(best.runId);
    // Verified: the check before done maps the tags the same way, so nothing is uploaded again.
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    const before = s.requests.length;
    await t.sync();
    expect(s.requests.slice(before).filter((r) => r.endpoint === 'runs/log-batch')).toEqual([]);
    await expectServerEquals(t, s);
  });

  it('a tag naming a run the server does not have yet makes its run wait, then carries the server id', async () => {
    const s = server();
    const { t } = await open(s.url);
    const named = await t.startRun({ experimentName: 'gone', runName: 'named' });
    await named.end();
    const run = await t.startRun({ experimentName: 'lies', runName: 'referrer' });
    run.setTag('best_run_id', named.runId);
    await run.end();
    s.refuseRunsIn = 'gone';
    expect((await rejection(t.sync())).code).toBe('INVALID_STATE');
    expect(s.runsOf('lies').every((r) => r.tags.get('best_run_id') === undefined)).toBe(true);
    s.refuseRunsIn = undefined;
    await t.sync();
    expect(s.runsOf('lies')[0]!.tags.get('best_run_id')).toBe((await t.getRun(named.runId)).info.remoteRunId);
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
  });
});

describe('numbers in params and tags', () => {
  it("reach the server as Python's str() prints them", async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies', runName: 'numbers' });
    run.logParams({ lr: 1e-5, big: 1e16, tiny: 1e-7, zero: -0, epochs: 10, on: true, none: null });
    run.setTags({ eps: 1e-8, ratio: 0.1 + 0.2 });
    await run.end();
    await t.sync();
    const onServer = s.runsOf('lies')[0]!;
    expect(Object.fromEntries(onServer.params)).toEqual({
      lr: '1e-05',
      big: '1e+16',
      tiny: '1e-07',
      zero: '-0.0',
      epochs: '10',
      on: 'True',
      none: 'None',
    });
    expect(onServer.tags.get('eps')).toBe('1e-08');
    expect(onServer.tags.get('ratio')).toBe('0.30000000000000004');
    await expectServerEquals(t, s);
  });
});

describe('creates, exactly once', () => {
  it('a create applied twice (a resent request) leaves one run: the empty twin is deleted', async () => {
    const s = server();
    s.createCopies = 2;
    const { t } = await open(s.url);
    await logRun(t);
    await t.sync();
    expect(s.runsOf('lies')).toHaveLength(1);
    expect(s.runsOf('lies', 'deleted').every((r) => r.params.size === 0 && r.metrics.length === 0)).toBe(true);
  });

  it('a create whose answer was lost is adopted by the retry, not made again; no twin search after a clean create', async () => {
    const s = server();
    const { t } = await open(s.url);
    s.lie({ match: at('runs/create'), when: 'after', answer: () => html(502), times: 1 });
    await logRun(t, 'lies', 'a');
    await logRun(t, 'lies', 'b');
    await t.sync();
    expect(s.db.runs.size).toBe(2);
    const searches = s.requests.filter(
      (r) =>
        r.endpoint === 'runs/search' &&
        String((r.body as { filter: string }).filter).startsWith(`tags.\`${CLIENT_ID}\` = '`),
    );
    expect(searches).toHaveLength(1); // only the run whose answer was lost searched by its client id
    await expectServerEquals(t, s);
  });

  it('an empty twin left by a pass that died before runs counted as synced is deleted by a later pass', async () => {
    const s = server();
    const { t } = await open(s.url);
    s.createCopies = 2;
    s.lie({ match: at('runs/log-batch'), when: 'instead', answer: () => html(503) });
    await logRun(t);
    expect((await rejection(t.sync())).code).toBe('TEMPORARILY_UNAVAILABLE'); // the pass dies after its creates
    s.createCopies = 1;
    s.lies = [];
    await t.sync();
    await expectServerEquals(t, s, 'lies', 1);
  });

  it('a twin that holds data is never deleted', async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    await run.flush();
    s.createCopies = 2;
    await t.sync();
    const [twin] = [...s.db.runs.values()].filter((r) => r.info.lifecycle_stage === 'active');
    expect(s.db.runs.size).toBe(2);
    expect(twin).toBeDefined();
    // Someone logged into the twin before the sweep: it holds data now.
    s.createCopies = 1;
    const both = [...s.db.runs.values()];
    both.forEach((r) => (r.info.lifecycle_stage = 'active'));
    both[1]!.params.set('someone', 'else');
    run.logMetric('m', 1);
    await run.end();
    await t.sync();
    expect([...s.db.runs.values()].find((r) => r.params.get('someone') === 'else')?.info.lifecycle_stage).toBe(
      'active',
    );
  });
});

describe('damaged local data is quarantined, not fatal', () => {
  it('a run whose experiment record is missing gets a typed error; every other run syncs', async () => {
    const s = server();
    const { t, dbName } = await open(s.url);
    const broken = await logRun(t, 'gone', 'broken');
    await logRun(t, 'lies', 'fine');
    const db = await openDatabase(storeLocation(dbName));
    await db.delete('experiments', broken.experimentId);
    db.close();
    const error = await rejection(t.sync());
    expect(error.code).toBe('DATA_LOSS');
    expect(error.message).toContain(broken.runId);
    await expectServerEquals(t, s);
  });

  it('a sequence counter that is not a number: new items still sync', async () => {
    const s = server();
    const { t, dbName } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    const db = await openDatabase(storeLocation(dbName));
    await db.put('meta', 'garbage', 'seq');
    db.close();
    run.logParam('after', 'damage');
    run.setTag('t', 'v');
    await run.end();
    await t.sync();
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('an artifact whose local file is gone becomes a dead letter alone; the run goes on', async () => {
    const s = server();
    const { t, dbName } = await open(s.url);
    const run = await logRun(t);
    const db = await openDatabase(storeLocation(dbName));
    const record = (await db.get('artifacts', [run.runId, 'plots/loss.txt']))!;
    await db.put('artifacts', { ...record, location: { kind: 'opfs', file: 'missing' } });
    db.close();
    await t.sync();
    const status = await t.syncStatus();
    expect(status.deadLetters).toEqual([expect.objectContaining({ kind: 'artifact', key: 'plots/loss.txt' })]);
    expect(status.pending).toEqual(nothingPending);
    expect(s.runsOf('lies')[0]!.params.get('lr')).toBe('0.1');
  });
});

describe('status that tells the truth', () => {
  it('offline: sync() fails at once with a typed error that says so, and the state is offline', async () => {
    const s = server();
    s.hosts.clear();
    const { t } = await open(s.url);
    await logRun(t);
    const navigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { onLine: false }, configurable: true });
    try {
      const error = await rejection(t.sync());
      expect(error.code).toBe('TEMPORARILY_UNAVAILABLE');
      expect(error.message).toMatch(/offline/);
      expect(error.message).not.toMatch(/CORS|cors-allowed/);
      expect((await t.syncStatus()).state).toBe('offline');
      expect(s.requests.length).toBeLessThanOrEqual(1);
    } finally {
      if (navigator) Object.defineProperty(globalThis, 'navigator', navigator);
      else delete (globalThis as { navigator?: unknown }).navigator;
    }
  });

  it('autoSync: false: data logged while sync() runs waits for the next sync() (no pass of its own)', async () => {
    const s = server();
    const { t } = await open(s.url);
    await logRun(t);
    const run = await t.startRun({ experimentName: 'lies', runName: 'during' });
    // The pass is held at its first log-batch until the new point is on disk: the point lands after the pass's reading.
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let reached = () => {};
    const atBatch = new Promise<void>((r) => (reached = r));
    s.lie({
      match: (r) => r.endpoint === 'runs/log-batch',
      when: 'after',
      times: 1,
      answer: async () => (
        reached(), await held, new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } })
      ),
    });
    const pass = t.sync();
    await atBatch;
    run.logMetric('m', 1);
    await t.flush();
    release();
    await pass;
    s.requests = [];
    await new Promise((r) => setTimeout(r, 600)); // past the debounce (200 ms) a background pass would wait
    expect(s.requests).toEqual([]);
    await t.sync();
    await expectServerEquals(t, s);
  });

  it("autoSync: false: coming back online starts no pass (the caller's sync() does)", async () => {
    // Node has no window events: the controller listens on whatever globalThis offers, here an EventTarget's.
    const events = new EventTarget();
    const g = globalThis as unknown as Record<string, unknown>;
    g.addEventListener = events.addEventListener.bind(events);
    g.removeEventListener = events.removeEventListener.bind(events);
    try {
      const s = server();
      const { t } = await open(s.url);
      await logRun(t);
      events.dispatchEvent(new Event('online'));
      await new Promise((r) => setTimeout(r, 300));
      expect(s.requests).toEqual([]);
      expect((await t.syncStatus()).pending.runs).toBe(1);
    } finally {
      delete g.addEventListener;
      delete g.removeEventListener;
    }
  });

  it('autoSync: false: a failed sync() is not retried in the background (the caller decides when to sync)', async () => {
    const s = server();
    const { t } = await open(s.url);
    await logRun(t);
    s.lie({ match: () => true, when: 'instead', answer: () => html(503) });
    await expect(t.sync()).rejects.toBeInstanceOf(MlflowEdgeError);
    s.requests = [];
    await new Promise((r) => setTimeout(r, 2500)); // past the first backoff (2 s)
    expect(s.requests).toEqual([]);
    expect((await t.syncStatus()).state).not.toBe('syncing');
  });

  it('every error that reaches the caller is an MlflowEdgeError', async () => {
    const s = server();
    const { t } = await open(s.url);
    await logRun(t);
    s.lie({
      match: () => true,
      when: 'instead',
      answer: () => new Response('{"broken json', { status: 200, headers: { 'Content-Type': 'application/json' } }),
    });
    const error = await rejection(t.sync());
    expect(error).toBeInstanceOf(MlflowEdgeError);
    const status: SyncStatus = await t.syncStatus();
    expect(status.lastError?.code).toBe('TEMPORARILY_UNAVAILABLE');
  });

  it("during an upload the status counts down from the pass's own reading (what the server acknowledged is no longer pending)", async () => {
    const s = server();
    const { t } = await open(s.url);
    const run = await t.startRun({ experimentName: 'lies' });
    for (let step = 0; step < 2500; step++) run.logMetric('m', step, { step });
    await run.end();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let batches = 0;
    let reached!: () => void;
    const second = new Promise<void>((r) => (reached = r));
    // The server applies each log-batch; the answer to the second waits until released.
    s.lie({
      match: at('runs/log-batch'),
      when: 'after',
      answer: async () => {
        if (++batches === 2) {
          reached();
          await held;
        }
        return new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } });
      },
    });
    const syncing = t.sync();
    await second;
    const mid = await t.syncStatus();
    expect(mid.state).toBe('syncing');
    const first = s.requests.find((r) => r.endpoint === 'runs/log-batch')!.body as {
      metrics: unknown[];
      tags: unknown[];
    };
    expect(first.metrics.length).toBeGreaterThan(900);
    expect(mid.pending).toMatchObject({ runs: 1, tags: 0, metrics: 2500 - first.metrics.length });
    release();
    await syncing;
    expect((await t.syncStatus()).pending).toEqual(nothingPending);
    await expectServerEquals(t, s);
  });

  it('Retry-After is honoured up to a cap, also as a date on a skewed clock', () => {
    expect(retryAfter('2')).toBe(2000);
    expect(retryAfter('86400')).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfter(new Date(Date.now() + 24 * 3600_000).toUTCString())).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfter('Wed, 21 Oct 2015 07:28:00 GMT')).toBe(0);
    expect(retryAfter('soon')).toBeUndefined();
    expect(retryAfter('')).toBeUndefined();
  });

  it('URLs in messages are redacted', () => {
    expect(redactUrl('http://ada:pw@host:5000/x?token=abc&q=1')).toBe('http://***@host:5000/x?token=***&q=1');
    expect(redactUrl('not a url //u:p@host')).toBe('not a url //***@host');
  });
});
