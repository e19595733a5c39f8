/** What every adapter runs on open: the schema's migrations, in order, in one transaction. */
import { MlflowEdgeError } from '../schema/errors.js';
import type { Database, StorageSchema, StoreNames, Transaction } from './port.js';

/** Takes a database from version i to i + 1, inside the upgrade transaction; may be async. */
export type Migration<S extends StorageSchema> = (
  db: Database<S>,
  tx: Transaction<S, StoreNames<S>[]>,
) => Promise<void> | void;

/** migrations[i] takes a database from version i to version i + 1. */
export type Migrations<S extends StorageSchema> = readonly Migration<S>[];

export function newerVersionError(what: string, version: number): MlflowEdgeError {
  return new MlflowEdgeError(
    'INVALID_STATE',
    `The local database ${what} was written by a newer version of mlflow-edge (schema newer than ${version}). Load the newer library version, or open a different store.`,
  );
}
