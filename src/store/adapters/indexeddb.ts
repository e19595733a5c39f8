/**
 * The browser's adapter: the port is IndexedDB's own model, so this is idb's
 * openDB with the migrations run in its one versionchange transaction.
 */
import { openDB } from 'idb';
import type { Database, StorageSchema } from '../port.js';
import { newerVersionError, type Migrations } from '../migrate.js';

export async function openIndexedDb<S extends StorageSchema>(
  name: string,
  version: number,
  migrations: Migrations<S>,
  onVersionChange?: () => void,
): Promise<Database<S>> {
  try {
    const db = await openDB(name, version, {
      upgrade(db, oldVersion, newVersion, tx) {
        // Migrations run in order inside the one versionchange transaction:
        // if any fails, the database stays at its old version, untouched.
        const target = newVersion ?? version;
        // An aborted upgrade rejects openDB, which the caller awaits; idb's done promise of the upgrade transaction would reject unheard.
        tx.done.catch(() => undefined);
        const fail = (error: unknown) => {
          console.error('mlflow-edge: schema migration failed; the database keeps its old version', error);
          tx.abort();
        };
        // Synchronous migrations run in the upgradeneeded callback itself (where
        // createObjectStore is allowed); an async one continues the chain when done.
        const runFrom = (from: number): void => {
          for (let v = from; v < target; v++) {
            const migrate = migrations[v];
            if (migrate === undefined) throw new Error(`no migration from schema version ${v}`);
            const pending = migrate(db as unknown as Database<S>, tx as never);
            if (pending instanceof Promise) {
              pending.then(() => runFrom(v + 1)).catch(fail);
              return;
            }
          }
        };
        runFrom(oldVersion);
      },
      blocking() {
        db.close();
        onVersionChange?.();
      },
    });
    return db as unknown as Database<S>;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'VersionError') throw newerVersionError(`'${name}'`, version);
    throw error;
  }
}
