/**
 * The library, loaded the way a page using the published package would load
 * it: dist/index.js at run time (built by `npm run build`), not bundled into
 * the demo. Types come from the same public entry point (src/index.ts, from
 * which dist/types is generated), so the typecheck needs no build first.
 */
import type * as Edge from '../../src/index.js';

export type {
  ColSpec,
  DataType,
  FileInfo,
  LoggedModelInfo,
  Model,
  ModelSignature,
  RemoteOptions,
  Run,
  RunRecord,
  SyncStatus,
  Tracker,
} from '../../src/index.js';

// In variables, so the bundler leaves them to be resolved at run time (demo/build/ → /dist/, /node_modules/).
const LIBRARY = '../../dist/index.js';
const ORT = '../../node_modules/onnxruntime-web/dist/ort.wasm.min.mjs';
const WORKER = '../tracker-worker.js';

const edge = (await import(/* @vite-ignore */ new URL(LIBRARY, import.meta.url).href)) as typeof Edge;
export const { openTracker, MlflowEdgeError } = edge;
export type MlflowEdgeError = Edge.MlflowEdgeError;

/** The tracker's worker, started from the app's scope so the service worker serves it offline (demo/tracker-worker.js). */
export const TRACKER_WORKER = new URL(WORKER, import.meta.url).href;

/** onnxruntime-web's ESM build, served from node_modules beside the library. */
export const ORT_MODULE = new URL(ORT, import.meta.url).href;
