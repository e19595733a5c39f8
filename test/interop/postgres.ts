// A throwaway PostgreSQL cluster for the interop tier's load test (an MLflow server on
// PostgreSQL with several workers).
//
// - One fresh temp dir per cluster: data/, the Unix socket, server.log. initdb with trust
//   auth, then `postgres` on a free loopback port; waits until it accepts connections and
//   creates the database. stop() ends it (fast shutdown, then SIGKILL) and removes the dir.
// - initdb and postgres refuse to run as root: as root, they run as the `postgres` user
//   (Debian's package creates it), which owns the temp dir.
// - No cluster outlives the test process: a process 'exit' handler kills it, and a watchdog
//   in the wrapper shell kills it when this process's stdin pipe closes (a SIGKILLed test
//   process never runs its exit handlers).
//
// Binaries: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (Debian's
// `postgresql`, which `npm test` installs when missing), else PATH.

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './mlflow-server.js';

export interface Postgres {
  /**
   * SQLAlchemy URI of the database, e.g. postgresql+psycopg2://postgres@127.0.0.1:40123/mlflow.
   * The driver is named: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, and the venv
   * has psycopg2-binary (test/interop/requirements.txt).
   */
  uri: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Database to create (default 'mlflow'). */
  database?: string;
  /** Extra server settings (`-c key=value`), e.g. { fsync: 'off' } for a test that never needs the data after a crash. */
  settings?: Record<string, string>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/** The directory holding initdb, postgres, pg_isready and createdb. */
export function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length > 0) return join(root, versions[0]!, 'bin');
  return ''; // PATH
}

function exe(name: string): string {
  const bin = postgresBin();
  return bin ? join(bin, name) : name;
}

/** uid/gid to run the server as: the `postgres` user when we are root, else ourselves. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      "PostgreSQL refuses to run as root and there is no 'postgres' user: install Debian's postgresql (npm test does).",
    );
  }
}

function run(file: string, args: string[], user?: { uid: number; gid: number }, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { ...user, ...(cwd ? { cwd } : {}), timeout: 60_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

const live = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* ESRCH: already gone */
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

// Wrapper (bash, in its own process group): postgres in the background, and a watchdog in
// its own session that waits for EOF on our stdin pipe, then ends the group and removes the dir.
const WRAPPER = `
exec 3<&0
"$@" </dev/null 3<&- &
child=$!
setsid bash -c 'cat >/dev/null; kill -INT -- -"$1" 2>/dev/null || exit 0; sleep 3; kill -KILL -- -"$1" 2>/dev/null; rm -rf -- "$2"' watchdog "$$" "$EDGE_PG_DIR" <&3 >/dev/null 2>&1 &
exec 3<&-
wait "$child"
`;

export async function startPostgres(options: PostgresOptions = {}): Promise<Postgres> {
  // The free port can be taken between our probe and the server's bind: retry a couple of times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof PortInUseError)) throw e;
    }
  }
}

class PortInUseError extends Error {}

async function startOnce(options: PostgresOptions): Promise<Postgres> {
  const initdb = exe('initdb');
  if (postgresBin() !== '' && !existsSync(initdb))
    throw new Error(`PostgreSQL not found at ${initdb}: apt-get install postgresql (npm test does), or set PG_BIN.`);
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'mlflow-edge-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const database = options.database ?? 'mlflow';
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const s of live) {
        if (s.child.pid !== undefined) killGroup(s.child.pid, 'SIGKILL');
        rmSync(s.dir, { recursive: true, force: true });
      }
    });
  }
  try {
    await run(
      initdb,
      ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      user,
      dir,
    );
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    // MLflow opens a connection pool per store and per worker process.
    max_connections: '200',
    ...options.settings,
  };
  const args = ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child = spawn('/bin/bash', ['-c', WRAPPER, 'postgres', exe('postgres'), ...args], {
    cwd: dir,
    env: { ...process.env, EDGE_PG_DIR: dir },
    detached: true, // own process group: pgid = child.pid
    stdio: ['pipe', 'pipe', 'pipe'],
    ...user,
  });
  const entry = { child, dir };
  live.add(entry);
  const out: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => out.push(b));
  child.unref();
  for (const s of [child.stdout, child.stderr, child.stdin]) (s as unknown as { unref?: () => void }).unref?.();
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const pid = child.pid;
    if (pid !== undefined) {
      // SIGINT is PostgreSQL's fast shutdown: it ends open sessions instead of waiting for them.
      killGroup(pid, 'SIGINT');
      const deadline = Date.now() + STOP_GRACE_MS;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
      if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
    }
    if (!exited) await Promise.race([exit, sleep(2_000)]);
    child.stdin?.destroy();
    live.delete(entry);
    rmSync(dir, { recursive: true, force: true });
  };

  const started = Date.now();
  for (;;) {
    const log = () => Buffer.concat(out).toString('utf8').slice(-8_000);
    if (exited) {
      const E = /could not bind|already in use/i.test(log()) ? PortInUseError : Error;
      await stop();
      throw new E(`postgres exited before accepting connections.\n--- output tail ---\n${log()}`);
    }
    if (Date.now() - started > START_TIMEOUT_MS) {
      await stop();
      throw new Error(
        `postgres not ready after ${START_TIMEOUT_MS / 1000} s on port ${port}.\n--- output tail ---\n${log()}`,
      );
    }
    try {
      await run(exe('pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-q']);
      break;
    } catch {
      await sleep(200);
    }
  }
  try {
    await run(exe('createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', database]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { uri: `postgresql+psycopg2://postgres@127.0.0.1:${port}/${database}`, port, dir, stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
