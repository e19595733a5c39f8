/**
 * The storage port: everything the store needs from a storage engine, and
 * nothing more. It is the part of IndexedDB's model the store uses (named
 * stores of records by key, indexes, key ranges, transactions that commit
 * when their last request is answered, cursors), so the browser adapter is
 * IndexedDB itself (adapters/indexeddb.ts) and the other adapters give the
 * same semantics over ordered tables (tables/database.ts): SQLite on Node,
 * Deno and Bun, memory in edge functions.
 *
 * Keys are what the store uses of IndexedDB's keys: numbers, strings and
 * arrays of keys, ordered as IndexedDB orders them (numbers < strings <
 * arrays; strings by UTF-16 code unit; arrays element by element).
 *
 * Artifact bytes are not records: each adapter brings a BlobStore (OPFS in
 * a browser, a directory next to the database file elsewhere).
 */

export type Key = number | string | Key[];

/** IndexedDB's IDBKeyRange, as data (a native IDBKeyRange is one). */
export interface KeyRange {
  readonly lower: unknown;
  readonly upper: unknown;
  readonly lowerOpen: boolean;
  readonly upperOpen: boolean;
}

/** A query: one key, or a range of keys. */
export type Query<K> = K | KeyRange;

/** The stores of a database: each store's key, record type and indexes. */
export interface StorageSchema {
  [store: string]: { key: Key; value: unknown; indexes?: Record<string, Key> };
}

export type StoreNames<S extends StorageSchema> = keyof S & string;
export type StoreKey<S extends StorageSchema, N extends StoreNames<S>> = S[N]['key'];
export type StoreValue<S extends StorageSchema, N extends StoreNames<S>> = S[N]['value'];
export type IndexNames<S extends StorageSchema, N extends StoreNames<S>> = keyof NonNullable<S[N]['indexes']> & string;
export type IndexKey<S extends StorageSchema, N extends StoreNames<S>, I extends IndexNames<S, N>> = NonNullable<
  S[N]['indexes']
>[I];

export type Mode = 'readonly' | 'readwrite' | 'versionchange';
export type Direction = 'next' | 'prev';

export interface Cursor<S extends StorageSchema, N extends StoreNames<S>> {
  readonly key: unknown;
  readonly primaryKey: StoreKey<S, N>;
  readonly value: StoreValue<S, N>;
  continue(): Promise<Cursor<S, N> | null>;
  update(value: StoreValue<S, N>): Promise<StoreKey<S, N>>;
  delete(): Promise<void>;
}

export interface Index<S extends StorageSchema, N extends StoreNames<S>, I extends IndexNames<S, N>> {
  get(query: Query<IndexKey<S, N, I>>): Promise<StoreValue<S, N> | undefined>;
  getAll(query?: Query<IndexKey<S, N, I>> | null, count?: number): Promise<StoreValue<S, N>[]>;
  getAllKeys(query?: Query<IndexKey<S, N, I>> | null, count?: number): Promise<StoreKey<S, N>[]>;
  count(query?: Query<IndexKey<S, N, I>> | null): Promise<number>;
  openCursor(query?: Query<IndexKey<S, N, I>> | null, direction?: Direction): Promise<Cursor<S, N> | null>;
}

export interface ObjectStore<S extends StorageSchema, N extends StoreNames<S>> {
  get(query: Query<StoreKey<S, N>>): Promise<StoreValue<S, N> | undefined>;
  getKey(query: Query<StoreKey<S, N>>): Promise<StoreKey<S, N> | undefined>;
  getAll(query?: Query<StoreKey<S, N>> | null, count?: number): Promise<StoreValue<S, N>[]>;
  getAllKeys(query?: Query<StoreKey<S, N>> | null, count?: number): Promise<StoreKey<S, N>[]>;
  count(query?: Query<StoreKey<S, N>> | null): Promise<number>;
  openCursor(query?: Query<StoreKey<S, N>> | null, direction?: Direction): Promise<Cursor<S, N> | null>;
  index<I extends IndexNames<S, N>>(name: I): Index<S, N, I>;
  /** Writes (readwrite and versionchange transactions only). */
  put(value: StoreValue<S, N>, key?: StoreKey<S, N>): Promise<StoreKey<S, N>>;
  add(value: StoreValue<S, N>, key?: StoreKey<S, N>): Promise<StoreKey<S, N>>;
  delete(query: Query<StoreKey<S, N>>): Promise<void>;
  clear(): Promise<void>;
  /** In a versionchange transaction only. */
  createIndex(name: string, keyPath: string | string[], options?: { unique?: boolean }): unknown;
}

