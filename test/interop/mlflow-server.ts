// Start a real MLflow tracking server (from the repo's Python venv) for interop tests.
//
// - One fresh temp dir per server: sqlite backend, proxied artifacts, auth DB, logs.
// - Binds 127.0.0.1 only, on a free port; waits for GET /health == 200.
// - The server runs in its own process group (the `mlflow` CLI, its uvicorn child and
//   any workers); stop() kills the whole group and removes the temp dir.
// - No server outlives the test process: a process 'exit' handler kills every group, and a
//   watchdog in the wrapper shell kills the group when its lifeline pipe (fd 3) from this
//   process closes (covers a test process that is SIGKILLed and never runs its exit handlers).
//
// Lifecycle (issue 9): restart() on the same port and database, restart({ wipe: true }) on the
// same port with an empty database and artifact root, backup() / restore(handle) of the SQLite
// file and the artifacts. REST helpers below delete and restore experiments and runs.
//
// The venv is <repo>/.venv (install: `python3 -m venv .venv && .venv/bin/pip install -r
// test/interop/requirements.txt`). MLFLOW_EDGE_MLFLOW_BIN overrides the `mlflow` executable.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MlflowServer {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  /** Temp dir holding mlflow.db, artifacts/, server.log (and basic_auth.ini / basic_auth.db). */
  dir: string;
  /** The admin's credentials when started with `basicAuth: true` (what the REST helpers send). */
  auth?: { username: string; password: string };
  /** Stop the server and remove its dir (backups included). */
  stop(): Promise<void>;
  /**
   * Stop the server and start it again on the same port with the same options. Same database
   * and artifacts, or with `wipe: true` an empty database and artifact root (the auth database,
   * and so the users, are kept). Resolves once /health answers 200.
   */
  restart(options?: { wipe?: boolean }): Promise<void>;
  /** An online copy of the SQLite database (SQLite's backup API) and of the artifacts, kept in dir/backups/. */
  backup(): Promise<MlflowBackup>;
  /** Stop, put the database and artifacts back as they were at `backup`, start again on the same port. */
  restore(backup: MlflowBackup): Promise<void>;
}

/** A snapshot taken by MlflowServer.backup(); usable any number of times, on the server that took it. */
export interface MlflowBackup {
  readonly id: number;
  /** dir/backups/<id>, holding mlflow.db and artifacts/ */
  readonly dir: string;
  /** Date.now() when it was taken. */
  readonly takenAt: number;
}

/** What startOnce starts: one server process in a dir; stop(true) keeps the dir for a restart. */
interface MlflowProcess {
  url: string;
  port: number;
  dir: string;
  stop(keepDir?: boolean): Promise<void>;
}

export interface MlflowServerOptions {
  /** Start with `--app-name basic-auth`; the admin user is ADMIN. */
  basicAuth?: boolean;
  /** Passed as `--cors-allowed-origins a,b` (exact origins, or '*'). */
  corsAllowedOrigins?: string[];
  extraArgs?: string[];
  /** Another mlflow executable, e.g. MLFLOW2_BIN for an MLflow 2 server. Default MLFLOW_BIN. */
  bin?: string;
  /** `--backend-store-uri`, e.g. a PostgreSQL database from postgres.ts. Default: sqlite in the server's temp dir. */
  backendStoreUri?: string;
  /** `--workers N` (uvicorn worker processes). Default 1. */
  workers?: number;
}

/**
 * Basic-auth admin of every server started with `basicAuth: true`.
 * MLflow >= 3.17 ships no default admin password and refuses the old `admin`/`password1234`
 * (GHSA-gq3w-7jj3-x7gr); passwords must be >= 12 characters. We write both the ini file
 * (MLFLOW_AUTH_CONFIG_PATH) and MLFLOW_AUTH_ADMIN_USERNAME / MLFLOW_AUTH_ADMIN_PASSWORD.
 */
