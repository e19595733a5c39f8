/**
 * Opens the store where it lives: IndexedDB (+ OPFS) in a browser, SQLite
 * (+ a directory of files) at a path in Node, Deno and Bun, or memory in an
 * edge function. Each adapter runs the same migrations; the non-browser
 * adapters are imported only when asked for, so pages never load them.
 */
import { MlflowEdgeError } from '../schema/errors.js';
import { openIndexedDb } from './adapters/indexeddb.js';
import { openOpfsBlobs } from './adapters/opfs.js';
import { readPending } from './pending.js';
import type { BlobStore } from './port.js';
import { MIGRATIONS, SCHEMA_VERSION, type Db } from './schema.js';

/**
 * An IndexedDB database name, a directory for a SQLite store (`maxBytes`: a
 * cap on its database file, past which logging fails with RESOURCE_EXHAUSTED
 * as on a full disk), or a named in-memory store.
 */
export type StoreLocation = string | { path: string; maxBytes?: number } | { memory: string };

export interface OpenOptions {
  /** Open at this version instead of the newest (tests of the upgrade path). */
  version?: number;
  /** Called when another tab needs this connection closed to upgrade the schema. */
  onVersionChange?: () => void;
}

export interface OpenedStore {
  db: Db;
  /**
   * Where artifact bytes go; undefined: into the records (IndexedDB without
   * OPFS). OPFS's is a promise: its folders are made while the store is
   * used, not before the store opens (a cold open would wait for them).
   */
  blobs: BlobStore | undefined | Promise<BlobStore | undefined>;
  /** Which adapter, and for SQLite which driver: for status and the README's table. */
  adapter: string;
}

/** The SQLite file of a store directory, and its artifacts directory next to it. */
export const SQLITE_FILE = 'mlflow-edge.sqlite';
export const FILES_DIR = 'artifacts';

export async function openStore(location: StoreLocation, options: OpenOptions = {}): Promise<OpenedStore> {
  const version = options.version ?? SCHEMA_VERSION;
  let opened: OpenedStore;
  if (typeof location === 'string') {
    const db = await openIndexedDb(location, version, MIGRATIONS, options.onVersionChange);
    opened = { db, blobs: openOpfsBlobs(location), adapter: 'indexeddb' };
  } else if ('path' in location) {
    opened = await openSqliteStore(location.path, version, location.maxBytes);
  } else {
    const { openMemoryBlobs, openMemoryTables } = await import('./adapters/memory.js');
    const { openTableDatabase } = await import('./tables/database.js');
    const db = await openTableDatabase(openMemoryTables(location.memory), `'${location.memory}'`, version, MIGRATIONS);
    opened = { db, blobs: openMemoryBlobs(location.memory), adapter: 'memory' };
  }
  // Counters missing (a store from before them, or a new one) or damaged are recounted once, here.
  if (version === SCHEMA_VERSION) await readPending(opened.db);
  return opened;
}

/** One database per SQLite file in this process (see TableDatabase.retain); a closed one is opened anew. */
const sqliteOpen = new Map<string, OpenedStore>();

async function openSqliteStore(path: string, version: number, maxBytes: number | undefined): Promise<OpenedStore> {
  if (typeof path !== 'string' || path === '') {
    throw new MlflowEdgeError(
      'INVALID_PARAMETER_VALUE',
      'store.path must be a non-empty string: the directory of the store.',
    );
  }
  if (
    maxBytes !== undefined &&
    !(typeof maxBytes === 'number' && maxBytes >= 65536 && maxBytes <= Number.MAX_SAFE_INTEGER)
  ) {
    throw new MlflowEdgeError(
      'INVALID_PARAMETER_VALUE',
      `store.maxBytes must be a number of bytes, at least 65536 (64 KiB), or left out for no cap; got ${String(maxBytes)}.`,
    );
  }
  const [{ openSqliteTables, sqliteCode }, { openTableDatabase }, { openFileBlobs }] = await Promise.all([
    import('./adapters/sqlite.js'),
    import('./tables/database.js'),
    import('./adapters/files.js'),
  ]);
  const file = `${path}/${SQLITE_FILE}`;
  const shared = sqliteOpen.get(file);
  if (shared !== undefined && (shared.db as unknown as { retain(): boolean }).retain()) return shared;
  let blobs: BlobStore;
  try {
    blobs = await openFileBlobs(`${path}/${FILES_DIR}`);
  } catch (error) {
    throw new MlflowEdgeError(
      'INVALID_STATE',
      `The store directory '${path}' cannot be written (${(error as Error).message}). Pass a store.path this process may create and write, or fix its permissions.`,
      { cause: (error as { code?: string }).code },
    );
  }
  try {
    const { tables, driver } = await openSqliteTables(file, maxBytes === undefined ? {} : { maxBytes });
    const db = await openTableDatabase(tables, `'${file}'`, version, MIGRATIONS);
    const opened = { db, blobs, adapter: `sqlite (${driver})` };
    sqliteOpen.set(file, opened);
    return opened;
  } catch (error) {
    // A damaged file is already a typed error (adapters/sqlite.ts).
    const code = sqliteCode(error);
    if (code === 8 || code === 14) {
      throw new MlflowEdgeError(
        'INVALID_STATE',
        `The store file '${file}' cannot be opened for writing (${(error as Error).message}). Pass a store.path this process may write, or fix its permissions.`,
        { cause: code === 8 ? 'SQLITE_READONLY' : 'SQLITE_CANTOPEN' },
      );
    }
    throw error;
  }
}

/** The database alone (tests, tools): see openStore. */
export async function openDatabase(location: StoreLocation, options: OpenOptions = {}): Promise<Db> {
  return (await openStore(location, options)).db;
}
