/**
 * The storage port over ordered tables: IndexedDB's semantics, as the store
 * relies on them, for adapters that are not IndexedDB.
 *
 * - A store is a table of encoded key → encoded record; an index is a table
 *   of (index key, primary key) → primary key, kept in step on every write.
 * - Transactions run one at a time, in the order they were made (IndexedDB
 *   may overlap read-only ones; nothing here depends on that). A request
 *   runs when it is made if its transaction is running, else when it starts.
 * - A transaction commits as IndexedDB's do: when a turn of the event loop
 *   passes with no new request (every request's callbacks, and what they
 *   asked for in turn, have run). A failed request aborts its transaction,
 *   and `done` rejects with its error.
 * - The catalog (each store's key path, indexes, key generator) and the
 *   schema version are one record of the `_catalog` table.
 */
import { encodeKey, decodeKey, isKey, keyLength, prefixEnd, dataError } from './key-codec.js';
import { encodeRecord, decodeRecord } from './record-codec.js';
import type { ByteRange, Tables } from './tables.js';
import type { Database, Direction, Key, KeyRange, Mode, StorageSchema, StoreNames, Transaction } from '../port.js';
import type { Migrations } from '../migrate.js';
import { newerVersionError } from '../migrate.js';

interface IndexDef {
  keyPath: string | string[];
  unique: boolean;
}

interface StoreDef {
  keyPath?: string | string[];
  autoIncrement: boolean;
  /** The key generator's next key (autoIncrement stores). */
  next?: number;
  indexes: Record<string, IndexDef>;
}

interface Catalog {
  version: number;
  stores: Record<string, StoreDef>;
}

const CATALOG = '_catalog';
const CATALOG_KEY = encodeKey('catalog');
const PAGE = 256;

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Schedules `fn` after the current turn's microtasks (every request callback) have run. */
const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
const nextTurn: (fn: () => void) => void =
  immediate !== undefined ? (fn) => void immediate(fn) : (fn) => void setTimeout(fn, 0);

/** Marks a promise as handled (its rejection still reaches whoever awaits it). */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function isRange(query: unknown): query is KeyRange {
  return typeof query === 'object' && query !== null && !Array.isArray(query) && 'lowerOpen' in query;
}

/** The bytes a query selects, in a store table or an index table (both hold prefix-free encodings first). */
function byteRange(query: unknown): ByteRange {
  if (query === undefined || query === null) return {};
  if (!isRange(query)) {
    const k = encodeKey(query);
    return { from: k, to: prefixEnd(k) };
  }
  const range: ByteRange = {};
  if (query.lower !== undefined) {
    const k = encodeKey(query.lower);
    range.from = query.lowerOpen ? prefixEnd(k) : k;
  }
  if (query.upper !== undefined) {
    const k = encodeKey(query.upper);
    range.to = query.upperOpen ? k : prefixEnd(k);
  }
  return range;
}

