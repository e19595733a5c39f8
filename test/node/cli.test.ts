/**
 * The command line as a user runs it (node dist/cli.js, built first when
 * stale): usage errors and exit codes, and `status` against stores filled in
 * this process by the real TrackerService. Sync against a real MLflow server
 * is in test/interop/cli.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteTables } from '../../src/store/adapters/sqlite.js';
import { SQLITE_FILE } from '../../src/store/open.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/schema.js';
import { openTableDatabase } from '../../src/store/tables/database.js';
import {
  buildCli,
  CLI,
  logRuns,
  removeStoreDirs,
  ROOT,
  runCli,
  statusOf,
  storeDir,
  withStore,
  type LoggedRun,
} from './cli-run.js';

const RUNS: LoggedRun[] = [
  { name: 'first', params: { lr: '0.1', depth: '3' }, metrics: { loss: [0.9, 0.5, 0.25] }, artifacts: {} },
  {
    name: 'second',
    params: { lr: '0.2' },
    metrics: { loss: [0.8, 0.4], acc: [0.5, 0.75] },
    artifacts: { 'notes.txt': 'twelve bytes' },
  },
];

let filled: string;

beforeAll(async () => {
  buildCli();
  filled = storeDir();
  await logRuns(filled, 'cli-test', RUNS);
}, 120_000);
afterAll(removeStoreDirs);

describe('usage', () => {
  it('--help prints the usage (and says export/import are not there yet); exit 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: mlflow-edge <command> --store <dir>/);
    expect(r.stdout).toMatch(/Exit codes:/);
    expect(r.stdout).toMatch(/export and import .*no bundle format yet/);
    expect(r.stderr).toBe('');
  });

  it('dist/cli.js is a program: a node shebang, executable, runs by its own name', () => {
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(CLI).mode & 0o111).toBe(0o111);
    expect(execFileSync(CLI, ['--help'], { encoding: 'utf8' })).toMatch(/^Usage: mlflow-edge/);
  });

  it('help is --help (npx keeps a --help right after the name for itself)', async () => {
    expect(await runCli(['help'])).toEqual(await runCli(['--help']));
  });

  it.each([['--version'], ['version']])('%s prints the package version', async (flag) => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli([flag]);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each([
    [[], /no command/],
    [['frobnicate', '--store', '.'], /unknown command 'frobnicate'/],
    [['status', '--store', '.', '--frob'], /Unknown option '--frob'/],
    [['status'], /status needs --store <dir>/],
    [['sync', '--store'], /--store/],
    [['status', '--store', '.', 'extra'], /unexpected argument 'extra'/],
    [['export', '--store', '.'], /export is not there yet: there is no bundle format/],
    [['import', '--store', '.'], /import is not there yet/],
  ])('%j: exit 2 with a message and the usage on stderr', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Usage: mlflow-edge/);
  });

  it.each(['status', 'sync'])('%s on a path that does not exist: exit 2, and no store is made', async (command) => {
    const missing = join(storeDir(), 'no-such-store');
    const r = await runCli([command, '--store', missing, '--tracking-uri', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`there is no store at ${missing}: the directory does not exist.`);
    expect(existsSync(missing)).toBe(false);
  });

  it('a directory that holds no store: exit 2, and nothing is written in it', async () => {
    const empty = storeDir();
    const r = await runCli(['status', '--store', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`it holds no ${SQLITE_FILE}`);
    expect(existsSync(join(empty, SQLITE_FILE))).toBe(false);
  });

  it('a file as the store: exit 2', async () => {
    const file = join(storeDir(), 'file');
    writeFileSync(file, 'x');
    const r = await runCli(['status', '--store', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a directory');
  });

  it('sync with no tracking server anywhere: exit 2, saying where to give one', async () => {
    const r = await runCli(['sync', '--store', filled]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no tracking server: pass --tracking-uri <uri> or set MLFLOW_TRACKING_URI/);
  });

  it.each([
    [['--tracking-uri', 'file:///tmp/mlruns'], {}, /tracking URI from --tracking-uri .* is not http\(s\)/],
    [[], { MLFLOW_TRACKING_URI: 'databricks' }, /tracking URI from MLFLOW_TRACKING_URI \('databricks'\) is not a URL/],
  ])('a tracking URI that is not http(s) (%j %j): exit 2', async (flags, env, message) => {
    const r = await runCli(['sync', '--store', filled, ...flags], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('status', () => {
  it('--json prints the SyncStatus exactly as the tracker reports it; exit 0', async () => {
    const r = await runCli(['status', '--store', filled, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const printed = JSON.parse(r.stdout);
    expect(printed).toEqual(await statusOf(filled));
    expect(printed).toMatchObject({
      configured: false,
      state: 'disabled',
      pending: { runs: 2, params: 3, metrics: 7, artifacts: 1, models: 0, registry: 0, bytes: 12 },
      deadLetters: [],
    });
    expect(printed.pending.tags).toBeGreaterThan(0); // mlflow.runName and friends
  });

  it.each(['deno', 'bun'] as const)('prints the same SyncStatus when %s runs the command', async (runtime) => {
    const r = await runCli(['status', '--store', filled, '--json'], {}, runtime);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(await statusOf(filled));
  });

  it('prints a table of what is pending, the server, the last error and dead letters', async () => {
    const r = await runCli(['status', '--store', filled]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^store +${filled}$`));
    expect(r.stdout).toMatch(/^tracking URI +none set$/m);
    expect(r.stdout).toMatch(/^pending runs +2$/m);
    expect(r.stdout).toMatch(/^pending params +3$/m);
    expect(r.stdout).toMatch(/^pending metric points +7$/m);
    expect(r.stdout).toMatch(/^pending artifacts +1$/m);
    expect(r.stdout).toMatch(/^pending bytes +12 B$/m);
    expect(r.stdout).toMatch(/^last error +none$/m);
    expect(r.stdout).toMatch(/^dead letters +0$/m);
  });

  it('reports the server set for the store; --tracking-uri or MLFLOW_TRACKING_URI looks at another without changing it', async () => {
    const dir = storeDir();
    await logRuns(dir, 'cli-uri', RUNS.slice(0, 1));
    await withStore(dir, async () => undefined, { trackingUri: 'http://127.0.0.1:9/' });

    const stored = await runCli(['status', '--store', dir, '--json']);
    expect(stored.code).toBe(0);
    expect(JSON.parse(stored.stdout)).toMatchObject({ configured: true, trackingUri: 'http://127.0.0.1:9' });
    const table = await runCli(['status', '--store', dir]);
    expect(table.stdout).toMatch(/^tracking URI +http:\/\/127\.0\.0\.1:9 \(set for the store\)$/m);

    const flag = await runCli(['status', '--store', dir, '--json', '--tracking-uri', 'http://127.0.0.2:9']);
    expect(JSON.parse(flag.stdout)).toMatchObject({ trackingUri: 'http://127.0.0.2:9', pending: { runs: 1 } });
    const env = await runCli(['status', '--store', dir], { MLFLOW_TRACKING_URI: 'http://127.0.0.3:9' });
    expect(env.stdout).toMatch(/^tracking URI +http:\/\/127\.0\.0\.3:9 \(MLFLOW_TRACKING_URI\)$/m);

    const empty = await runCli(['status', '--store', dir], { MLFLOW_TRACKING_URI: '' }); // empty is unset
    expect(empty.stdout).toMatch(/^tracking URI +http:\/\/127\.0\.0\.1:9 \(set for the store\)$/m);

    const after = await runCli(['status', '--store', dir, '--json']);
    expect(JSON.parse(after.stdout)).toMatchObject({ trackingUri: 'http://127.0.0.1:9' });
  });

  it('a store written by a newer mlflow-edge: exit 3 with the typed error, and the store is left as it was', async () => {
    const dir = storeDir();
    mkdirSync(dir, { recursive: true });
    const { tables } = await openSqliteTables(join(dir, SQLITE_FILE));
    const migrations = [...MIGRATIONS, () => undefined, () => undefined];
    (await openTableDatabase(tables, 'newer', SCHEMA_VERSION + 2, migrations)).close();
    const before = readFileSync(join(dir, SQLITE_FILE));

    const r = await runCli(['status', '--store', dir]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^mlflow-edge status: the store at .* cannot be opened: .*written by a newer version of mlflow-edge/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(dir, SQLITE_FILE)).equals(before)).toBe(true);
  });

  it('a damaged store file: exit 3, saying what to do', async () => {
    const dir = storeDir();
    writeFileSync(join(dir, SQLITE_FILE), 'not a database, however long this line is made to be. '.repeat(40));
    const r = await runCli(['sync', '--store', dir, '--tracking-uri', 'http://127.0.0.1:9']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot be opened: .*is damaged, or is not an mlflow-edge database.*Move it aside/);
  });
});
