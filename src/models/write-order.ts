/**
 * The order a model directory's files are written in, in the local store and
 * on the server: MLmodel last. A directory with an MLmodel counts as a whole
 * model (MLflow loads it, this library lists it), so MLmodel is written only
 * once every file it names is in place; a write cut short leaves no model
 * that points at missing files. Imports nothing, so sync/ can use it without
 * loading the YAML code.
 */

/** `files` in write order: the same order, but MLmodel last. */
export function inWriteOrder<T>(files: readonly T[], pathOf: (file: T) => string): T[] {
  return [...files].sort((a, b) => Number(pathOf(a) === 'MLmodel') - Number(pathOf(b) === 'MLmodel'));
}
