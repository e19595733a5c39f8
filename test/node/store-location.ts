/**
 * The shared store test table: tests that touch the store open it through
 * these, so `EDGE_STORE=sqlite` (or `memory`) runs the same tests against
 * that adapter (vitest.config.ts runs them once per adapter).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenRequest } from '../../src/protocol.js';
import { openIndexedDb } from '../../src/store/adapters/indexeddb.js';
import { openMemoryBlobs, openMemoryTables } from '../../src/store/adapters/memory.js';
import { openSqliteTables } from '../../src/store/adapters/sqlite.js';
import { FILES_DIR, openDatabase, SQLITE_FILE, type StoreLocation } from '../../src/store/open.js';
import { MIGRATIONS, SCHEMA_VERSION, type ArtifactLocation } from '../../src/store/schema.js';
import { openTableDatabase } from '../../src/store/tables/database.js';

export type StoreAdapter = 'indexeddb' | 'sqlite' | 'memory';
export const STORE_ADAPTER = (process.env.EDGE_STORE ?? 'indexeddb') as StoreAdapter;

let root: string | undefined;

/** Where the store named `name` lives under the adapter of this run. */
export function storeLocation(name: string): StoreLocation {
  if (STORE_ADAPTER === 'indexeddb') return name;
  if (STORE_ADAPTER === 'memory') return { memory: name };
  root ??= mkdtempSync(join(tmpdir(), 'edge-store-'));
  return { path: join(root, encodeURIComponent(name)) };
}

/** The worker's open request for the store named `dbName`. */
export function openRequest(dbName: string, rest: Omit<OpenRequest, 'dbName' | 'store'> = {}): OpenRequest {
  const location = storeLocation(dbName);
  return typeof location === 'string' ? { dbName, ...rest } : { dbName, store: location, ...rest };
}

/** Writes the store `name` as a newer mlflow-edge would: `ahead` schema versions past this one. */
export async function writeNewerSchema(name: string, ahead = 5): Promise<void> {
  const version = SCHEMA_VERSION + ahead;
  const migrations = [...MIGRATIONS, ...Array.from({ length: ahead }, () => () => undefined)];
  const location = storeLocation(name);
  if (typeof location === 'string') {
    (await openIndexedDb(location, version, migrations)).close();
    return;
  }
  const tables =
    'path' in location
      ? (mkdirSync(location.path, { recursive: true }),
        (await openSqliteTables(join(location.path, SQLITE_FILE))).tables)
      : openMemoryTables(location.memory);
  (await openTableDatabase(tables, name, version, migrations)).close();
}

/** Replaces a stored file's bytes and leaves its record's sha256 as it was: a damaged disk, or another script of the origin. */
export async function tamperFile(name: string, owner: string, path: string, text: string): Promise<void> {
  const location = storeLocation(name);
  const db = await openDatabase(location);
  const record = await db.get('artifacts', [owner, path]);
  if (record === undefined) throw new Error(`no file ${path} of ${owner}`);
  if (record.location.kind === 'fs' && typeof location === 'object' && 'path' in location) {
    writeFileSync(join(location.path, FILES_DIR, record.location.file), text);
  } else if (record.location.kind === 'fs' && typeof location === 'object' && 'memory' in location) {
    await openMemoryBlobs(location.memory).write(record.location.file, new Blob([text]));
  } else {
    await db.put('artifacts', { ...record, location: { kind: 'idb', blob: new Blob([text]) } });
  }
  db.close();
}

/** An artifact location holding `text`, as the adapter keeps bytes: in the record (IndexedDB without OPFS) or a file. */
export async function storedBytes(name: string, text: string): Promise<ArtifactLocation> {
  const location = storeLocation(name);
  if (typeof location === 'object' && 'path' in location) {
    mkdirSync(join(location.path, FILES_DIR), { recursive: true });
    const file = `written-${Date.now()}`;
    writeFileSync(join(location.path, FILES_DIR, file), text);
    return { kind: 'fs', file };
  }
  if (typeof location === 'object') {
    await openMemoryBlobs(location.memory).write('written', new Blob([text]));
    return { kind: 'fs', file: 'written' };
  }
  return { kind: 'idb', blob: new Blob([text]) };
}