export interface Transaction<S extends StorageSchema, Ns extends StoreNames<S>[]> {
  objectStore<N extends Ns[number]>(name: N): ObjectStore<S, N>;
  /** The store of a one-store transaction. */
  readonly store: ObjectStore<S, Ns[0]>;
  /** Resolves when the transaction committed; rejects when it aborted. */
  readonly done: Promise<void>;
  abort(): void;
}

export interface Database<S extends StorageSchema> {
  transaction<N extends StoreNames<S>>(stores: N | N[], mode?: 'readonly' | 'readwrite'): Transaction<S, N[]>;
  get<N extends StoreNames<S>>(store: N, query: Query<StoreKey<S, N>>): Promise<StoreValue<S, N> | undefined>;
  getKey<N extends StoreNames<S>>(store: N, query: Query<StoreKey<S, N>>): Promise<StoreKey<S, N> | undefined>;
  getAll<N extends StoreNames<S>>(
    store: N,
    query?: Query<StoreKey<S, N>> | null,
    count?: number,
  ): Promise<StoreValue<S, N>[]>;
  getAllKeys<N extends StoreNames<S>>(
    store: N,
    query?: Query<StoreKey<S, N>> | null,
    count?: number,
  ): Promise<StoreKey<S, N>[]>;
  count<N extends StoreNames<S>>(store: N, query?: Query<StoreKey<S, N>> | null): Promise<number>;
  getAllFromIndex<N extends StoreNames<S>, I extends IndexNames<S, N>>(
    store: N,
    index: I,
    query?: Query<IndexKey<S, N, I>> | null,
  ): Promise<StoreValue<S, N>[]>;
  getAllKeysFromIndex<N extends StoreNames<S>, I extends IndexNames<S, N>>(
    store: N,
    index: I,
    query?: Query<IndexKey<S, N, I>> | null,
  ): Promise<StoreKey<S, N>[]>;
  countFromIndex<N extends StoreNames<S>, I extends IndexNames<S, N>>(
    store: N,
    index: I,
    query?: Query<IndexKey<S, N, I>> | null,
  ): Promise<number>;
  put<N extends StoreNames<S>>(store: N, value: StoreValue<S, N>, key?: StoreKey<S, N>): Promise<StoreKey<S, N>>;
  add<N extends StoreNames<S>>(store: N, value: StoreValue<S, N>, key?: StoreKey<S, N>): Promise<StoreKey<S, N>>;
  delete<N extends StoreNames<S>>(store: N, query: Query<StoreKey<S, N>>): Promise<void>;
  /** In a versionchange transaction (a migration) only. */
  createObjectStore<N extends StoreNames<S>>(
    name: N,
    options?: { keyPath?: string | string[]; autoIncrement?: boolean },
  ): ObjectStore<S, N>;
  /** The schema version the database is at. */
  readonly version: number;
  readonly objectStoreNames: Iterable<string>;
  close(): void;
}

/** Where an adapter keeps artifact bytes: files by name, written whole and hashed as they pass. */
export interface BlobStore {
  /** Names the location kind recorded with each file: OPFS, or a directory of files. */
  readonly kind: 'opfs' | 'fs';
  /** Streams `data` into a new file `name` and returns its sha256 (hex); on any failure removes the file and throws. */
  write(name: string, data: Blob): Promise<string>;
  read(name: string): Promise<Blob>;
  /** Removes the file; a missing file is no error. */
  remove(name: string): Promise<void>;
}

/**
 * A key range. Uses the native IDBKeyRange where there is one (a browser,
 * or fake-indexeddb in tests), so the IndexedDB adapter takes it as is; the
 * table adapters read only the four fields.
 */
export function bound(lower: Key, upper: Key, lowerOpen = false, upperOpen = false): KeyRange {
  const native = (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
  return native !== undefined
    ? native.bound(lower, upper, lowerOpen, upperOpen)
    : { lower, upper, lowerOpen, upperOpen };
}

export function lowerBound(lower: Key, open = false): KeyRange {
  const native = (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
  return native !== undefined
    ? native.lowerBound(lower, open)
    : { lower, upper: undefined, lowerOpen: open, upperOpen: true };
}
