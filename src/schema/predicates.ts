/** What kind of JavaScript value this is: the checks every layer shares. Imports nothing. */

export type AnyTypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** An object literal or `Object.create(null)`: not an array, class instance, Date or typed array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A typed array (any ArrayBuffer view but DataView). */
export function isTypedArray(value: unknown): value is AnyTypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

export const hasOwn = (obj: object, key: string): boolean => Object.hasOwn(obj, key);
