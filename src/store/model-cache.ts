/** The cache of model files fetched from servers and URLs (see models/resolve.ts), as a whole. */
import type { ArtifactStore } from './artifacts.js';
import type { Db } from './schema.js';

/** Forgets every cached model file and URI resolution; returns the bytes freed. */
export async function clearModelCache(db: Db, artifacts: ArtifactStore): Promise<number> {
  const entries = await db.getAll('modelCache');
  let bytes = 0;
  for (const entry of entries) {
    for (const file of Object.values(entry.files)) bytes += file.size;
    await artifacts.removeAll(entry.owner);
  }
  const tx = db.transaction(['modelCache', 'modelResolutions'], 'readwrite');
  void tx.objectStore('modelCache').clear();
  void tx.objectStore('modelResolutions').clear();
  await tx.done;
  return bytes;
}
