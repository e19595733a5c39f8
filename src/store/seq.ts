/** The store's change counter (meta 'seq'): every write that sync reads takes the next numbers, in its transaction. */
import type { WriteTx } from './schema.js';

/**
 * The next sequence number after the stored counter. A damaged counter must
 * not hand out NaN (items sync could never order): it starts above any
 * counter ever taken instead (microseconds since the epoch).
 */
export function firstSeq(stored: unknown): number {
  const n = Number(stored ?? 0);
  return (Number.isSafeInteger(n) && n >= 0 ? n : Date.now() * 1000) + 1;
}

/** Reserves `count` consecutive sequence numbers in the caller's transaction; returns the first. */
export async function takeSeq(tx: WriteTx, count: number): Promise<number> {
  const meta = tx.objectStore('meta');
  const first = firstSeq(await meta.get('seq'));
  void meta.put(first + count - 1, 'seq');
  return first;
}
