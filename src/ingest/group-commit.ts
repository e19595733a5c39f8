/**
 * Group commit: batches that arrive while a transaction is in flight wait
 * and are written together by the next one, so the write rate follows the
 * transaction rate, not the message rate. Each caller learns only about its
 * own batch: what was refused, or the error that kept the transaction from
 * committing (then nothing of any batch in it was stored).
 */
import type { LogBatch, LogBatchResult } from '../protocol.js';
import { serializeError } from '../schema/errors.js';
import { writeRuns } from '../store/batch.js';
import type { Db } from '../store/schema.js';
import { toStorageError } from '../store/storage-errors.js';
import { mergeBatches } from './validate.js';

interface Pending {
  batch: LogBatch;
  resolve: (result: LogBatchResult) => void;
  reject: (error: unknown) => void;
}

export class GroupCommitWriter {
  private queue: Pending[] = [];
  private writing = false;

  constructor(private readonly db: Db) {}

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
        const { writes, invalid } = mergeBatches(group.map((p) => p.batch));
        const refused = [...invalid, ...(writes.length > 0 ? await writeRuns(this.db, writes) : [])];
        group.forEach((p, origin) =>
          p.resolve({ rejected: refused.filter((r) => r.origin === origin).map((r) => serializeError(r.error)) }),
        );
      } catch (error) {
        const mapped = toStorageError(error, 'a batch of logged params, tags and metrics');
        for (const p of group) p.reject(mapped);
      }
    }
    this.writing = false;
  }
}
