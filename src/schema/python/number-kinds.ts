/**
 * The one side table for what JavaScript numbers forget: whether a number
 * was written as a float (`1.0`) or an int in Python. Keys are property names
 * for objects and indices for arrays. Read by the JSON writer (python/json.ts)
 * and the YAML dumper (schema/pyyaml/dump.ts), filled by their readers.
 */

/** 'float' for `1.0`, `1e3`, NaN; 'int' for integers beyond 2^53 read as numbers. */
export type NumberKind = 'float' | 'int';

/** container → key or index → how the number there was written. */
export const numberKinds = new WeakMap<object, Map<string | number, NumberKind>>();

export function setNumberKind(container: object, key: string | number, kind: NumberKind): void {
  let kinds = numberKinds.get(container);
  if (kinds === undefined) numberKinds.set(container, (kinds = new Map()));
  kinds.set(key, kind);
}

/** Marks `container[key]` as a float (so `pyJsonDumps` writes `1.0`, not `1`). */
export function markFloat(container: object, key: string | number): void {
  setNumberKind(container, key, 'float');
}

export function isFloat(container: object, key: string | number): boolean {
  return numberKinds.get(container)?.get(key) === 'float';
}
