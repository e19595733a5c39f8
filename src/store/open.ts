import { openDB } from 'idb';
import { MlflowEdgeError } from '../schema/errors.js';
import { readPending } from './pending.js';
import { MIGRATIONS, SCHEMA_VERSION, type Db, type EdgeDB } from './schema.js';

export interface OpenOptions {
  /** Open at this version instead of the newest (tests of the upgrade path). */
  version?: number;
  /** Called when another tab needs this connection closed to upgrade the schema. */
  onVersionChange?: () => void;
}

export async function openDatabase(name: string, options: OpenOptions = {}): Promise<Db> {
  const version = options.version ?? SCHEMA_VERSION;
  try {
    const db = await openDB<EdgeDB>(name, version, {
      upgrade(db, oldVersion, newVersion, tx) {
        // Migrations run in order inside the one versionchange transaction:
        // if any fails, the database stays at its old version, untouched.
        const target = newVersion ?? version;
        const fail = (error: unknown) => {
          console.error('mlflow-edge: schema migration failed; the database keeps its old version', error);
          tx.abort();
        };
        // Synchronous migrations run in the upgradeneeded callback itself (where
        // createObjectStore is allowed); an async one continues the chain when done.
        const runFrom = (from: number): void => {
          for (let v = from; v < target; v++) {
            const migrate = MIGRATIONS[v];
            if (migrate === undefined) throw new Error(`no migration from schema version ${v}`);
            const pending = migrate(db, tx);
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
        options.onVersionChange?.();
      },
    });
    // Counters missing (a store from before them, or a new one) or damaged are recounted once, here.
    if (version === SCHEMA_VERSION) await readPending(db);
    return db;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'VersionError') {
      throw new MlflowEdgeError(
        'INVALID_STATE',
        `The local database '${name}' was written by a newer version of mlflow-edge (schema newer than ${version}). Load the newer library version, or open a different dbName.`,
      );
    }
    throw error;
  }
}
