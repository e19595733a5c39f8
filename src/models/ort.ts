/**
 * onnxruntime, imported lazily in the worker on the first ONNX model:
 * onnxruntime-node where it is installed and the worker is not a browser's
 * (Node, Deno, Bun), else onnxruntime-web (wasm).
 * It is a peer dependency and never bundled (a library build would inline
 * its 13.6 MiB wasm). Where to find it, in order: the `module` option; the
 * bare specifier (an app bundler or import map resolves it); the package
 * installed beside mlflow-edge (node_modules or a CDN mirroring npm).
 * The runtime is a per-worker singleton, so its options count once.
 */
import type * as OrtNamespace from 'onnxruntime-web';
import type { OnnxRuntimeOptions } from '../protocol.js';
import { MlflowEdgeError } from '../schema/errors.js';

export type Ort = typeof OrtNamespace;

let loading: Promise<Ort> | undefined;
/** The execution provider of the runtime loaded: onnxruntime-node runs on 'cpu', onnxruntime-web on 'wasm'. */
let provider: 'cpu' | 'wasm' = 'wasm';

/** Node, Deno and Bun (their worker threads included): where onnxruntime-node can load. */
function serverRuntime(): boolean {
  return (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined;
}

export function executionProvider(): 'cpu' | 'wasm' {
  return provider;
}

// In variables, so bundlers leave them to be resolved at run time.
// Deno resolves npm packages by its own npm: scheme (from its cache or the project's deno.json).
const NATIVE = (globalThis as { Deno?: unknown }).Deno === undefined ? 'onnxruntime-node' : 'npm:onnxruntime-node';
const INSTALLED_BESIDE = '../../onnxruntime-web/dist/ort.wasm.min.mjs';

export function loadOrt(options: OnnxRuntimeOptions = {}): Promise<Ort> {
  loading ??= (async () => {
    // Outside a browser the native runtime first, when installed (a peer dependency too; never bundled).
    const native = options.module === undefined && serverRuntime() ? NATIVE : undefined;
    const candidates = [
      native,
      options.module,
      'onnxruntime-web/wasm',
      new URL(INSTALLED_BESIDE, import.meta.url).href,
    ].filter((c): c is string => c !== undefined);
    const failures: string[] = [];
    for (const specifier of candidates) {
      try {
        const loaded = (await import(/* @vite-ignore */ specifier)) as Ort & { default?: Ort };
        // onnxruntime-node is CommonJS: its API is the default export when imported.
        const ort = specifier === NATIVE && loaded.default !== undefined ? loaded.default : loaded;
        provider = specifier === NATIVE ? 'cpu' : 'wasm';
        if (provider === 'wasm') configure(ort, options);
        return ort;
      } catch (error) {
        failures.push(`${specifier}: ${(error as Error).message}`);
        if (specifier === options.module) break; // an explicit URL that fails is the answer
      }
    }
    loading = undefined;
    throw new MlflowEdgeError(
      'INVALID_STATE',
      `onnxruntime-web could not be loaded (${failures.join('; ')}). Install onnxruntime-web beside mlflow-edge, or pass onnxruntime: { module: '<URL of onnxruntime-web/dist/ort.wasm.min.mjs>' } to openTracker().`,
    );
  })();
  return loading;
}

function configure(ort: Ort, options: OnnxRuntimeOptions): void {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = (globalThis.navigator as Navigator | undefined)?.hardwareConcurrency ?? 1;
  ort.env.wasm.numThreads = options.numThreads ?? (isolated ? Math.min(4, Math.ceil(cores / 2)) : 1);
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  if (options.wasmBinary !== undefined) ort.env.wasm.wasmBinary = options.wasmBinary;
}
