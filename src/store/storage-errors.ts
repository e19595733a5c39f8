import { MlflowEdgeError } from '../schema/errors.js';

/** Where a full-storage error came from: the browser's quota, or the disk (or size cap) of a store at a path. */
const DISK = Symbol('mlflow-edge disk full');

interface DiskFull {
  [DISK]?: { maxBytes: number | undefined };
}

/**
 * Names a full disk (SQLITE_FULL, ENOSPC) as IndexedDB names a full quota,
 * so one error path handles both; remembers it was the disk, and the store's
 * size cap if it has one, for the message.
 */
export function diskFull(error: unknown, maxBytes?: number): unknown {
  if (error instanceof Error) {
    error.name = 'QuotaExceededError';
    (error as DiskFull)[DISK] = { maxBytes };
  }
  return error;
}

/**
 * IndexedDB reports a full disk as an aborted transaction whose error is a
 * QuotaExceededError; OPFS throws it from write(); a store at a path, from
 * SQLite or a file write (see diskFull). Each becomes one typed error that
 * says nothing from this write was kept and what to do.
 */
export function toStorageError(error: unknown, what: string): unknown {
  const name = (error as { name?: unknown } | null)?.name;
  if (name !== 'QuotaExceededError') return error;
  const kept = `${what} was not stored (as a whole: nothing of it is half-written); everything stored before is intact and readable.`;
  const disk = (error as DiskFull)[DISK];
  if (disk !== undefined) {
    const cap =
      disk.maxBytes === undefined ? '' : ` or the store reached its size cap (store.maxBytes: ${disk.maxBytes} bytes)`;
    return new MlflowEdgeError(
      'RESOURCE_EXHAUSTED',
      `The store's disk is full${cap}: ${kept} Free space (delete large artifacts or old runs, or free the disk)${disk.maxBytes === undefined ? '' : ', or open the store with a larger store.maxBytes'}, then log again.`,
      { cause: 'QuotaExceededError', ...(disk.maxBytes === undefined ? {} : { maxBytes: disk.maxBytes }) },
    );
  }
  return new MlflowEdgeError(
    'RESOURCE_EXHAUSTED',
    `Browser storage is full (QuotaExceededError): ${kept} Free space (delete large artifacts or old runs), ask for persistent storage with tracker.requestPersistence(), then log again.`,
    { cause: 'QuotaExceededError' },
  );
}

/** A store file SQLite found damaged, or that is no SQLite database: nothing is written to it. */
export function damagedStoreError(file: string, cause: 'SQLITE_CORRUPT' | 'SQLITE_NOTADB'): MlflowEdgeError {
  return new MlflowEdgeError(
    'INVALID_STATE',
    `The store file '${file}' is damaged, or is not an mlflow-edge database (${cause}). Nothing was changed in it. Move it aside to start a new store, or restore it from a backup.`,
    { cause },
  );
}