function extract(value: unknown, keyPath: string | string[]): unknown {
  if (Array.isArray(keyPath)) return keyPath.map((p) => extract(value, p));
  let v: unknown = value;
  for (const part of keyPath.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

type AnyDb = TableDatabase;

class TableTransaction {
  state: 'queued' | 'running' | 'finished' = 'queued';
  /** Why the transaction ended without committing. */
  private error: unknown;
  private readonly waiting: Array<() => void> = [];
  private activity = 0;
  private checking = false;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  readonly done: Promise<void>;
  /** A request failed in this turn: requests made in it still get a promise (rejected), as IndexedDB places them. */
  private failedThisTurn = false;
  /** Writes so far to each table (store or index): a cursor's buffered page is stale once its table's count moves. */
  private readonly writes = new Map<string, number>();

  constructor(
    readonly db: AnyDb,
    readonly names: string[],
    readonly mode: Mode,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined); // a failure nobody awaits is no unhandled rejection: requests reject too
  }

  get store(): TableObjectStore {
    return this.objectStore(this.names[0]!);
  }

  writesTo(table: string): number {
    return this.writes.get(table) ?? 0;
  }

  /** Notes a write to a store and its indexes (a cursor over any of them then reads afresh). */
  wrote(store: string): void {
    const def = this.db.catalog.stores[store];
    for (const table of [store, ...Object.keys(def?.indexes ?? {}).map((index) => `${store}.${index}`)])
      this.writes.set(table, this.writesTo(table) + 1);
  }

  objectStore(name: string): TableObjectStore {
    if (!this.names.includes(name) && this.mode !== 'versionchange')
      throw named('NotFoundError', `store '${name}' is not in this transaction's scope`);
    if (this.db.catalog.stores[name] === undefined) throw named('NotFoundError', `no store '${name}'`);
    return new TableObjectStore(this, name);
  }

  /**
   * Runs `fn` in this transaction (now, or when it starts); a failure aborts
   * the transaction. Its promise never counts as an unhandled rejection: a
   * failure also rejects `done`, and a request made with `void` (as with
   * IndexedDB, where a failed request is an event) must not crash the process.
   */
  request<T>(fn: (tables: Tables) => T, write = false): Promise<T> {
    if (this.state === 'finished') {
      // IndexedDB learns of a failed request a task later, so requests made meanwhile are placed, and fail with the abort.
      if (this.failedThisTurn) return handled(Promise.reject(this.error));
      throw named('TransactionInactiveError', 'the transaction has finished: make a new one for more requests');
    }
    if (write && this.mode === 'readonly') throw named('ReadOnlyError', 'a read-only transaction cannot write');
    return handled(this.place(fn));
  }

  private place<T>(fn: (tables: Tables) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        if (this.state === 'finished') {
          reject(this.error ?? named('AbortError', 'the transaction was aborted'));
          return;
        }
        this.activity++;
        try {
          resolve(fn(this.db.tables));
        } catch (error) {
          reject(error);
          this.failedThisTurn = true;
          nextTurn(() => {
            this.failedThisTurn = false;
          });
          this.fail(error);
          return;
        }
        this.idleCheck();
      };
      if (this.state === 'running') run();
      else this.waiting.push(run);
    });
  }

  start(): void {
    this.state = 'running';
    try {
      this.db.tables.begin(this.mode !== 'readonly');
    } catch (error) {
      this.state = 'queued';
      this.fail(error);
      return;
    }
    for (const run of this.waiting.splice(0)) run();
    this.idleCheck();
  }

  private idleCheck(): void {
    if (this.checking || this.mode === 'versionchange') return;
    this.checking = true;
    const seen = this.activity;
    nextTurn(() => {
      this.checking = false;
      if (this.state !== 'running') return;
      if (this.activity !== seen) this.idleCheck();
      else this.commit();
    });
  }

  commit(): void {
    if (this.state !== 'running') return;
    try {
      this.db.tables.commit();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.state = 'finished';
    this.resolveDone();
    this.db.finished(this);
  }

  fail(error: unknown): void {
    if (this.state === 'finished') return;
    const wasRunning = this.state === 'running';
    this.state = 'finished';
    this.error = error;
    if (wasRunning) {
      try {
        this.db.tables.rollback();
      } catch {
        // the transaction is gone either way
      }
    }
    for (const run of this.waiting.splice(0)) run();
    this.rejectDone(error);
    this.db.finished(this);
  }

  abort(): void {
    if (this.state === 'finished') throw named('InvalidStateError', 'the transaction has already finished');
    this.fail(named('AbortError', 'the transaction was aborted'));
  }
}

class TableCursor {
  private page: Array<[Uint8Array, Uint8Array]> = [];
  private at = 0;
  /** The table's write count when the page was read: IndexedDB cursors see the transaction's own writes ahead of them. */
  private readAt = 0;
  key: unknown;
  primaryKey!: Key;
  value: unknown;
  private lastBytes!: Uint8Array;

  constructor(
    private readonly store: TableObjectStore,
    private readonly table: string,
    private readonly range: ByteRange,
    private readonly reverse: boolean,
    private readonly isIndex: boolean,
  ) {}

  /** Moves to the next entry; false at the end. Runs inside a request. */
  advance(tables: Tables): boolean {
    if (this.at >= this.page.length || this.store.tx.writesTo(this.table) !== this.readAt) {
      const range: ByteRange = { ...this.range };
      if (this.lastBytes !== undefined) {
        if (this.reverse) range.to = this.lastBytes;
        else range.from = prefixEnd(this.lastBytes);
      }
      this.page = tables.scan(this.table, range, this.reverse, PAGE);
      this.at = 0;
      this.readAt = this.store.tx.writesTo(this.table);
      if (this.page.length === 0) return false;
    }
    const [k, v] = this.page[this.at++]!;
    this.lastBytes = k;
    if (this.isIndex) {
      const length = keyLength(k);
      this.key = decodeKey(k.subarray(0, length));
      this.primaryKey = decodeKey(v);
      const record = tables.get(this.store.name, v);
      this.value = record === undefined ? undefined : decodeRecord(record);
    } else {
      this.key = decodeKey(k);
      this.primaryKey = this.key as Key;
      this.value = decodeRecord(v);
    }
    return true;
  }

