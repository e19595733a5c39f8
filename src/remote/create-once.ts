/**
 * Creating an entity exactly once on a server that has no idempotency keys
 * (runs, logged models, model versions): the one protocol, for every kind.
 *
 * - `markAttempted` is durable before the create goes out, so after a crash
 *   or a lost answer the next attempt searches by the client id first and
 *   adopts what it finds instead of creating again.
 * - A create whose answer came back is not followed by a search: the
 *   search costs a request per entity, and only a lost answer needs it.
 *   Duplicates that still happen (a browser resends a request whose
 *   connection dropped) are found by `settleTwins`.
 * - Twins are deleted only when they hold nothing: a server entity that
 *   holds data is never deleted; if two hold data both stay, and the caller
 *   says so.
 */
import { withRetries, type RetryPolicy } from './retry.js';
import { RestError } from './rest.js';

export interface CreateOnce<T> {
  /** A create was sent before (its answer may have been lost). */
  attempted: boolean;
  markAttempted(): Promise<void>;
  /** The server's entities carrying this client id (any order). */
  find(): Promise<T[]>;
  create(): Promise<T>;
  /** Which of several found to adopt: the one holding data, else the oldest. */
  prefer?(found: T[]): T;
}

export async function createOnce<T>(
  spec: CreateOnce<T>,
  policy: RetryPolicy,
  onRetry?: (error: RestError) => void,
  signal?: AbortSignal,
): Promise<T> {
  let attempted = spec.attempted;
  return withRetries(
    async () => {
      if (attempted) {
        const found = await spec.find();
        if (found.length > 0) return spec.prefer?.(found) ?? found[0]!;
      } else {
        await spec.markAttempted();
        attempted = true;
      }
      return spec.create();
    },
    policy,
    onRetry,
    signal,
  );
}

/** Of entities sharing one client id, besides `chosen`: those that hold nothing are removed; the others are returned. */
export async function settleTwins<T>(
  twins: readonly T[],
  holdsData: (t: T) => boolean,
  remove: (t: T) => Promise<void>,
): Promise<T[]> {
  const kept: T[] = [];
  for (const twin of twins) {
    if (holdsData(twin)) kept.push(twin);
    else await remove(twin);
  }
  return kept;
}

/** Sends a delete: one whose answer was lost is retried, and MLflow then answers that the entity does not exist, which is what was asked. */
export async function deleteOnce(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (!(error instanceof RestError && error.kind === 'refused' && error.errorCode === 'RESOURCE_DOES_NOT_EXIST'))
      throw error;
  }
}
