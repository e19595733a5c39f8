/**
 * The `mlflow_edge_js` flavor: "models from code" in JavaScript. The MLmodel
 * records the code file and its sha256; the code runs only when the caller
 * opts in and the file still has that hash, and only after every path and
 * model URI the flavor names was checked to stay inside its directory. The
 * file's import of 'mlflow-edge/model' is pointed at this library's own
 * model.js.
 */
import { sha256Hex } from '../../schema/digest.js';
import { collectModel, type ModelContext } from '../../model-api.js';
import { MlflowEdgeError, invalidParameter } from '../../schema/errors.js';
import type { PredictInput } from '../../schema/signature.js';
import { UNNAMED_INPUT } from '../../schema/signature.js';
import { modelFilePath, parseModelUri } from '../model-uri.js';
import type { Predictor } from '../predictor.js';
import { FLAVOR_JS } from '../../protocol.js';

export interface JsFlavor {
  /** The code file, relative to the model directory. */
  code: string;
  /** Hex sha256 of the code file when it was logged. */
  sha256: string;
  /** name → file relative to the model directory, handed to the code as context.artifacts. */
  artifacts?: Record<string, string>;
  /** name → model URI, loaded and handed to the code as context.models. */
  models?: Record<string, string>;
}

// In a variable, so bundlers leave it alone: model.js is emitted beside this chunk.
const MODEL_API = './model.js';

export interface JsLoadContext {
  allowCode: boolean;
  file(path: string): Promise<Uint8Array>;
  loadModel(uri: string): Promise<ModelContext['models'][string]>;
}

export async function loadJs(flavor: JsFlavor, ctx: JsLoadContext): Promise<Predictor> {
  if (typeof flavor?.code !== 'string' || typeof flavor.sha256 !== 'string') {
    throw invalidParameter(
      "The model's mlflow_edge_js flavor must name its code file and sha256 (code, sha256). Log the model again with run.logModel(name, { code }).",
      { field: 'flavors.mlflow_edge_js' },
    );
  }
  // Every path and URI the MLmodel names is checked before any file is read or any code runs.
  modelFilePath(flavor.code, `flavors.${FLAVOR_JS}.code`);
  for (const [name, path] of Object.entries(flavor.artifacts ?? {}))
    modelFilePath(path, `flavors.${FLAVOR_JS}.artifacts.${name}`);
  for (const uri of Object.values(flavor.models ?? {})) parseModelUri(uri);
  if (!ctx.allowCode) {
    throw new MlflowEdgeError(
      'PERMISSION_DENIED',
      `This model is JavaScript code (${flavor.code}). Loading it runs that code in the tracker's worker: pass { allowCode: true } to loadModel, only for models you trust.`,
      { field: 'allowCode' },
    );
  }
  const bytes = await ctx.file(flavor.code);
  const digest = sha256Hex(bytes);
  if (digest !== flavor.sha256) {
    throw invalidParameter(
      `The model's code file ${flavor.code} has sha256 ${digest}, but ${flavor.sha256} was recorded when it was logged: it was changed since. It was not run. Log the model again if the change is intended.`,
      { field: flavor.code, expected: flavor.sha256, received: digest },
    );
  }
  const api = new URL(MODEL_API, import.meta.url).href;
  const source = new TextDecoder()
    .decode(bytes)
    .replace(
      /(from\s*|import\s*\(\s*|import\s+)(['"])mlflow-edge\/model\2/g,
      (_, lead: string, q: string) => `${lead}${q}${api}${q}`,
    );
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  let model: Awaited<ReturnType<typeof collectModel>>;
  try {
    model = await collectModel(() =>
      import(/* @vite-ignore */ url).catch((error: unknown) => {
        // Node imports no blob: URLs (the module did not run): the same source as a data: URL.
        if ((error as { code?: unknown }).code !== 'ERR_UNSUPPORTED_ESM_URL_SCHEME') throw error;
        return import(/* @vite-ignore */ `data:text/javascript;base64,${base64(source)}`);
      }),
    );
  } catch (error) {
    throw invalidParameter(
      `The model's code failed to load: ${(error as Error).message}. Fix the module and log it again.`,
      { field: flavor.code },
    );
  } finally {
    URL.revokeObjectURL(url);
  }
  if (model === undefined || typeof model.predict !== 'function') {
    throw invalidParameter(
      `The model's code did not call setModel({ predict(context, input, params) { … } }) from 'mlflow-edge/model'. Add that call to ${flavor.code}.`,
      { field: flavor.code },
    );
  }
  const context: ModelContext = { artifacts: {}, models: {} };
  for (const [name, path] of Object.entries(flavor.artifacts ?? {}))
    context.artifacts[name] = new Blob([(await ctx.file(path)) as Uint8Array<ArrayBuffer>]);
  for (const [name, uri] of Object.entries(flavor.models ?? {})) context.models[name] = await ctx.loadModel(uri);
  const thrown = (what: string, error: unknown) =>
    new MlflowEdgeError('BAD_REQUEST', `The model's ${what} threw: ${(error as Error)?.message ?? String(error)}`, {
      field: flavor.code,
    });
  try {
    await model.load?.(context);
  } catch (error) {
    throw thrown('load()', error);
  }
  const code = model;
  return {
    async predict(input: PredictInput, params: Record<string, unknown>) {
      try {
        return await code.predict(context, modelInput(input), params);
      } catch (error) {
        throw thrown('predict()', error);
      }
    },
    async close() {},
  };
}

/** What a code model sees: records for column input (as a DataFrame's rows), tensors by name, one unnamed tensor as itself. */
function modelInput(input: PredictInput): unknown {
  if (input.kind === 'columns') {
    const names = Object.keys(input.columns);
    return Array.from({ length: input.rows }, (_, i) =>
      Object.fromEntries(names.map((n) => [n, input.columns[n]![i]])),
    );
  }
  const names = Object.keys(input.tensors);
  return names.length === 1 && names[0] === UNNAMED_INPUT ? input.tensors[UNNAMED_INPUT] : input.tensors;
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
