/**
 * Artifact bytes live in the adapter's blob store (OPFS in a browser, files
 * next to the database elsewhere), with one metadata record per file in the
 * store; where there is none (IndexedDB without OPFS) the bytes go into the
 * record as a Blob.
 * A file is written before its record commits, so a record never points at
 * missing bytes; a crash in between leaves only an orphan file. Bytes are
 * streamed from the Blob and hashed as they pass (crypto.subtle cannot hash
 * incrementally), so a large file is never held in memory whole.
 * A path is never both a file and a directory of one owner ('a' and 'a/b'):
 * no file system, so no MLflow artifact store, can hold both. The check runs
 * in the transaction that writes the record, so two tabs cannot race past it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { sha256Hex, toHex } from '../schema/digest.js';
import type { FileInfo } from '../schema/entities.js';
import { doesNotExist, invalidParameter, type MlflowEdgeError } from '../schema/errors.js';
import { runRange, type ArtifactRecord, type Db } from './schema.js';
import { takeSeq } from './runs.js';
import { PENDING_STORES, recordRunWrites, type RunChange } from './pending.js';
import { toStorageError } from './storage-errors.js';
import type { BlobStore } from './port.js';
import { bound, type KeyRange } from './port.js';

export type CheckedFile =
  | { status: 'ok'; bytes: Uint8Array }
  | { status: 'missing' }
  | { status: 'changed'; expected: string; actual?: string };

export class ArtifactStore {
  private readonly blobs: Promise<BlobStore | undefined>;

  /**
   * @param blobs where the adapter keeps file bytes, or the promise of it
   *   (OPFS); without one (IndexedDB without OPFS) the bytes go into the
   *   record as a Blob.
   */
  constructor(
    private readonly db: Db,
    blobs: BlobStore | undefined | Promise<BlobStore | undefined>,
  ) {
    this.blobs = Promise.resolve(blobs);
  }

  /**
   * Stores `data` at `path` of the run, replacing a file of that path. The
   * caller checks the run and the path; refuses a path that would make a
   * file a directory or a directory a file, storing nothing.
   */
  async write(runId: string, path: string, data: Blob, now: number): Promise<FileInfo> {
    const root = await this.blobs;
    let location: ArtifactRecord['location'];
    let fileName: string | undefined;
    let digest: string;
    if (root !== undefined) {
      fileName = `${runId}-${crypto.randomUUID()}`;
      try {
        digest = await root.write(fileName, data);
      } catch (error) {
        throw toStorageError(error, `artifact '${path}'`);
      }
      location = { kind: root.kind, file: fileName };
    } else {
      digest = await hashBlob(data);
      location = { kind: 'idb', blob: data };
    }
    let replaced: ArtifactRecord | undefined;
    try {
      const tx = this.db.transaction([...PENDING_STORES, 'artifacts', 'runs'], 'readwrite');
      // Before any write of this transaction: a refusal leaves it with reads only.
      const clash = await collision(tx.objectStore('artifacts'), runId, path);
      if (clash !== undefined) throw collisionError(runId, path, clash);
      replaced = await tx.objectStore('artifacts').get([runId, path]);
      const seq = await takeSeq(tx, 1);
      void tx
        .objectStore('artifacts')
        .put({ runId, path, size: data.size, sha256: digest, createdAt: now, location, seq });
      // A run's file moves the run's seq (sync finds changed runs by it); other owners are logged models and the model cache.
      const run = await tx.objectStore('runs').get(runId);
      if (run !== undefined) {
        void tx.objectStore('runs').put({ ...run, seq });
        const change: RunChange = replaced === undefined ? { runId } : { runId, replacedFile: replaced };
        await recordRunWrites(
          tx,
          [change],
          replaced === undefined ? { artifacts: 1, bytes: data.size } : { bytes: data.size - replaced.size },
        );
      }
      await tx.done;
    } catch (error) {
      if (root !== undefined && fileName !== undefined) await root.remove(fileName).catch(() => undefined);
      throw toStorageError(error, `artifact '${path}'`);
    }
    if (root !== undefined && replaced !== undefined && replaced.location.kind === root.kind) {
      await root.remove(replaced.location.file).catch(() => undefined);
    }
    return { path, isDir: false, fileSize: data.size };
  }

  /** The files and directories directly under `dir` ('' = the run's root), like MLflow's list_artifacts. */
  async list(runId: string, dir: string): Promise<FileInfo[]> {
    const records = await this.db.getAll('artifacts', runRange(runId));
    const prefix = dir === '' ? '' : `${dir}/`;
    const files: FileInfo[] = [];
    const dirs = new Set<string>();
    for (const r of records) {
      if (!r.path.startsWith(prefix)) continue;
      const rest = r.path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash === -1) files.push({ path: r.path, isDir: false, fileSize: r.size });
      else dirs.add(prefix + rest.slice(0, slash));
    }
    const out = [...[...dirs].map((path): FileInfo => ({ path, isDir: true })), ...files];
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Whether the owner has a file at `path`. */
  async has(owner: string, path: string): Promise<boolean> {
    return (await this.db.getKey('artifacts', [owner, path])) !== undefined;
  }

  /** A file's bytes, or undefined when it is missing or no longer matches the sha256 recorded when it was written. */
  async readVerified(owner: string, path: string): Promise<Uint8Array | undefined> {
    const file = await this.readChecked(owner, path);
    return file.status === 'ok' ? file.bytes : undefined;
  }

  /**
   * A file's bytes checked against the sha256 recorded when it was written:
   * 'missing' when there is no such file, 'changed' when its bytes differ
   * from that hash or cannot be read any more (`actual` is then absent).
   */
  async readChecked(owner: string, path: string): Promise<CheckedFile> {
    const record = await this.db.get('artifacts', [owner, path]);
    if (record === undefined) return { status: 'missing' };
    const blob = await this.read(owner, path).catch(() => undefined);
    const bytes =
      blob === undefined
        ? undefined
        : await blob.arrayBuffer().then(
            (b) => new Uint8Array(b),
            () => undefined,
          );
    if (bytes === undefined) return { status: 'changed', expected: record.sha256 };
    const actual = sha256Hex(bytes);
    return actual === record.sha256 ? { status: 'ok', bytes } : { status: 'changed', expected: record.sha256, actual };
  }

  /** Removes every file of an owner (a run, a logged model, a cache entry). */
  async removeAll(owner: string): Promise<void> {
    const tx = this.db.transaction(['artifacts'], 'readwrite');
    const records = await tx.objectStore('artifacts').getAll(runRange(owner));
    void tx.objectStore('artifacts').delete(runRange(owner));
    await tx.done;
    const root = await this.blobs;
    for (const r of records)
      if (root !== undefined && r.location.kind === root.kind)
        await root.remove(r.location.file).catch(() => undefined);
  }

  async read(runId: string, path: string): Promise<Blob> {
    const record = await this.db.get('artifacts', [runId, path]);
    if (record === undefined) {
      throw doesNotExist(
        `No artifact '${path}' in run ${runId}. List what the run has with tracker.listArtifacts(runId).`,
      );
    }
    if (record.location.kind === 'idb') return record.location.blob;
    const root = await this.blobs;
    if (root === undefined || root.kind !== record.location.kind)
      throw doesNotExist(
        `Artifact '${path}' of run ${runId} is in ${record.location.kind === 'opfs' ? 'OPFS' : 'files'}, which this context cannot open.`,
      );
    return root.read(record.location.file);
  }
}