  continue(): Promise<TableCursor | null> {
    return this.store.tx.request((tables) => (this.advance(tables) ? this : null));
  }

  update(value: unknown): Promise<Key> {
    return this.store.tx.request(
      (tables) => this.own(() => this.store.write(tables, value, this.primaryKey, 'update')),
      true,
    );
  }

  delete(): Promise<void> {
    return this.store.tx.request(
      (tables) => this.own(() => this.store.remove(tables, { ...byteRange(this.primaryKey) })),
      true,
    );
  }

  /**
   * A store cursor's write of its own record changes nothing ahead of it, so
   * its page stays good (no re-read per step of an update loop); an index
   * cursor's may move the record's entry ahead, as in IndexedDB, so it reads afresh.
   */
  private own<T>(write: () => T): T {
    const current = this.store.tx.writesTo(this.table) === this.readAt;
    const result = write();
    if (current && !this.isIndex) this.readAt = this.store.tx.writesTo(this.table);
    return result;
  }
}

class TableIndex {
  constructor(
    private readonly store: TableObjectStore,
    readonly name: string,
  ) {}

  private get table(): string {
    return `${this.store.name}.${this.name}`;
  }

  private entries(tables: Tables, query: unknown, limit = Infinity): Uint8Array[] {
    const out: Uint8Array[] = [];
    let range = byteRange(query);
    while (out.length < limit) {
      const page = tables.scan(this.table, range, false, Math.min(PAGE, limit - out.length));
      for (const [, pk] of page) out.push(pk);
      if (page.length < PAGE) break;
      range = { ...range, from: prefixEnd(page[page.length - 1]![0]) };
    }
    return out;
  }

  get(query: unknown): Promise<unknown> {
    return this.store.tx.request((tables) => {
      const [pk] = this.entries(tables, query, 1);
      const record = pk === undefined ? undefined : tables.get(this.store.name, pk);
      return record === undefined ? undefined : decodeRecord(record);
    });
  }

  getAll(query?: unknown, count?: number): Promise<unknown[]> {
    return this.store.tx.request((tables) =>
      this.entries(tables, query, count || Infinity).map((pk) => decodeRecord(tables.get(this.store.name, pk)!)),
    );
  }

  getAllKeys(query?: unknown, count?: number): Promise<Key[]> {
    return this.store.tx.request((tables) => this.entries(tables, query, count || Infinity).map(decodeKey));
  }

  count(query?: unknown): Promise<number> {
    return this.store.tx.request((tables) => tables.count(this.table, byteRange(query)));
  }

  openCursor(query?: unknown, direction: Direction = 'next'): Promise<TableCursor | null> {
    const cursor = new TableCursor(this.store, this.table, byteRange(query), direction === 'prev', true);
    return this.store.tx.request((tables) => (cursor.advance(tables) ? cursor : null));
  }
}

class TableObjectStore {
  constructor(
    readonly tx: TableTransaction,
    readonly name: string,
  ) {}

  private get def(): StoreDef {
    return this.tx.db.catalog.stores[this.name]!;
  }

  private first(tables: Tables, query: unknown): [Uint8Array, Uint8Array] | undefined {
    if (!isRange(query)) {
      const k = encodeKey(query);
      const v = tables.get(this.name, k);
      return v === undefined ? undefined : [k, v];
    }
    return tables.scan(this.name, byteRange(query), false, 1)[0];
  }

  private all(tables: Tables, query: unknown, count?: number): Array<[Uint8Array, Uint8Array]> {
    if (query !== undefined && query !== null && !isRange(query)) {
      const hit = this.first(tables, query);
      return hit === undefined ? [] : [hit];
    }
    return tables.scan(this.name, byteRange(query), false, count || Number.MAX_SAFE_INTEGER);
  }

  get(query: unknown): Promise<unknown> {
    return this.tx.request((tables) => {
      const hit = this.first(tables, query);
      return hit === undefined ? undefined : decodeRecord(hit[1]);
    });
  }

  getKey(query: unknown): Promise<Key | undefined> {
    return this.tx.request((tables) => {
      const hit = this.first(tables, query);
      return hit === undefined ? undefined : decodeKey(hit[0]);
    });
  }