export const ADMIN: { username: string; password: string } = Object.freeze({
  username: 'admin',
  password: 'mlflow-edge-interop-admin',
});

/** <repo>/.venv/bin/mlflow, resolved relative to this file. */
export const MLFLOW_BIN: string =
  process.env.MLFLOW_EDGE_MLFLOW_BIN ?? fileURLToPath(new URL('../../.venv/bin/mlflow', import.meta.url));
const DEFAULT_BIN = MLFLOW_BIN;

/** <repo>/.venv-mlflow2/bin/mlflow: an MLflow 2 server, for the tests of what changes on servers without logged models. */
export const MLFLOW2_BIN: string = fileURLToPath(new URL('../../.venv-mlflow2/bin/mlflow', import.meta.url));

const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
const TAIL_BYTES = 16_384;

interface Live {
  child: ChildProcess;
  dir: string;
}
const live = new Set<Live>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: group already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const s of live) {
      if (s.child.pid !== undefined) killGroup(s.child.pid, 'SIGKILL');
      try {
        rmSync(s.dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
    live.clear();
  });
}

/** A port that was free a moment ago (bind port 0 on 127.0.0.1, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not get a free port'));
        return;
      }
      const { port } = addr;
      srv.close(() => resolve(port));
    });
  });
}

const helpTexts = new Map<string, Promise<string>>();
/** `mlflow server --help`, once per process and executable (used to feature-detect flags such as --workers). */
export function mlflowServerHelp(bin = MLFLOW_BIN): Promise<string> {
  let help = helpTexts.get(bin);
  if (help === undefined) {
    help = new Promise((resolve, reject) => {
      execFile(
        bin,
        ['server', '--help'],
        { env: serverEnv(), timeout: 60_000, maxBuffer: 4 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`${bin} server --help failed: ${err.message}\n${stderr}`));
          else resolve(stdout);
        },
      );
    });
    helpTexts.set(bin, help);
  }
  return help;
}

function serverEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Don't let the developer's MLflow settings leak into the test server.
    if (k.startsWith('MLFLOW_') && k !== 'MLFLOW_EDGE_MLFLOW_BIN') continue;
    env[k] = v;
  }
  return {
    ...env,
    PYTHONUNBUFFERED: '1',
    // No network but loopback: no telemetry, no huey job-runner subprocesses.
    MLFLOW_DISABLE_TELEMETRY: 'true',
    DO_NOT_TRACK: 'true',
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
    ...extra,
  };
}

function tail(chunks: Buffer[]): string {
  const all = Buffer.concat(chunks).toString('utf8');
  const hint = /No module named 'flask_wtf'/.test(all)
    ? "\nHINT: --app-name basic-auth needs the auth extra (Flask-WTF): install 'mlflow[auth]==<version>' in .venv.\n"
    : '';
  return (all.length > TAIL_BYTES ? '…' + all.slice(-TAIL_BYTES) : all) + hint;
}

// Wrapper (bash): runs mlflow in the background inside this shell's process group (the
// shell is started detached, so it leads a new group), plus a watchdog in its own session
// (so group kills in stop() don't hit it) that waits for EOF on the lifeline pipe Node
// passes as fd 3, i.e. for the Node process that spawned us to be gone, then kills the group
// and removes the dir. stop() closes the pipe after killing the group, and the watchdog then
// exits at once. The lifeline is fd 3, not stdin, because Node closes a child's stdin as soon
// as the child exits: the wrapper dies first on SIGTERM, and a stdin-fed watchdog would then
// remove the dir while mlflow is still shutting down (fatal for restart(), which keeps the dir).
const WRAPPER = `
"$@" </dev/null 3<&- &
child=$!
setsid bash -c 'cat >/dev/null; kill -TERM -- -"$1" 2>/dev/null || exit 0; sleep 3; kill -KILL -- -"$1" 2>/dev/null; rm -rf -- "$2"' watchdog "$$" "$EDGE_INTEROP_DIR" <&3 >/dev/null 2>&1 &
exec 3<&-
wait "$child"
`;

