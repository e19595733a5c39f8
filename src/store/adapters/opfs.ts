/**
 * Artifact bytes in OPFS (the browser), written through the worker's sync
 * access handle and flushed before the record commits. Undefined where OPFS
 * is missing (some private modes, fake-indexeddb in Node): the IndexedDB
 * adapter then keeps the bytes in the record as a Blob.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../../schema/digest.js';
import type { BlobStore } from '../port.js';

const OPFS_DIR = 'mlflow-edge-artifacts';

interface SyncAccessHandle {
  write(buffer: BufferSource, options?: { at?: number }): number;
  flush(): void;
  close(): void;
}
type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncAccessHandle> };

export async function openOpfsBlobs(dbName: string): Promise<BlobStore | undefined> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (typeof storage?.getDirectory !== 'function') return undefined;
  if (typeof FileSystemFileHandle === 'undefined' || !('createSyncAccessHandle' in FileSystemFileHandle.prototype)) {
    return undefined;
  }
  let root: FileSystemDirectoryHandle;
  try {
    const top = await storage.getDirectory();
    const base = await top.getDirectoryHandle(OPFS_DIR, { create: true });
    root = await base.getDirectoryHandle(encodeURIComponent(dbName), { create: true });
  } catch {
    return undefined;
  }
  return {
    kind: 'opfs',
    write: (name, data) => writeOpfs(root, name, data),
    async read(name) {
      return (await root.getFileHandle(name)).getFile();
    },
    async remove(name) {
      await root.removeEntry(name).catch(() => undefined);
    },
  };
}

/** Streams the Blob into a new OPFS file and returns its sha256; on any failure (a full disk included) removes the file and throws. */
async function writeOpfs(root: FileSystemDirectoryHandle, name: string, data: Blob): Promise<string> {
  let access: SyncAccessHandle | undefined;
  try {
    const handle = (await root.getFileHandle(name, { create: true })) as SyncFileHandle;
    access = await handle.createSyncAccessHandle();
    const target = access;
    let at = 0;
    const hash = sha256.create();
    const reader = data.stream().getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      let done = 0;
      while (done < r.value.byteLength)
        done += target.write(r.value.subarray(done) as Uint8Array<ArrayBuffer>, { at: at + done });
      at += r.value.byteLength;
      hash.update(r.value);
    }
    access.flush();
    return toHex(hash.digest());
  } catch (error) {
    access?.close();
    access = undefined;
    await root.removeEntry(name).catch(() => undefined);
    throw error;
  } finally {
    access?.close();
  }
}