  getAll(query?: unknown, count?: number): Promise<unknown[]> {
    return this.tx.request((tables) => this.all(tables, query, count).map(([, v]) => decodeRecord(v)));
  }

  getAllKeys(query?: unknown, count?: number): Promise<Key[]> {
    return this.tx.request((tables) => this.all(tables, query, count).map(([k]) => decodeKey(k)));
  }

  count(query?: unknown): Promise<number> {
    return this.tx.request((tables) => tables.count(this.name, byteRange(query)));
  }

  openCursor(query?: unknown, direction: Direction = 'next'): Promise<TableCursor | null> {
    const cursor = new TableCursor(this, this.name, byteRange(query), direction === 'prev', false);
    return this.tx.request((tables) => (cursor.advance(tables) ? cursor : null));
  }

  index(name: string): TableIndex {
    if (this.def.indexes[name] === undefined)
      throw named('NotFoundError', `no index '${name}' on store '${this.name}'`);
    return new TableIndex(this, name);
  }

  put(value: unknown, key?: Key): Promise<Key> {
    return this.tx.request((tables) => this.write(tables, value, key, 'put'), true);
  }

  add(value: unknown, key?: Key): Promise<Key> {
    return this.tx.request((tables) => this.write(tables, value, key, 'add'), true);
  }

  delete(query: unknown): Promise<void> {
    return this.tx.request((tables) => this.remove(tables, byteRange(query)), true);
  }

  clear(): Promise<void> {
    return this.tx.request((tables) => this.remove(tables, {}), true);
  }

  createIndex(name: string, keyPath: string | string[], options: { unique?: boolean } = {}): TableIndex {
    if (this.tx.mode !== 'versionchange') throw named('InvalidStateError', 'indexes are made in a migration only');
    const index: IndexDef = { keyPath, unique: options.unique === true };
    this.def.indexes[name] = index;
    const tables = this.tx.db.tables;
    tables.createTable(`${this.name}.${name}`);
    // Index what the store already holds.
    for (let range: ByteRange = {}; ; ) {
      const page = tables.scan(this.name, range, false, PAGE);
      for (const [k, v] of page) this.indexOne(tables, name, index, k, decodeRecord(v));
      if (page.length < PAGE) break;
      range = { from: prefixEnd(page[page.length - 1]![0]) };
    }
    return new TableIndex(this, name);
  }

  /** Writes one record and its index entries. */
  write(tables: Tables, value: unknown, key: Key | undefined, how: 'put' | 'add' | 'update'): Key {
    const def = this.def;
    let primary: unknown = key;
    if (def.keyPath !== undefined) {
      if (key !== undefined && how !== 'update')
        throw dataError(`store '${this.name}' takes its keys from the records: pass no key`);
      primary = extract(value, def.keyPath);
      if (primary === undefined && def.autoIncrement && typeof def.keyPath === 'string') {
        primary = this.generate(tables);
        value = { ...(value as object), [def.keyPath]: primary };
      } else if (how === 'update' && !sameBytes(encodeKey(primary), encodeKey(key))) {
        throw dataError('a cursor update cannot change the record key');
      }
    } else if (primary === undefined) {
      if (!def.autoIncrement) throw dataError(`store '${this.name}' needs a key with each record`);
      primary = this.generate(tables);
    }
    if (!isKey(primary)) throw dataError(`${JSON.stringify(primary)} is not a valid key`);
    const k = encodeKey(primary);
    const indexes = Object.entries(def.indexes);
    const old = how === 'add' || indexes.length > 0 ? tables.get(this.name, k) : undefined;
    if (how === 'add' && old !== undefined)
      throw named('ConstraintError', `a record with key ${JSON.stringify(primary)} already exists in '${this.name}'`);
    if (def.autoIncrement && typeof primary === 'number') this.raiseGenerator(tables, primary);
    const encoded = encodeRecord(value);
    if (indexes.length > 0) {
      const oldValue = old === undefined ? undefined : decodeRecord(old);
      for (const [name, index] of indexes) {
        const before = oldValue === undefined ? undefined : extract(oldValue, index.keyPath);
        const after = extract(value, index.keyPath);
        const beforeBytes = isKey(before) ? encodeKey(before) : undefined;
        const afterBytes = isKey(after) ? encodeKey(after) : undefined;
        if (beforeBytes !== undefined && afterBytes !== undefined && sameBytes(beforeBytes, afterBytes)) continue;
        if (beforeBytes !== undefined) tables.delete(`${this.name}.${name}`, concat(beforeBytes, k));
        if (afterBytes !== undefined) this.indexOne(tables, name, index, k, value, afterBytes);
      }
    }
    tables.put(this.name, k, encoded);
    this.tx.wrote(this.name);
    return primary;
  }

