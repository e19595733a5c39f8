/**
 * What one system-metrics sample reads, in the worker: whatever the runtime
 * tells (navigator, performance, and in Node, Deno and Bun their `os`,
 * `fs` and `process`). A probe the runtime lacks, or that fails, leaves its
 * metric out of the sample: a sample never throws.
 */
import { EDGE_SYSTEM_METRICS as EDGE, SYSTEM_TAGS } from '../../schema/system-metrics.js';

/** Names (after the prefix) and values of one sample, and the non-numeric system information as tags. */
export interface Sample {
  metrics: Map<string, number>;
  tags: Map<string, string>;
}

/** What the probes need to know of the service. */
export interface ProbeContext {
  /** The SQLite store's files (Node, Deno, Bun), whose sizes are its storage use. */
  storeFiles?: readonly string[];
  /** The store's cap (store.maxBytes). */
  storeQuota?: number;
  /** The execution provider of the ONNX models loaded in the worker, if any is loaded. */
  onnxExecutionProvider(): string | undefined;
  /** The JS heap of the thread that logs (the page), in bytes, asked across postMessage. */
  heapUsed?: () => Promise<number | undefined>;
}

/** One run's probes: baselines (CPU times, network counters) are the monitor's, taken when it starts. */
export type Prober = () => Promise<Sample>;

interface WebNavigator {
  hardwareConcurrency?: number;
  deviceMemory?: number;
  onLine?: boolean;
  storage?: { estimate?(): Promise<{ usage?: number; quota?: number }> };
  gpu?: { requestAdapter?(): Promise<{ info?: Record<string, string> } | null> };
}

const MB = 1e6;

/** Node, Deno and Bun (their worker threads too), not a browser's worker. */
function serverRuntime(): boolean {
  return (
    (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined &&
    typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined'
  );
}

export async function createProber(context: ProbeContext): Promise<Prober> {
  const nav = (globalThis as { navigator?: WebNavigator }).navigator;
  const server = serverRuntime()
    ? await import('./node-probes.js').then((m) => m.createNodeProbes(context)).catch(() => undefined)
    : undefined;
  const adapter = webgpuAdapter(nav);
  return async () => {
    const sample: Sample = { metrics: new Map(), tags: new Map() };
    const { metrics, tags } = sample;
    const heap =
      context.heapUsed === undefined
        ? (globalThis as { performance?: { memory?: { usedJSHeapSize?: number } } }).performance?.memory?.usedJSHeapSize
        : await answerWithin(context.heapUsed, 1000);
    if (typeof heap === 'number' && heap >= 0) metrics.set(EDGE.jsHeapUsed, heap / MB);
    if (typeof nav?.hardwareConcurrency === 'number') metrics.set(EDGE.hardwareConcurrency, nav.hardwareConcurrency);
    if (typeof nav?.deviceMemory === 'number') metrics.set(EDGE.deviceMemory, nav.deviceMemory);
    if (typeof nav?.onLine === 'boolean') metrics.set(EDGE.online, nav.onLine ? 1 : 0);
    if (server !== undefined) {
      await server(sample);
    } else if (typeof nav?.storage?.estimate === 'function') {
      try {
        const { usage, quota } = await nav.storage.estimate();
        if (typeof usage === 'number') metrics.set(EDGE.storageUsage, usage / MB);
        if (typeof quota === 'number') metrics.set(EDGE.storageQuota, quota / MB);
      } catch {
        // A storage estimate the browser refuses (an opaque origin) is left out.
      }
    }
    const gpu = await adapter;
    if (gpu !== undefined) tags.set(SYSTEM_TAGS.webgpuAdapter, gpu);
    const provider = context.onnxExecutionProvider();
    if (provider !== undefined) tags.set(SYSTEM_TAGS.onnxExecutionProvider, provider);
    return sample;
  };
}

/** `ask()`'s answer, or undefined when it fails or takes longer than `ms` (a page busy in a long task). */
async function answerWithin<T>(ask: () => Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([ask().catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Adapters are asked once per worker: requestAdapter costs a GPU process round trip. */
let adapterName: Promise<string | undefined> | undefined;

/** The WebGPU adapter's description, e.g. "google swiftshader", where the runtime has WebGPU and an adapter. */
function webgpuAdapter(nav: WebNavigator | undefined): Promise<string | undefined> {
  if (typeof nav?.gpu?.requestAdapter !== 'function') return Promise.resolve(undefined);
  if (adapterName !== undefined) return adapterName;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A GPU process that never answers must not hold every sample: no adapter after 2 s is none.
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), 2000);
  });
  adapterName = Promise.race([nav.gpu.requestAdapter(), timeout]).then(
    (adapter) => {
      clearTimeout(timer);
      const info = adapter?.info;
      if (info === undefined) return undefined;
      const parts = [info.vendor, info.architecture, info.device, info.description].filter(
        (p): p is string => typeof p === 'string' && p !== '',
      );
      return parts.length > 0 ? [...new Set(parts)].join(' ').slice(0, 5000) : undefined;
    },
    () => {
      clearTimeout(timer);
      return undefined;
    },
  );
  return adapterName;
}
