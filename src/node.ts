/**
 * mlflow-edge for Node, Deno and Bun: the same tracker, with its store in a
 * directory (SQLite and files) and its worker a worker thread
 * (node:worker_threads, which all three have), so logging never blocks the
 * caller.
 * @packageDocumentation
 */
import { wrap, type Endpoint } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import {
  checkDbName,
  connectTracker,
  type StartedWorker,
  type Tracker,
  type TrackerOptions,
} from './client/tracker.js';
import { CONSOLE_SOURCE, validateRunContext } from './client/run-context.js';
import { MlflowEdgeError } from './schema/errors.js';

export * from './index.js';

export interface NodeTrackerOptions extends Omit<TrackerOptions, 'workerUrl'> {
  /** Where the store lives: a directory holding `mlflow-edge.sqlite` and `artifacts/`, made if missing. Default `./mlflow-edge`. */
  store?: { path: string };
}

// In variables so bundlers leave them alone: resolved at run time next to this file.
const NODE_WORKER = './node-worker.js';

/** Opens the tracker on a store directory (see NodeTrackerOptions). */
export async function openTracker(options: NodeTrackerOptions = {}): Promise<Tracker> {
  const store: unknown = options.store;
  if (store !== undefined && (typeof store !== 'object' || store === null)) {
    throw new MlflowEdgeError(
      'INVALID_PARAMETER_VALUE',
      `store must be an object such as { path: ${typeof store === 'string' ? JSON.stringify(store) : "'./mlflow-edge'"} } (got ${typeof store}); nothing was opened.`,
    );
  }
  const path = options.store?.path ?? './mlflow-edge';
  if (typeof path !== 'string' || path === '') {
    throw new MlflowEdgeError('INVALID_PARAMETER_VALUE', 'store.path must be a non-empty string: the store directory.');
  }
  const absolute = await resolvePath(path);
  const dbName = checkDbName(options.dbName ?? absolute);
  validateRunContext(options);
  if (!hasWorkerThreads()) {
    throw new MlflowEdgeError(
      'INVALID_STATE',
      "mlflow-edge/node runs in Node, Deno and Bun (it needs node:worker_threads). In a browser import 'mlflow-edge'; in an edge function 'mlflow-edge/edge'.",
    );
  }
  const defaults = { user: await osUser(), source: mainScript() };
  const started = await startNodeWorker();
  return connectTracker(started, { dbName, store: { path: absolute } }, { ...options, dbName }, defaults);
}

/** A module of the runtime itself (node:…), loaded at run time: never bundled, and typed where it is used. */
function runtimeModule(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ name);
}

/** Node, and Deno and Bun through their node:worker_threads (which, unlike their Web Workers, can let the process exit). */
function hasWorkerThreads(): boolean {
  return (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined;
}

/** The main script, as Python names a run's source by `sys.argv[0]`; `<console>` in a REPL or `node -e`. */
function mainScript(): string {
  const script = (globalThis as { process?: { argv?: unknown[] } }).process?.argv?.[1];
  return typeof script === 'string' && script !== '' ? script : CONSOLE_SOURCE;
}

/**
 * The OS account, as Python's `getpass.getuser()` finds it: the LOGNAME,
 * USER, LNAME or USERNAME variable, else the account of this process;
 * undefined when none can be found (the tracker then says 'unknown').
 */
async function osUser(): Promise<string | undefined> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  for (const name of ['LOGNAME', 'USER', 'LNAME', 'USERNAME']) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  try {
    const { userInfo } = (await runtimeModule('node:os')) as { userInfo(): { username: string } };
    const name = userInfo().username;
    return name === '' ? undefined : name;
  } catch {
    return undefined; // no account for this uid (a container), or a runtime without it
  }
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
  ref(): void;
  unref(): void;
}

/**
 * The worker keeps the process alive only while a call is waiting for its
 * answer (a batch not yet on disk, a sync under way), as a database client
 * would: a script that logged, awaited what it needs and returned then
 * exits without close(), and nothing it awaited is lost.
 */
function refWhileWaiting(worker: NodeWorker, endpoint: Endpoint): Endpoint {
  const waiting = new Set<unknown>();
  worker.unref();
  return {
    postMessage(message: { id?: unknown }, transfer?: Transferable[]) {
      if (message?.id !== undefined) {
        if (waiting.size === 0) worker.ref();
        waiting.add(message.id);
      }
      endpoint.postMessage(message, transfer);
    },
    addEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      const settle = (event: Event) => {
        const id = (event as MessageEvent<{ id?: unknown }>).data?.id;
        if (waiting.delete(id) && waiting.size === 0) worker.unref();
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      settled.set(listener, settle);
      endpoint.addEventListener(type, settle);
    },
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      endpoint.removeEventListener(type, settled.get(listener) ?? listener);
    },
  };
}
const settled = new WeakMap<EventListenerOrEventListenerObject, (event: Event) => void>();

async function startNodeWorker(): Promise<StartedWorker> {
  const { Worker } = (await runtimeModule('node:worker_threads')) as {
    Worker: new (url: URL, options?: object) => NodeWorker;
  };
  const worker = new Worker(new URL(NODE_WORKER, import.meta.url), { name: 'mlflow-edge' });
  const failed = new Promise<never>((_, reject) => worker.on('error', (error) => reject(startFailure(error.message))));
  return { worker, api: wrap(refWhileWaiting(worker, nodeEndpoint(worker))), failed };
}