interface KeyLookup {
  getKey(query: [string, string] | KeyRange): Promise<unknown>;
}

/**
 * The owner's file that clashes with a file at `path`: one at a parent
 * directory of `path` ('a' for 'a/b'), or one under `path` ('a/b' for 'a').
 * The file at `path` itself is no clash: it is replaced.
 */
async function collision(store: KeyLookup, owner: string, path: string): Promise<string | undefined> {
  for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
    const parent = path.slice(0, slash);
    if ((await store.getKey([owner, parent])) !== undefined) return parent;
  }
  // Every path under `path` sorts between `path/` and `path0` ('0' follows '/').
  const below = await store.getKey(bound([owner, `${path}/`], [owner, `${path}0`], false, true));
  return (below as [string, string] | undefined)?.[1];
}

function collisionError(runId: string, path: string, existing: string): MlflowEdgeError {
  const why = path.startsWith(`${existing}/`)
    ? `'${existing}' is already a file of run ${runId}, so it cannot also be a directory holding '${path}'`
    : `'${path}' is already a directory of run ${runId} (it holds '${existing}'), so it cannot also be a file`;
  return invalidParameter(
    `Artifact path '${path}' collides with the artifact '${existing}': ${why}. No file system, so no MLflow artifact store, holds both (the server would refuse every upload). Log it under another path.`,
    { runId, path, existing },
  );
}

/** The sha256 of the Blob, read chunk by chunk (crypto.subtle cannot hash incrementally). */
async function hashBlob(data: Blob): Promise<string> {
  const hash = sha256.create();
  const reader = data.stream().getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) hash.update(r.value);
  return toHex(hash.digest());
}