  private indexOne(
    tables: Tables,
    name: string,
    index: IndexDef,
    k: Uint8Array,
    value: unknown,
    ik?: Uint8Array,
  ): void {
    let bytes = ik;
    if (bytes === undefined) {
      const indexKey = extract(value, index.keyPath);
      if (!isKey(indexKey)) return; // IndexedDB leaves a record out of an index whose key path yields no key
      bytes = encodeKey(indexKey);
    }
    const table = `${this.name}.${name}`;
    if (index.unique) {
      const [clash] = tables.scan(table, { from: bytes, to: prefixEnd(bytes) }, false, 1);
      if (clash !== undefined && !sameBytes(clash[1], k))
        throw named('ConstraintError', `index '${name}' of '${this.name}' is unique: another record has that key`);
    }
    tables.put(table, concat(bytes, k), k);
  }

  /** Deletes the records in `range`, and their index entries. */
  remove(tables: Tables, range: ByteRange): void {
    this.tx.wrote(this.name);
    const indexes = Object.entries(this.def.indexes);
    if (indexes.length === 0) {
      tables.deleteRange(this.name, range);
      return;
    }
    if (range.from === undefined && range.to === undefined) {
      tables.deleteRange(this.name, {});
      for (const [name] of indexes) tables.deleteRange(`${this.name}.${name}`, {});
      return;
    }
    for (const [k, v] of tables.scan(this.name, range, false, Number.MAX_SAFE_INTEGER)) {
      const value = decodeRecord(v);
      for (const [name, index] of indexes) {
        const ik = extract(value, index.keyPath);
        if (isKey(ik)) tables.delete(`${this.name}.${name}`, concat(encodeKey(ik), k));
      }
      tables.delete(this.name, k);
    }
  }

  private generate(tables: Tables): number {
    const catalog = this.tx.db.readCatalog(tables);
    const next = Math.max(catalog.stores[this.name]?.next ?? 1, this.def.next ?? 1);
    this.raiseGenerator(tables, next);
    return next;
  }

  private raiseGenerator(tables: Tables, used: number): void {
    const catalog = this.tx.db.readCatalog(tables);
    const def = catalog.stores[this.name] ?? this.def;
    if ((def.next ?? 1) > used) return;
    def.next = Math.floor(used) + 1;
    this.def.next = def.next;
    catalog.stores[this.name] = def;
    this.tx.db.writeCatalog(tables, catalog);
  }
}

class TableDatabase {
  private readonly queue: TableTransaction[] = [];
  private running: TableTransaction | undefined;
  private upgrading: TableTransaction | undefined;
  private closed = false;
  /** Openers sharing this database (one connection per file in a process: two would wait on each other's locks). */
  private refs = 1;

  constructor(
    readonly tables: Tables,
    public catalog: Catalog,
  ) {}

  get version(): number {
    return this.catalog.version;
  }

  get objectStoreNames(): string[] {
    return Object.keys(this.catalog.stores).sort();
  }

  readCatalog(tables: Tables): Catalog {
    const bytes = tables.get(CATALOG, CATALOG_KEY);
    return bytes === undefined ? { version: 0, stores: {} } : (decodeRecord(bytes) as Catalog);
  }

  writeCatalog(tables: Tables, catalog: Catalog): void {
    tables.put(CATALOG, CATALOG_KEY, encodeRecord(catalog));
  }

  transaction(stores: string | string[], mode: 'readonly' | 'readwrite' = 'readonly'): TableTransaction {
    if (this.closed) throw named('InvalidStateError', 'the database is closed');
    const names = typeof stores === 'string' ? [stores] : [...stores];
    for (const name of names)
      if (this.catalog.stores[name] === undefined) throw named('NotFoundError', `no store '${name}'`);
    const tx = new TableTransaction(this as unknown as AnyDb, names, mode);
    this.queue.push(tx);
    this.pump();
    return tx;
  }

  /** The transaction a migration runs in: all stores, never committed on its own. */
  beginUpgrade(): TableTransaction {
    const tx = new TableTransaction(this as unknown as AnyDb, [], 'versionchange');
    this.upgrading = tx;
    this.running = tx;
    tx.start();
    return tx;
  }

