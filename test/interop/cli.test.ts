// The command line against a real MLflow server (basic auth, credentials from
// MLflow's environment variables): a store filled in this process by the real
// TrackerService, then `node dist/cli.js sync` and `status` as a user runs them;
// and a sync killed half way, finished by the next.
//   npx vitest run --config test/interop/vitest.config.ts test/interop/cli.test.ts
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCli,
  CLI,
  logRuns,
  removeStoreDirs,
  runCli,
  statusOf,
  storeDir,
  withStore,
  type LoggedRun,
} from '../node/cli-run.js';
import { NOTHING as NOTHING_PENDING } from '../../src/sync/progress.js';
import { ADMIN, authHeaders, startMlflowServer, type MlflowServer } from './mlflow-server.js';
import { ServerReader, type RunSnapshot } from './server-state.js';

const T = 120_000;
const EXPERIMENT = `cli-interop-${Date.now()}`;
const CREDENTIALS = { MLFLOW_TRACKING_USERNAME: ADMIN.username, MLFLOW_TRACKING_PASSWORD: ADMIN.password };

const RUNS: LoggedRun[] = [
  {
    name: 'cli-a',
    params: { lr: '0.1', depth: '3' },
    metrics: { loss: [0.9, 0.5, 0.25] },
    artifacts: { 'notes.txt': 'logged offline' },
  },
  {
    name: 'cli-b',
    params: { lr: '0.2' },
    metrics: { loss: [0.8, 0.4], acc: [0.5, 0.75] },
    artifacts: { 'plots/curve.csv': 'step,loss\n0,0.8\n1,0.4\n' },
  },
];
const LATER: LoggedRun = { name: 'cli-c', params: { lr: '0.3' }, metrics: { loss: [1, 0.5] }, artifacts: {} };

afterAll(removeStoreDirs);

const hex = (text: string) => Buffer.from(text).toString('hex');

/** Every run on the server, in any experiment. */
async function allRuns(server: MlflowServer): Promise<{ run_id: string }[]> {
  const headers = { ...authHeaders(server), 'Content-Type': 'application/json' };
  const api = `${server.url}/api/2.0/mlflow`;
  const experiments = await fetch(`${api}/experiments/search`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ max_results: 1000 }),
  }).then((r) => r.json() as Promise<{ experiments: { experiment_id: string }[] }>);
  const found = await fetch(`${api}/runs/search`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ experiment_ids: experiments.experiments.map((e) => e.experiment_id), max_results: 1000 }),
  }).then((r) => r.json() as Promise<{ runs?: { info: { run_id: string } }[] }>);
  return (found.runs ?? []).map((r) => r.info);
}

function expectHolds(snapshots: RunSnapshot[], runs: LoggedRun[]): void {
  expect(snapshots.map((s) => s.name).sort()).toEqual(runs.map((r) => r.name).sort());
  for (const run of runs) {
    const snap = snapshots.find((s) => s.name === run.name)!;
    expect(snap.status).toBe('FINISHED');
    expect(snap.params).toEqual(run.params);
    expect(Object.keys(snap.metrics).sort()).toEqual(Object.keys(run.metrics).sort());
    for (const [key, values] of Object.entries(run.metrics))
      expect(snap.metrics[key]!.map((p) => [p.step, p.value])).toEqual(values.map((v, step) => [step, v]));
    expect(snap.artifacts).toEqual(Object.fromEntries(Object.entries(run.artifacts).map(([p, t]) => [p, hex(t)])));
  }
}

