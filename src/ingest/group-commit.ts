/**
 * Group commit: batches that arrive while a transaction is in flight wait
 * and are written together by the next one, so the write rate follows the
 * transaction rate, not the message rate. Each caller learns only about its
 * own batch: what was refused, that it was on disk already (a journaled
 * batch written before), or the error that kept the transaction from
 * committing (then nothing of any batch in it was stored).
 */
import type { LogBatch, LogBatchResult } from '../protocol.js';
import { serializeError } from '../schema/errors.js';
import { writeRuns, type GroupKeys, type WritePlan } from '../store/batch.js';
import type { Db } from '../store/schema.js';
import { OpenBlocks } from '../store/metrics.js';
import { toStorageError } from '../store/storage-errors.js';
import { mergeBatches, type Merged } from './validate.js';

interface Pending {
  batch: LogBatch;
  resolve: (result: LogBatchResult) => void;
  reject: (error: unknown) => void;
}

export class GroupCommitWriter {
  private queue: Pending[] = [];
  private writing = false;

  /** The open end of each series this writer appended to last: see store/metrics.ts. */
  private readonly open: OpenBlocks;

  /** `sealBlocks`: see OpenBlocks (default true). */
  constructor(
    private readonly db: Db,
    options: { sealBlocks?: boolean } = {},
  ) {
    this.open = new OpenBlocks(options.sealBlocks ?? true);
  }

  write(batch: LogBatch): Promise<LogBatchResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        const duplicate = new Set<number>();
        let invalid: Merged['invalid'] = [];
        const written = await writeRuns(
          this.db,
          groupKeys(group),
          (committed) => {
            const plan = planGroup(
              group.map((p) => p.batch),
              committed,
              duplicate,
            );
            invalid = plan.invalid;
            return plan;
          },
          this.open,
        );
        const refused = [...invalid, ...written];
        group.forEach((p, origin) => {
          const rejected = refused.filter((r) => r.origin === origin).map((r) => serializeError(r.error));
          p.resolve(duplicate.has(origin) ? { rejected, duplicate: true } : { rejected });
        });
      } catch (error) {
        const mapped = toStorageError(error, 'a batch of logged params, tags and metrics');
        for (const p of group) p.reject(mapped);
      }
    }
    this.writing = false;
  }
}

const EMPTY: LogBatch = { runs: [] };

/** The sessions of a group's batches and every run they name (a superset of what it writes: invalid ids just read nothing). */
function groupKeys(group: readonly Pending[]): GroupKeys {
  const sessions = new Set<string>();
  const runIds = new Set<string>();
  let modelLinks = false;
  for (const { batch } of group) {
    if (batch.sessionId !== undefined) sessions.add(batch.sessionId);
    for (const run of batch.runs) {
      if (typeof run?.runId === 'string') runIds.add(run.runId);
      if (run?.modelLinks !== undefined) modelLinks = true;
    }
  }
  return { sessions: [...sessions], runIds: [...runIds], modelLinks };
}

/**
 * Merges a group, leaving out each batch whose (sessionId, batchNo) is on
 * disk (`committed`) or earlier in the group; their indexes go in `duplicate`.
 */
function planGroup(
  batches: readonly LogBatch[],
  committed: ReadonlyMap<string, number>,
  duplicate: Set<number>,
): WritePlan & Merged {
  const highest = new Map(committed);
  const commits = new Map<string, number>();
  const fresh = batches.map((batch, i) => {
    const { sessionId, batchNo } = batch;
    if (sessionId === undefined || batchNo === undefined) return batch;
    if (batchNo <= (highest.get(sessionId) ?? 0)) {
      duplicate.add(i);
      return EMPTY;
    }
    highest.set(sessionId, batchNo);
    commits.set(sessionId, batchNo);
    return batch;
  });
  return { ...mergeBatches(fresh), commits };
}