export async function startMlflowServer(options: MlflowServerOptions = {}): Promise<MlflowServer> {
  // The free port can be taken between our probe and uvicorn's bind: retry a couple of times.
  for (let attempt = 1; ; attempt++) {
    try {
      return withLifecycle(await startOnce(options), options);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof PortInUseError)) throw e;
    }
  }
}

const DB_FILE = 'mlflow.db';
const DB_SIDE_FILES = ['mlflow.db-journal', 'mlflow.db-wal', 'mlflow.db-shm'];

/** The MlflowServer around a started process: restart / wipe / backup / restore on the same dir and port. */
function withLifecycle(first: MlflowProcess, options: MlflowServerOptions): MlflowServer {
  const { url, port, dir } = first;
  let current = first;
  let backups = 0;
  let stopped = false;
  // One lifecycle operation at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(() => {
      if (stopped) throw new Error('mlflow server: already stopped');
      return fn();
    });
    queue = next.catch(() => undefined);
    return next;
  };
  const dbPath = join(dir, DB_FILE);
  const requireSqlite = (what: string) => {
    if (!existsSync(dbPath)) throw new Error(`mlflow server: ${what} handles the SQLite backend only (no ${dbPath})`);
  };
  const removeStores = () => {
    for (const f of [DB_FILE, ...DB_SIDE_FILES]) rmSync(join(dir, f), { force: true });
    rmSync(join(dir, 'artifacts'), { recursive: true, force: true });
  };
  /** Stop the process (keeping the dir), change the files, start again on the same port. */
  const relaunch = async (between: () => void) => {
    await current.stop(true);
    between();
    for (let attempt = 1; ; attempt++) {
      try {
        current = await startOnce(options, { dir, port });
        return;
      } catch (e) {
        // Our own old socket is closed by now; something else may hold the port for a moment.
        if (attempt >= 5 || !(e instanceof PortInUseError)) throw e;
        await sleep(1_000);
      }
    }
  };

  const server: MlflowServer = {
    url,
    port,
    dir,
    stop: async () => {
      if (stopped) return;
      await queue;
      stopped = true;
      await current.stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
    restart: (opts = {}) =>
      serial(async () => {
        if (opts.wipe === true) requireSqlite('restart({ wipe: true })');
        await relaunch(() => {
          if (opts.wipe === true) removeStores();
        });
      }),
    backup: () =>
      serial(async () => {
        requireSqlite('backup()');
        const id = ++backups;
        const into = join(dir, 'backups', String(id));
        mkdirSync(into, { recursive: true });
        await sqliteBackup(options.bin ?? DEFAULT_BIN, dbPath, join(into, DB_FILE));
        cpSync(join(dir, 'artifacts'), join(into, 'artifacts'), { recursive: true });
        return Object.freeze({ id, dir: into, takenAt: Date.now() });
      }),
    restore: (backup) =>
      serial(async () => {
        if (backup.dir !== join(dir, 'backups', String(backup.id)) || !existsSync(join(backup.dir, DB_FILE))) {
          throw new Error(`mlflow server: backup ${backup.dir} was not taken by the server in ${dir}`);
        }
        await relaunch(() => {
          removeStores();
          copyFileSync(join(backup.dir, DB_FILE), dbPath);
          cpSync(join(backup.dir, 'artifacts'), join(dir, 'artifacts'), { recursive: true });
        });
      }),
  };
  if (options.basicAuth === true) server.auth = { username: ADMIN.username, password: ADMIN.password };
  return server;
}

