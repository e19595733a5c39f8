/**
 * onnxruntime-web, imported lazily in the worker on the first ONNX model.
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

// In a variable, so bundlers leave it to be resolved at run time.
const INSTALLED_BESIDE = '../../onnxruntime-web/dist/ort.wasm.min.mjs';

export function loadOrt(options: OnnxRuntimeOptions = {}): Promise<Ort> {
  loading ??= (async () => {
    const candidates = [options.module, 'onnxruntime-web/wasm', new URL(INSTALLED_BESIDE, import.meta.url).href].filter(
      (c): c is string => c !== undefined,
    );
    const failures: string[] = [];
    for (const specifier of candidates) {
      try {
        const ort = (await import(/* @vite-ignore */ specifier)) as Ort;
        configure(ort, options);
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