describe('mlflow-edge sync against a real MLflow server', () => {
  let server: MlflowServer;
  let other: MlflowServer | undefined;
  let dir: string;

  beforeAll(async () => {
    buildCli();
    server = await startMlflowServer({ basicAuth: true });
    dir = storeDir();
    await logRuns(dir, EXPERIMENT, RUNS);
  }, T);
  afterAll(async () => {
    await server?.stop();
    await other?.stop();
  }, T);

  it('credentials the server refuses: exit 1, saying which variables to set; nothing is sent', {
    timeout: T,
  }, async () => {
    const r = await runCli(['sync', '--store', dir, '--tracking-uri', server.url], {
      MLFLOW_TRACKING_USERNAME: ADMIN.username,
      MLFLOW_TRACKING_PASSWORD: 'not-the-password',
    });
    console.log(`[cli] sync with a wrong password:\n${r.stderr}`);
    expect(r.code).toBe(1);
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^mlflow-edge sync: .*401.*set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD/);
    expect(last).not.toContain('not-the-password');
    expect(await allRuns(server)).toEqual([]);
  });

  it('uploads every run, param, metric and artifact; exit 0; the server holds exactly those runs', {
    timeout: T,
  }, async () => {
    const r = await runCli(['sync', '--store', dir, '--tracking-uri', server.url], CREDENTIALS);
    console.log(`[cli] sync's stderr:\n${r.stderr}[cli] its stdout:\n${r.stdout}`);
    expect(r.stderr).toMatch(/^mlflow-edge sync: everything is on the server\.$/m);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`mlflow-edge sync: ${server.url} (--tracking-uri): 2 runs, 3 params,`);
    expect(r.stdout).toMatch(/^pending runs +0$/m);
    expect(r.stdout).toMatch(/^dead letters +0$/m);

    const reader = new ServerReader(server.url, authHeaders(server));
    expectHolds(await reader.runs(EXPERIMENT), RUNS);
    expect(await allRuns(server)).toHaveLength(RUNS.length);
  });

  it('status --json then shows nothing pending, for the server now set for the store', { timeout: T }, async () => {
    const r = await runCli(['status', '--store', dir, '--json']);
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout);
    expect(status).toMatchObject({ configured: true, trackingUri: server.url, deadLetters: [] });
    expect(status.pending).toEqual(NOTHING_PENDING);

    // A second sync (the stored server, credentials from the environment) has nothing to do.
    const again = await runCli(['sync', '--store', dir], CREDENTIALS);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`mlflow-edge sync: ${server.url} (set for the store): nothing pending`);
    expect(await allRuns(server)).toHaveLength(RUNS.length);
  });

  it('an item the server refuses: exit 1, the dead letter listed; the rest is uploaded', { timeout: T }, async () => {
    // The server's run gets param `x` from elsewhere; the local run then logs another value (params are write-once).
    const reader = new ServerReader(server.url, authHeaders(server));
    const remote = (await reader.runs(EXPERIMENT)).find((r) => r.name === 'cli-b')!;
    const set = await fetch(`${server.url}/api/2.0/mlflow/runs/log-parameter`, {
      method: 'POST',
      headers: { ...authHeaders(server), 'Content-Type': 'application/json' },
      body: JSON.stringify({ run_id: remote.runId, key: 'x', value: 'server' }),
    });
    expect(set.status).toBe(200);
    await withStore(dir, async (service) => {
      const [run] = await service.searchRuns({
        experimentNames: [EXPERIMENT],
        filter: "attributes.run_name = 'cli-b'",
      });
      const runId = run!.info.runId;
      await service.startRun({ runId, startTime: Date.now() });
      await service.logBatch({ runs: [{ runId, params: [['x', 'local']], tags: [['note', 'kept']] }] });
      await service.endRun(runId, 'FINISHED', Date.now());
    });

    const r = await runCli(['sync', '--store', dir], CREDENTIALS);
    console.log(`[cli] sync with a refused param:\n${r.stderr}${r.stdout}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^dead letters +1$/m);
    expect(r.stdout).toMatch(/^ {2}run [0-9a-f]{32} param "x": .*INVALID_PARAMETER_VALUE: Changing param values/m);
    expect(r.stdout).toMatch(/^pending runs +0$/m);
    const refused =
      /^mlflow-edge sync: the server refused 1 item \(dead letters, listed above with the server's reasons\); they are not sent again: log what must be on the server again under another key or run, then run `mlflow-edge clear-dead-letters --store .*`\.$/;
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(refused);
    const after = (await reader.runs(EXPERIMENT)).find((r) => r.name === 'cli-b')!;
    expect(after.params.x).toBe('server');
    expect(after.tags.note).toBe('kept'); // the rest of the batch went up

    const status = JSON.parse((await runCli(['status', '--store', dir, '--json'])).stdout);
    expect(status.deadLetters).toMatchObject([{ kind: 'param', key: 'x' }]);
    // A dead letter stays: sync exits 1 again, saying so, without sending it again.
    const again = await runCli(['sync', '--store', dir], CREDENTIALS);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n').at(-1)).toMatch(refused);
    expect(again.stderr).toContain('nothing pending');

    // Read, then cleared: sync exits 0 again (before, nothing could clear them: it exited 1 for ever).
    const cleared = await runCli(['clear-dead-letters', '--store', dir, '--json'], CREDENTIALS);
    expect(cleared.code).toBe(0);
    expect(JSON.parse(cleared.stdout)).toEqual({ trackingUri: server.url, cleared: 1 });
    expect(cleared.stderr).toBe(
      `mlflow-edge clear-dead-letters: ${server.url} (set for the store): forgot 1 dead letter; the refused items stay unsent.\n`,
    );
    const clean = await runCli(['sync', '--store', dir], CREDENTIALS);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^dead letters +0$/m);
    expect((await reader.runs(EXPERIMENT)).find((r) => r.name === 'cli-b')!.params.x).toBe('server');
    const none = await runCli(['clear-dead-letters', '--store', dir], CREDENTIALS);
    expect([none.code, none.stderr]).toEqual([
      0,
      `mlflow-edge clear-dead-letters: ${server.url} (set for the store): no dead letters.\n`,
    ]);
  });

  it('with the server stopped: exit 1 with what to do, and the store keeps everything', { timeout: T }, async () => {
    await logRuns(dir, EXPERIMENT, [LATER]);
    const before = await statusOf(dir);
    expect(before.pending).toMatchObject({ runs: 1, params: 1, metrics: 2 });
    const url = server.url;
    await server.stop();

    const t0 = Date.now();
    const r = await runCli(['sync', '--store', dir], CREDENTIALS);
    console.log(`[cli] sync against a stopped server gave up after ${Date.now() - t0} ms:\n${r.stderr}`);
    expect(r.code).toBe(1);
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(
      new RegExp(
        `^mlflow-edge sync: .*Nothing was lost; run \`mlflow-edge sync --store ${dir}\` again when the server answers\\.$`,
      ),
    );
    expect(last).toContain('the server is down or unreachable. Nothing was lost');
    expect(last).not.toContain("page's origin"); // CORS refuses pages, never a command line
    expect(r.stdout).toMatch(/^pending runs +1$/m);
    expect(r.stdout).toMatch(/^last error +TEMPORARILY_UNAVAILABLE: /m);

    const after = await statusOf(dir);
    expect(after.pending).toEqual(before.pending);
    const status = JSON.parse((await runCli(['status', '--store', dir, '--json'])).stdout);
    expect(status).toMatchObject({ trackingUri: url, pending: before.pending, deadLetters: [] });

    // Intact: another server gets every run from the store, the one synced before included.
    other = await startMlflowServer({ basicAuth: true });
    const moved = await runCli(['sync', '--store', dir, '--tracking-uri', other.url], CREDENTIALS);
    expect(moved.code).toBe(0);
    const withX = RUNS.map((r) => (r.name === 'cli-b' ? { ...r, params: { ...r.params, x: 'local' } } : r));
    expectHolds(await new ServerReader(other.url, authHeaders(other)).runs(EXPERIMENT), [...withX, LATER]);
    const local = await withStore(dir, (service) => service.searchRuns({ experimentNames: [EXPERIMENT] }));
    expect(local).toHaveLength(3);
  });
});

