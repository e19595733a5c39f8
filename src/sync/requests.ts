/** What model and registry sync get from the engine to send requests (sync/models.ts, sync/registry.ts). */
import type { SyncCounts } from '../protocol.js';
import type { RestError } from '../remote/rest.js';
import type { RetryPolicy } from '../remote/retry.js';

/** How the engine sends a request: with retries, counted in flight. */
export interface Requests {
  request<T>(fn: () => Promise<T>): Promise<T>;
  retry: RetryPolicy;
  onRetry(error: RestError): void;
  tracked<T>(fn: () => Promise<T>): Promise<T>;
  /** What the server now has (or refused for good), for the pass's progress. */
  done(part: Partial<SyncCounts>): void;
  /** Something the user should know that is not an error (the server lost a model and it is uploaded again). */
  notice(message: string): void;
}
