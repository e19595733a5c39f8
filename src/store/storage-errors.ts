import { MlflowEdgeError } from '../schema/errors.js';

/**
 * IndexedDB reports a full disk as an aborted transaction whose error is a
 * QuotaExceededError; OPFS throws it from write(). Both become one typed
 * error that says nothing from this write was kept and what to do.
 */
export function toStorageError(error: unknown, what: string): unknown {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'QuotaExceededError') {
    return new MlflowEdgeError(
      'RESOURCE_EXHAUSTED',
      `Browser storage is full (QuotaExceededError): ${what} was not stored (as a whole: nothing of it is half-written); everything stored before is intact and readable. Free space (delete large artifacts or old runs), ask for persistent storage with tracker.requestPersistence(), then log again.`,
      { cause: 'QuotaExceededError' },
    );
  }
  return error;
}