describe('mlflow-edge sync killed half way', () => {
  let server: MlflowServer;

  beforeAll(async () => {
    buildCli();
    server = await startMlflowServer();
  }, T);
  afterAll(async () => {
    await server?.stop();
  }, T);

  it('the next sync finishes it: every run once, whole', { timeout: T }, async () => {
    const experiment = `cli-kill-${Date.now()}`;
    const runs: LoggedRun[] = Array.from({ length: 24 }, (_, i) => ({
      name: `kill-${i}`,
      params: { i: String(i), a: 'x', b: 'y' },
      metrics: { loss: Array.from({ length: 300 }, (_, step) => 1 / (step + i + 1)) },
      artifacts: { 'out.txt': `run ${i}` },
    }));
    const dir = storeDir();
    await logRuns(dir, experiment, runs);

    // SIGKILL once the second progress line shows the upload under way (no clean-up runs).
    const child = spawn(process.execPath, [CLI, 'sync', '--store', dir, '--tracking-uri', server.url]);
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if ((stderr.match(/left: /g) ?? []).length >= 2) child.kill('SIGKILL');
      });
      child.on('close', (c) => resolve(c));
    });
    const killed = code === null; // not asserted (timing): on a fast machine the first sync may finish before the kill
    const before = await new ServerReader(server.url).runs(experiment);
    console.log(
      `[cli] ${killed ? 'killed' : 'not killed (sync finished first)'} with ${before.length} of ${runs.length} runs on the server:\n${stderr}`,
    );

    const r = await runCli(['sync', '--store', dir]);
    expect(r.code).toBe(0);
    expectHolds(await new ServerReader(server.url).runs(experiment), runs);
    expect(await allRuns(server)).toHaveLength(runs.length);
  });
});