  createObjectStore(name: string, options: { keyPath?: string | string[]; autoIncrement?: boolean } = {}) {
    const tx = this.upgrading;
    if (tx === undefined || tx.state !== 'running')
      throw named('InvalidStateError', 'stores are made in a migration only');
    const def: StoreDef = { autoIncrement: options.autoIncrement === true, indexes: {} };
    if (options.keyPath !== undefined) def.keyPath = options.keyPath;
    this.catalog.stores[name] = def;
    this.tables.createTable(name);
    return tx.objectStore(name);
  }

  finished(tx: TableTransaction): void {
    if (this.running === tx) this.running = undefined;
    if (this.upgrading === tx) this.upgrading = undefined;
    this.pump();
  }

  private pump(): void {
    if (this.running !== undefined) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.running = next;
    next.start();
  }

  private one(store: string, mode: 'readonly' | 'readwrite' = 'readonly'): TableObjectStore {
    return this.transaction(store, mode).objectStore(store);
  }

  get(store: string, query: unknown) {
    return this.one(store).get(query);
  }
  getKey(store: string, query: unknown) {
    return this.one(store).getKey(query);
  }
  getAll(store: string, query?: unknown, count?: number) {
    return this.one(store).getAll(query, count);
  }
  getAllKeys(store: string, query?: unknown, count?: number) {
    return this.one(store).getAllKeys(query, count);
  }
  count(store: string, query?: unknown) {
    return this.one(store).count(query);
  }
  getAllFromIndex(store: string, index: string, query?: unknown) {
    return this.one(store).index(index).getAll(query);
  }
  getAllKeysFromIndex(store: string, index: string, query?: unknown) {
    return this.one(store).index(index).getAllKeys(query);
  }
  countFromIndex(store: string, index: string, query?: unknown) {
    return this.one(store).index(index).count(query);
  }
  put(store: string, value: unknown, key?: Key) {
    return this.one(store, 'readwrite').put(value, key);
  }
  add(store: string, value: unknown, key?: Key) {
    return this.one(store, 'readwrite').add(value, key);
  }
  delete(store: string, query: unknown) {
    return this.one(store, 'readwrite').delete(query);
  }

  /** Another opener of the same file in this process shares this database; each closes it once. */
  retain(): boolean {
    if (this.closed) return false;
    this.refs++;
    return true;
  }

  close(): void {
    if (this.closed || --this.refs > 0) return;
    this.closed = true;
    const close = () => {
      if (this.running === undefined && this.queue.length === 0) this.tables.close();
      else setTimeout(close, 1);
    };
    close();
  }
}

/**
 * Opens a table database at `version`, running the migrations it lacks in
 * one transaction (all or nothing). A database at a newer version than this
 * code knows is refused with a typed error.
 */
export async function openTableDatabase<S extends StorageSchema>(
  tables: Tables,
  what: string,
  version: number,
  migrations: Migrations<S>,
): Promise<Database<S>> {
  let catalog: Catalog;
  tables.begin(true);
  try {
    tables.createTable(CATALOG);
    const bytes = tables.get(CATALOG, CATALOG_KEY);
    catalog = bytes === undefined ? { version: 0, stores: {} } : (decodeRecord(bytes) as Catalog);
    tables.commit();
  } catch (error) {
    tables.rollback();
    tables.close();
    throw error;
  }
  if (catalog.version > version) {
    tables.close();
    throw newerVersionError(what, version);
  }
  const db = new TableDatabase(tables, catalog);
  if (catalog.version < version) {
    const tx = db.beginUpgrade();
    // Another process may have upgraded meanwhile: read again under the write lock.
    db.catalog = db.readCatalog(tables);
    const from = db.catalog.version;
    if (from > version) {
      tx.fail(newerVersionError(what, version));
      tables.close();
      throw newerVersionError(what, version);
    }
    try {
      for (let v = from; v < version; v++) {
        const migrate = migrations[v];
        if (migrate === undefined) throw new Error(`no migration from schema version ${v}`);
        await migrate(db as unknown as Database<S>, tx as unknown as Transaction<S, StoreNames<S>[]>);
      }
      db.catalog.version = version;
      db.writeCatalog(tables, db.catalog);
      tx.commit();
      await tx.done;
    } catch (error) {
      console.error('mlflow-edge: schema migration failed; the database keeps its old version', error);
      tx.fail(error);
      db.catalog = catalog;
      tables.close();
      throw error;
    }
  }
  return db as unknown as Database<S>;
}
