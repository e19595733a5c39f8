/**
 * mlflow-edge for Node, Deno and Bun: the same tracker, with its store in a
 * directory (SQLite and files) and its worker a worker thread (Node) or a
 * Web Worker (Deno, Bun), so logging never blocks the caller.
 * @packageDocumentation
 */
import { wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import {
  checkDbName,
  connectTracker,
  type StartedWorker,
  type Tracker,
  type TrackerOptions,
} from './client/tracker.js';
import { MlflowEdgeError } from './schema/errors.js';

export * from './index.js';

export interface NodeTrackerOptions extends Omit<TrackerOptions, 'workerUrl'> {
  /** Where the store lives: a directory holding `mlflow-edge.sqlite` and `artifacts/`, made if missing. Default `./mlflow-edge`. */
  store?: { path: string };
}

// In variables so bundlers leave them alone: resolved at run time next to this file.
const NODE_WORKER = './node-worker.js';
const WEB_WORKER = './worker.js';

/** Opens the tracker on a store directory (see NodeTrackerOptions). */
export async function openTracker(options: NodeTrackerOptions = {}): Promise<Tracker> {
  const path = options.store?.path ?? './mlflow-edge';
  if (typeof path !== 'string' || path === '') {
    throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', 'store.path must be a non-empty string: the store directory.');
  }
  const absolute = await resolvePath(path);
  const dbName = checkDbName(options.dbName ?? absolute);
  const started = isNode() ? await startNodeWorker() : startWebWorker();
  return connectTracker(started, { dbName, store: { path: absolute } }, { ...options, dbName });
}

/** A module of the runtime itself (node:…), loaded at run time: never bundled, and typed where it is used. */
function runtimeModule(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ name);
}

function isNode(): boolean {
  const g = globalThis as { Deno?: unknown; Bun?: unknown; process?: { versions?: { node?: string } } };
  return g.Deno === undefined && g.Bun === undefined && g.process?.versions?.node !== undefined;
}

async function resolvePath(path: string): Promise<string> {
  const { resolve } = (await runtimeModule('node:path')) as { resolve(p: string): string };
  return resolve(path);
}

function startFailure(message: string): MlflowEdgeError {
  return new MlflowEdgeError(
    'INTERNAL_ERROR',
    `The mlflow-edge worker failed to start (${message}). Check that the package's dist/ files are intact.`,
  );
}

interface NodeWorker {
  on(event: 'error', listener: (error: Error) => void): void;
  terminate(): Promise<number>;
  unref(): void;
}

async function startNodeWorker(): Promise<StartedWorker> {
  const { Worker } = (await runtimeModule('node:worker_threads')) as {
    Worker: new (url: URL, options?: object) => NodeWorker;
  };
  const worker = new Worker(new URL(NODE_WORKER, import.meta.url), { name: 'mlflow-edge' });
  const failed = new Promise<never>((_, reject) => worker.on('error', (error) => reject(startFailure(error.message))));
  return { worker, api: wrap(nodeEndpoint(worker)), failed };
}

function startWebWorker(): StartedWorker {
  const worker = new Worker(new URL(WEB_WORKER, import.meta.url), { type: 'module', name: 'mlflow-edge' });
  const failed = new Promise<never>((_, reject) =>
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      reject(startFailure(event.message || 'script error'));
    }),
  );
  return { worker, api: wrap(worker), failed };
}
