/**
 * One uploader at a time where there are no Web Locks (Node, Deno, Bun,
 * edge functions; several processes can share one store file): a lease in
 * the store's `meta`, taken for one upload pass and renewed while it runs.
 *
 * A lease not renewed for LEASE_MS (its holder was killed or stalled) may
 * be taken by another; the old holder learns it at its next renewal and
 * stops its pass (`lost`), so two passes overlap by at most one renewal
 * interval, and then only after a stall longer than the lease.
 */
import type { Db, UploaderLease } from './schema.js';

export const LEASE_MS = 5_000;
const RENEW_MS = 1_000;
const POLL_MS = 200;

const KEY = 'uploader';

/** Takes or renews the lease for `owner` if it is free, expired or already `owner`'s. */
async function take(db: Db, owner: string): Promise<boolean> {
  const tx = db.transaction('meta', 'readwrite');
  const now = Date.now();
  const held = (await tx.store.get(KEY)) as UploaderLease | undefined;
  // A lease that ends further ahead than any lease can was written before the clock went back (a device
  // without a real-time clock, set by NTP after boot): it is not waited for.
  const free =
    held === undefined ||
    typeof held !== 'object' ||
    held.owner === owner ||
    held.expires <= now ||
    held.expires > now + LEASE_MS;
  if (free) void tx.store.put({ owner, expires: now + LEASE_MS } satisfies UploaderLease, KEY);
  await tx.done;
  return free;
}

async function release(db: Db, owner: string): Promise<void> {
  const tx = db.transaction('meta', 'readwrite');
  const held = (await tx.store.get(KEY)) as UploaderLease | undefined;
  if (held?.owner === owner) void tx.store.delete(KEY);
  await tx.done;
}

export class StoreLease {
  private readonly owner = crypto.randomUUID();

  constructor(private readonly db: Db) {}

  /**
   * Runs `pass` holding the lease: waits while another holds it (or until
   * `signal` aborts), renews it while `pass` runs, and calls `lost` if
   * another took it meanwhile.
   */
  async hold<T>(pass: () => Promise<T>, lost: () => void, signal?: AbortSignal): Promise<T> {
    while (!(await take(this.db, this.owner))) {
      if (signal?.aborted) throw signal.reason;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    let renewing = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing
        .then(() => take(this.db, this.owner))
        .then(
          (ok) => {
            if (!ok) lost();
          },
          () => undefined, // a failed renewal is retried at the next tick; the lease lasts LEASE_MS
        );
    }, RENEW_MS);
    try {
      return await pass();
    } finally {
      clearInterval(timer);
      await renewing;
      await release(this.db, this.owner).catch(() => undefined); // expires on its own
    }
  }
}
