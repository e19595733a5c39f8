/**
 * `mlflow-edge/model`: what a JavaScript model file imports.
 *
 *   import { setModel } from 'mlflow-edge/model';
 *   setModel({ predict(context, input, params) { return input.map((r) => Math.PI * r.radius ** 2); } });
 *
 * The loader imports the file in the tracker's worker and collects the model
 * it sets. The handler lives on globalThis, so every copy of this module
 * (bundled or not) reaches the same loader.
 */
export interface ModelContext {
  /** The files logged with the model, by name. */
  artifacts: Record<string, Blob>;
  /** Other logged models this one uses, by name. */
  models: Record<string, { predict(input: unknown, params?: Record<string, unknown>): Promise<unknown> }>;
}

export interface PythonLikeModel {
  /** Called once when the model loads. */
  load?(context: ModelContext): void | Promise<void>;
  predict(context: ModelContext, input: unknown, params?: Record<string, unknown>): unknown;
}

const SLOT = Symbol.for('mlflow-edge.setModel');

export function setModel(model: PythonLikeModel): void {
  const receive = (globalThis as Record<symbol, ((m: PythonLikeModel) => void) | undefined>)[SLOT];
  if (receive === undefined) {
    throw new Error(
      'setModel() was called outside of mlflow-edge’s model loader. Log this file with run.logModel(name, { code }) and load it with tracker.loadModel().',
    );
  }
  receive(model);
}

/** @internal The loader: runs `load` and returns what the module passed to setModel. */
export async function collectModel(importModule: () => Promise<unknown>): Promise<PythonLikeModel | undefined> {
  let found: PythonLikeModel | undefined;
  const slot = globalThis as Record<symbol, ((m: PythonLikeModel) => void) | undefined>;
  const previous = slot[SLOT];
  slot[SLOT] = (m) => (found = m);
  try {
    await importModule();
  } finally {
    slot[SLOT] = previous;
  }
  return found;
}