/** Consistent copy of a live SQLite database with Python's sqlite3 backup API (the venv's python, else python3). */
function sqliteBackup(bin: string, from: string, to: string): Promise<void> {
  const venvPython = join(dirname(bin), 'python');
  const python = existsSync(venvPython) ? venvPython : 'python3';
  const script = [
    'import sqlite3, sys',
    'src = sqlite3.connect(sys.argv[1])',
    'dst = sqlite3.connect(sys.argv[2])',
    'src.backup(dst)',
    'dst.close()',
    'src.close()',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', script, from, to], { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`sqlite backup of ${from} failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}

type RestTarget = { url: string; auth?: { username: string; password: string } | undefined };

/** Authorization header for a server started with basicAuth (none otherwise). */
export function authHeaders(server: RestTarget): Record<string, string> {
  if (server.auth === undefined) return {};
  return {
    Authorization: `Basic ${Buffer.from(`${server.auth.username}:${server.auth.password}`).toString('base64')}`,
  };
}

async function mlflowRest(
  server: RestTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = authHeaders(server);
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(`${server.url}/api/2.0/mlflow/${path}`, init);
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${method} ${path} -> ${r.status}: ${text.slice(0, 500)}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** experiments/delete: soft delete (lifecycle_stage "deleted"; its runs go with it, the name stays taken). */
export async function deleteExperiment(server: RestTarget, experimentId: string): Promise<void> {
  await mlflowRest(server, 'POST', 'experiments/delete', { experiment_id: experimentId });
}

/** experiments/restore: back to "active", with its runs. */
export async function restoreExperiment(server: RestTarget, experimentId: string): Promise<void> {
  await mlflowRest(server, 'POST', 'experiments/restore', { experiment_id: experimentId });
}

/** runs/delete: soft delete (lifecycle_stage "deleted"). */
export async function deleteRun(server: RestTarget, runId: string): Promise<void> {
  await mlflowRest(server, 'POST', 'runs/delete', { run_id: runId });
}

/** runs/restore: back to "active". */
export async function restoreRun(server: RestTarget, runId: string): Promise<void> {
  await mlflowRest(server, 'POST', 'runs/restore', { run_id: runId });
}

/** The id of the experiment named `name` (deleted ones included), or undefined when there is none. */
export async function experimentIdByName(server: RestTarget, name: string): Promise<string | undefined> {
  const r = await fetch(
    `${server.url}/api/2.0/mlflow/experiments/get-by-name?${new URLSearchParams({ experiment_name: name })}`,
    {
      headers: authHeaders(server),
    },
  );
  const text = await r.text();
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET experiments/get-by-name -> ${r.status}: ${text.slice(0, 500)}`);
  return (JSON.parse(text) as { experiment: { experiment_id: string } }).experiment.experiment_id;
}

class PortInUseError extends Error {}

/** Start one server process; `reuse` (restart) keeps an existing dir and port. */
async function startOnce(options: MlflowServerOptions, reuse?: { dir: string; port: number }): Promise<MlflowProcess> {
  const MLFLOW_BIN = options.bin ?? DEFAULT_BIN;
  if (!existsSync(MLFLOW_BIN)) {
    throw new Error(
      `MLflow not found at ${MLFLOW_BIN}. Create the venv: python3 -m venv .venv && ` +
        `.venv/bin/pip install -r test/interop/requirements.txt (or set MLFLOW_EDGE_MLFLOW_BIN).`,
    );
  }
  installExitHook();
  const help = await mlflowServerHelp(MLFLOW_BIN);
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'mlflow-edge-interop-'));
  mkdirSync(join(dir, 'artifacts'), { recursive: true });
  const port = reuse?.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;

  const args = [
    'server',
    '--backend-store-uri',
    options.backendStoreUri ?? `sqlite:///${join(dir, 'mlflow.db')}`,
    '--artifacts-destination',
    join(dir, 'artifacts'),
    '--serve-artifacts',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
  ];
  if (/--workers\b/.test(help)) args.push('--workers', String(options.workers ?? 1));
  else if ((options.workers ?? 1) !== 1) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${MLFLOW_BIN} server has no --workers`);
  }
  const env: Record<string, string> = {};
  if (options.corsAllowedOrigins !== undefined && options.corsAllowedOrigins.length > 0) {
    if (!/--cors-allowed-origins\b/.test(help)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${MLFLOW_BIN} server has no --cors-allowed-origins (needs MLflow >= 3.5)`);
    }
    args.push('--cors-allowed-origins', options.corsAllowedOrigins.join(','));
  }
  if (options.basicAuth === true) {
    args.push('--app-name', 'basic-auth');
    const ini = join(dir, 'basic_auth.ini');
    writeFileSync(
      ini,
      [
        '[mlflow]',
        'default_permission = READ',
        `database_uri = sqlite:///${join(dir, 'basic_auth.db')}`,
        `admin_username = ${ADMIN.username}`,
        `admin_password = ${ADMIN.password}`,
        'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
        '',
      ].join('\n'),
    );
    env.MLFLOW_AUTH_CONFIG_PATH = ini;
    env.MLFLOW_AUTH_ADMIN_USERNAME = ADMIN.username;
    env.MLFLOW_AUTH_ADMIN_PASSWORD = ADMIN.password;
    env.MLFLOW_FLASK_SERVER_SECRET_KEY = randomBytes(24).toString('hex');
  }
  args.push(...(options.extraArgs ?? []));

  const out: Buffer[] = [];
  let outBytes = 0;
  const keep = (b: Buffer) => {
    out.push(b);
    outBytes += b.length;
    while (outBytes > 4 * TAIL_BYTES && out.length > 1) outBytes -= out.shift()!.length;
  };
  const child = spawn('/bin/bash', ['-c', WRAPPER, 'mlflow-server', MLFLOW_BIN, ...args], {
    cwd: dir,
    env: serverEnv({ ...env, EDGE_INTEROP_DIR: dir }),
    detached: true, // own process group: pgid = child.pid
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'], // fd 3: the watchdog's lifeline
  });
  const lifeline = child.stdio[3] as (NodeJS.WritableStream & { destroy(): void; unref?: () => void }) | null;
  const entry: Live = { child, dir };
  live.add(entry);
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  // Don't keep the event loop alive for the server's sake.
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  lifeline?.unref?.();

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });

  let stopped = false;
  const stop = async (keepDir = false): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const pid = child.pid;
    if (pid !== undefined) {
      killGroup(pid, 'SIGTERM');
      const deadline = Date.now() + STOP_GRACE_MS;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
      if (groupAlive(pid)) {
        killGroup(pid, 'SIGKILL');
        const hard = Date.now() + 5_000;
        while (groupAlive(pid) && Date.now() < hard) await sleep(50);
      }
    }
    if (exited === undefined) await Promise.race([exitPromise, sleep(2_000)]);
    lifeline?.destroy();
    live.delete(entry);
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };

  const started = Date.now();
  for (;;) {
    if (exited !== undefined) {
      const log = tail(out);
      await stop(reuse !== undefined);
      const E = /address already in use|Errno 98/i.test(log) ? PortInUseError : Error;
      throw new E(
        `mlflow server exited before it was healthy (code ${exited.code}, signal ${exited.signal}).\n` +
          `command: ${MLFLOW_BIN} ${args.join(' ')}\n--- output tail ---\n${log}`,
      );
    }
    if (Date.now() - started > START_TIMEOUT_MS) {
      const log = tail(out);
      await stop(reuse !== undefined);
      throw new Error(
        `mlflow server not healthy after ${START_TIMEOUT_MS / 1000} s at ${url}/health.\n` +
          `command: ${MLFLOW_BIN} ${args.join(' ')}\n--- output tail ---\n${log}`,
      );
    }
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }

  // Keep the log on disk too (handy when a test fails after start-up).
  child.stdout!.removeListener('data', keep);
  child.stderr!.removeListener('data', keep);
  writeFileSync(join(dir, 'server.log'), Buffer.concat(out));
  const append = (b: Buffer) => {
    try {
      writeFileSync(join(dir, 'server.log'), b, { flag: 'a' });
    } catch {
      /* dir removed */
    }
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);

  return { url, port, dir, stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
