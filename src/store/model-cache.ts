/**
 * The cache of model files fetched from servers and URLs (models/resolve.ts):
 * each model directory, by where it came from, and each model URI's last
 * resolution, so that a model loaded once also loads offline.
 */
import { sha256Hex } from '../schema/digest.js';
import type { ArtifactStore } from './artifacts.js';
import type { Db } from './schema.js';

/** The owner key of a cached directory's files: a short hash of its source. */
function ownerOf(source: string): string {
  return `c-${sha256Hex(new TextEncoder().encode(source)).slice(0, 32)}`;
}

/** A cached file, checked against its sha256; a file changed or lost on disk is forgotten, so it is fetched again. */
export async function readCachedFile(
  db: Db,
  artifacts: ArtifactStore,
  source: string,
  path: string,
): Promise<Uint8Array | undefined> {
  const record = await db.get('modelCache', source);
  if (record?.files[path] === undefined) return undefined;
  const bytes = await artifacts.readVerified(record.owner, path);
  if (bytes === undefined) {
    const { [path]: _, ...files } = record.files;
    await db.put('modelCache', { ...record, files });
    return undefined;
  }
  void db.put('modelCache', { ...record, lastUsed: Date.now() }).catch(() => undefined);
  return bytes;
}

/** Keeps a fetched file. A full disk only means the model will not load offline: the error is swallowed. */
export async function cacheFile(
  db: Db,
  artifacts: ArtifactStore,
  source: string,
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const owner = ownerOf(source);
  try {
    await artifacts.write(owner, path, new Blob([bytes as Uint8Array<ArrayBuffer>]), Date.now());
    const tx = db.transaction(['modelCache'], 'readwrite');
    const record = (await tx.objectStore('modelCache').get(source)) ?? { source, owner, files: {}, lastUsed: 0 };
    void tx
      .objectStore('modelCache')
      .put({ ...record, files: { ...record.files, [path]: bytes.byteLength }, lastUsed: Date.now() });
    await tx.done;
  } catch {
    // see above
  }
}

/** Where a model URI pointed when it was last resolved on a server. */
export async function lastResolution(db: Db, uri: string): Promise<string | undefined> {
  return (await db.get('modelResolutions', uri))?.source;
}

export async function recordResolution(db: Db, uri: string, source: string): Promise<void> {
  await db.put('modelResolutions', { uri, source, at: Date.now() });
}

/** Forgets every cached model file and URI resolution; returns the bytes freed. */
export async function clearModelCache(db: Db, artifacts: ArtifactStore): Promise<number> {
  const entries = await db.getAll('modelCache');
  let bytes = 0;
  for (const entry of entries) {
    for (const size of Object.values(entry.files)) bytes += size;
    await artifacts.removeAll(entry.owner);
  }
  const tx = db.transaction(['modelCache', 'modelResolutions'], 'readwrite');
  void tx.objectStore('modelCache').clear();
  void tx.objectStore('modelResolutions').clear();
  await tx.done;
  return bytes;
}
