/**
 * Starts the tracker's module worker. A worker script must be same-origin
 * with the page, so when the library itself comes from another origin (a
 * notebook importing it from a CDN) the page starts a one-line same-origin
 * module worker from a Blob that imports the real one; the worker's origin,
 * and so its IndexedDB, is then the page's.
 */

// Kept in a variable so bundlers leave the URL alone: it is resolved at run
// time against the built library file, next to which worker.js is emitted.
const WORKER_FILE = './worker.js';

export function startWorker(workerUrl?: string | URL): Worker {
  const url = new URL(workerUrl ?? WORKER_FILE, import.meta.url);
  const options: WorkerOptions = { type: 'module', name: 'mlflow-edge' };
  if (url.origin === globalThis.location?.origin) return new Worker(url, options);
  const source = `import ${JSON.stringify(url.href)};\n`;
  const shim = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(shim, options);
  // The worker fetches the Blob while starting; revoke once it is surely done.
  setTimeout(() => URL.revokeObjectURL(shim), 60_000);
  return worker;
}
