/**
 * What is left of a pass, kept in memory while it uploads: counted once from
 * the pass's own reading of the store, then lowered as the server
 * acknowledges. syncStatus() reads it instead of reading the store again, so
 * a status listener costs nothing during an upload, at any number of runs.
 * Local writes made during the pass are counted by the next look.
 */
import type { SyncCounts } from '../protocol.js';
import type { RunWork } from '../store/sync-state.js';

export const NOTHING: Readonly<SyncCounts> = {
  runs: 0,
  experiments: 0,
  params: 0,
  tags: 0,
  metrics: 0,
  artifacts: 0,
  models: 0,
  registry: 0,
  bytes: 0,
};

/** What a list of runs with work, and the models and registry entries waiting, add up to. */
export function countPending(
  work: readonly RunWork[],
  models: { models: number; registry: number; bytes: number },
): SyncCounts {
  const pending: SyncCounts = { ...NOTHING, models: models.models, registry: models.registry, bytes: models.bytes };
  for (const w of work) {
    pending.runs++;
    for (const t of w.text) pending[t.kind === 'param' ? 'params' : 'tags']++;
    for (const s of w.series) pending.metrics += s.count - s.syncedCount;
    pending.artifacts += w.artifacts.length;
    for (const a of w.artifacts) pending.bytes += a.size;
  }
  return pending;
}

export class Progress {
  private left: SyncCounts;

  constructor(start: SyncCounts) {
    this.left = { ...start };
  }

  /** The server acknowledged these (or refused them for good): they are no longer pending. */
  done(part: Partial<SyncCounts>): void {
    for (const [key, n] of Object.entries(part) as [keyof SyncCounts, number][])
      this.left[key] = Math.max(0, this.left[key] - n);
  }

  snapshot(): SyncCounts {
    return { ...this.left };
  }
}
