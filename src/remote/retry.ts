/**
 * Retries what may succeed later (kind 'retry': no answer, 408, 429, 5xx,
 * answers that were not MLflow's) with capped exponential backoff and full
 * jitter, waiting at least a capped Retry-After. Refusals and auth failures
 * are not retried: they go back to the caller at once.
 */
import { RestError } from './rest.js';

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 500, capMs: 30_000 };

/** Attempts tried while the device is offline: no point waiting out a full backoff to tell the caller. */
const OFFLINE_ATTEMPTS = 1;

/** `signal` ends the retries (and a wait under way) when the work is no longer wanted, e.g. the server was changed. */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  onRetry?: (error: RestError) => void,
  signal?: AbortSignal,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof RestError) || error.kind !== 'retry') throw error;
      const offline = error.status === 0 && (globalThis.navigator as Navigator | undefined)?.onLine === false;
      if (n >= (offline ? OFFLINE_ATTEMPTS : policy.attempts) || signal?.aborted) throw error;
      onRetry?.(error);
      const backoff = Math.random() * Math.min(policy.capMs, policy.baseMs * 2 ** (n - 1));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(backoff, error.retryAfterMs ?? 0));
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done);
      });
      if (signal?.aborted) throw error;
    }
  }
}
