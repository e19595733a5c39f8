/**
 * Artifact bytes as files in a directory (Node, Deno, Bun): each file is
 * written, fsynced and its directory entry fsynced before its record
 * commits, so a record that survived a power cut points at whole bytes.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../../schema/digest.js';
import type { BlobStore } from '../port.js';
import { diskFull } from '../storage-errors.js';

interface FileHandle {
  write(data: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

interface Fs {
  mkdir(path: string): Promise<unknown>;
  open(path: string, flags: string): Promise<FileHandle>;
  readFile(path: string): Promise<Uint8Array>;
  rm(path: string, options: { force: true }): Promise<void>;
}

/** A full disk is named as a full quota (see diskFull), so one error path handles both. */
export function noSpace(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code === 'ENOSPC' ? diskFull(error) : error;
}

/**
 * `mkdir -p`, without Node's `mkdir(dir, { recursive: true })`: that one
 * never returns where mkdir says ENOENT for a parent that exists (under /proc).
 */
async function makeDirectory(fs: Fs, dir: string, depth = 0): Promise<void> {
  try {
    await fs.mkdir(dir);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'EEXIST') return;
    const parent = dir.replace(/[\\/]+[^\\/]*[\\/]*$/, '');
    if (code !== 'ENOENT' || parent === '' || parent === dir || depth > 100) throw error;
    await makeDirectory(fs, parent, depth + 1);
    await fs.mkdir(dir).catch((again: unknown) => {
      if ((again as { code?: unknown } | null)?.code !== 'EEXIST') throw again;
    });
  }
}

export async function openFileBlobs(dir: string): Promise<BlobStore> {
  const module = 'node:fs/promises'; // in a variable: the runtime's own, never bundled or resolved by the compiler
  const fs = (await import(/* @vite-ignore */ module)) as Fs;
  await makeDirectory(fs, dir);
  const at = (name: string) => `${dir}/${name}`;
  const syncDir = async () => {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
  return {
    kind: 'fs',
    async write(name, data) {
      const file = at(name);
      const hash = sha256.create();
      let handle: FileHandle | undefined;
      try {
        handle = await fs.open(file, 'w');
        const reader = data.stream().getReader();
        let position = 0;
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          for (let done = 0; done < r.value.byteLength; ) {
            const { bytesWritten } = await handle.write(r.value, done, r.value.byteLength - done, position + done);
            done += bytesWritten;
          }
          position += r.value.byteLength;
          hash.update(r.value);
        }
        await handle.sync();
        await handle.close();
        handle = undefined;
        await syncDir();
        return toHex(hash.digest());
      } catch (error) {
        await handle?.close().catch(() => undefined);
        await fs.rm(file, { force: true }).catch(() => undefined);
        throw noSpace(error);
      }
    },
    async read(name) {
      // Read whole into memory: a file-backed Blob (fs.openAsBlob) cannot be posted to another thread.
      return new Blob([(await fs.readFile(at(name))) as Uint8Array<ArrayBuffer>]);
    },
    async remove(name) {
      await fs.rm(at(name), { force: true });
    },
  };
}
