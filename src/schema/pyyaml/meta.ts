/**
 * Python typing that JavaScript values lose, kept in side tables: the
 * original key order, and keys that were numbers, booleans or null in
 * Python. Whether a number was a float or an int is in the one table for
 * that, schema/python/number-kinds.ts.
 */
import { numberKinds, setNumberKind, type NumberKind } from '../python.js';

export type PyKey = number | boolean | null;

/** map → its keys in file order, when JavaScript would reorder them (integer-like keys come first in objects). */
export const keyOrders = new WeakMap<object, string[]>();
/** container → JS key → the original non-string mapping key (`1: a`, `true: b`, `null: c`). */
export const pyKeys = new WeakMap<object, Map<string, { key: PyKey; kind?: NumberKind }>>();

export function copyKeyMeta(from: object, to: object, key: string): void {
  const kind = numberKinds.get(from)?.get(key);
  if (kind !== undefined) setNumberKind(to, key, kind);
  const pyKey = pyKeys.get(from)?.get(key);
  if (pyKey !== undefined) {
    let keys = pyKeys.get(to);
    if (keys === undefined) pyKeys.set(to, (keys = new Map()));
    keys.set(key, pyKey);
  }
}

export const isIndexKey = (key: string) => /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 2 ** 32 - 1;

/** An object's keys in the order they were read (or inserted, for objects built in JS). */
export function orderedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  const order = keyOrders.get(obj);
  if (order === undefined) return keys;
  const present = new Set(keys);
  const known = order.filter((key) => present.has(key));
  const knownSet = new Set(known);
  return [...known, ...keys.filter((key) => !knownSet.has(key))];
}

export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}
