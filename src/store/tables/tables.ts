/**
 * What a table adapter provides: named tables of byte keys to byte values,
 * ordered by key as memcmp orders them, with one transaction at a time.
 * tables/database.ts builds the storage port on it (records, key paths,
 * indexes, cursors, IndexedDB's commit rules); an adapter is this and
 * nothing more (adapters/sqlite.ts, adapters/memory.ts).
 */

/** Keys from `from` (inclusive) up to `to` (exclusive); either end may be open. */
export interface ByteRange {
  from?: Uint8Array;
  to?: Uint8Array;
}

export interface Tables {
  /** Starts a transaction; `write` takes the write lock at once (no other writer until commit). */
  begin(write: boolean): void;
  /** Makes the transaction durable before it returns. */
  commit(): void;
  rollback(): void;
  /** Creates a table if it is missing (inside a write transaction). */
  createTable(name: string): void;
  get(table: string, key: Uint8Array): Uint8Array | undefined;
  put(table: string, key: Uint8Array, value: Uint8Array): void;
  delete(table: string, key: Uint8Array): void;
  deleteRange(table: string, range: ByteRange): void;
  /** Up to `limit` entries of the range, in key order (descending when `reverse`). */
  scan(table: string, range: ByteRange, reverse: boolean, limit: number): Array<[key: Uint8Array, value: Uint8Array]>;
  count(table: string, range: ByteRange): number;
  close(): void;
}
