/**
 * The JS heap of the thread that logs, for system metrics: Chromium's
 * `performance.memory` on a page (workers have none), `process.memoryUsage()`
 * in Node, Deno and Bun's main thread. Read by the worker's sampler once
 * per sample, never on a log call.
 */
export function heapUsed(): number | undefined {
  const memory = (globalThis as { performance?: { memory?: { usedJSHeapSize?: number } } }).performance?.memory;
  if (typeof memory?.usedJSHeapSize === 'number') return memory.usedJSHeapSize;
  const usage = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number } } }).process?.memoryUsage;
  return typeof usage === 'function' ? usage().heapUsed : undefined;
}

/** Whether this thread can tell its heap at all (else no probe is handed to the worker). */
export function canTellHeap(): boolean {
  return heapUsed() !== undefined;
}
