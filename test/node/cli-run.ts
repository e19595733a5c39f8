/**
 * The built command line (dist/cli.js) as a user runs it, and stores on disk
 * filled in this process by the real TrackerService, for test/node/cli.test.ts
 * and test/interop/cli.test.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SyncStatus } from '../../src/protocol.js';
import { TrackerService } from '../../src/worker/service.js';
import { metricColumns } from '../metric-columns.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/cli.js');

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds the library (vite) when dist/cli.js is missing or older than src/ or vite.config.ts. */
export function buildCli(): void {
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'vite.config.ts')));
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= sources) return;
  execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'pipe' });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How each runtime runs a script: Node (this one), Deno and Bun from their npm packages. */
export const RUNTIME_COMMANDS = {
  node: [process.execPath],
  deno: [join(ROOT, 'node_modules/.bin/deno'), 'run', '--allow-all'],
  bun: [join(ROOT, 'node_modules/.bin/bun')],
} as const;

/** `node dist/cli.js ...args` (or Deno's, Bun's), with no MLFLOW_TRACKING_* from this process's environment unless given in `env`. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  runtime: keyof typeof RUNTIME_COMMANDS = 'node',
): Promise<CliResult> {
  const [bin, ...flags] = RUNTIME_COMMANDS[runtime];
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MLFLOW_TRACKING_')));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, [...flags, CLI, ...args], { cwd: ROOT, env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

const made: string[] = [];

/** A new, empty directory for a store (removed by removeStoreDirs). */
export function storeDir(prefix = 'cli-store-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory storeDir made in this process. */
export function removeStoreDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface LoggedRun {
  name: string;
  params: Record<string, string>;
  /** key → values at steps 0, 1, 2… */
  metrics: Record<string, number[]>;
  /** path → text */
  artifacts: Record<string, string>;
}

/** Opens the store at `dir` in this process (a new one if there is none), runs `work`, closes it. */
export async function withStore<T>(
  dir: string,
  work: (service: TrackerService) => Promise<T>,
  remote?: { trackingUri: string },
): Promise<T> {
  const service = new TrackerService();
  await service.open({ dbName: dir, store: { path: dir } });
  try {
    if (remote !== undefined) await service.setRemote({ ...remote, autoSync: false });
    return await work(service);
  } finally {
    await service.close();
  }
}

/** Logs `runs` (ended FINISHED) into the experiment `experimentName` of the store at `dir`. */
export async function logRuns(dir: string, experimentName: string, runs: LoggedRun[]): Promise<string[]> {
  return withStore(dir, async (service) => {
    const ids: string[] = [];
    for (const r of runs) {
      const t0 = Date.now();
      const { run } = await service.startRun({ experimentName, runName: r.name, startTime: t0 });
      const runId = run.info.runId;
      const keys: string[] = [];
      const values: number[] = [];
      const steps: number[] = [];
      const timestamps: number[] = [];
      for (const [key, series] of Object.entries(r.metrics)) {
        series.forEach((value, step) => {
          keys.push(key);
          values.push(value);
          steps.push(step);
          timestamps.push(t0 + step);
        });
      }
      const { rejected } = await service.logBatch({
        runs: [
          { runId, params: Object.entries(r.params), metrics: metricColumns({ keys, values, steps, timestamps }) },
        ],
      });
      if (rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(rejected)}`);
      for (const [path, text] of Object.entries(r.artifacts)) await service.logArtifact(runId, path, text);
      await service.endRun(runId, 'FINISHED', t0 + 1000);
      ids.push(runId);
    }
    return ids;
  });
}

/** The store's status as the service reports it in this process (with its stored server set, as the CLI does). */
export async function statusOf(dir: string): Promise<SyncStatus> {
  return withStore(dir, (service) => service.syncStatus());
}
