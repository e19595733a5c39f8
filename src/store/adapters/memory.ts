/**
 * The memory adapter: tables as sorted arrays, for edge functions (no disk:
 * the direct mode uploads before the function returns) and quick tests.
 * A transaction keeps an undo list, so an aborted one leaves nothing.
 */
import { sha256Hex } from '../../schema/digest.js';
import type { BlobStore } from '../port.js';
import { compareBytes } from '../tables/key-codec.js';
import type { ByteRange, Tables } from '../tables/tables.js';

type Entry = [key: Uint8Array, value: Uint8Array];

/** The index of the first entry whose key is ≥ `key`. */
function lowerIndex(entries: Entry[], key: Uint8Array): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareBytes(entries[mid]![0], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class MemoryTables implements Tables {
  private readonly tables = new Map<string, Entry[]>();
  private undo: Array<() => void> | undefined;

  private table(name: string): Entry[] {
    const t = this.tables.get(name);
    if (t === undefined) throw new Error(`no such table: ${name}`);
    return t;
  }

  begin(): void {
    this.undo = [];
  }

  commit(): void {
    this.undo = undefined;
  }

  rollback(): void {
    const undo = this.undo ?? [];
    this.undo = undefined;
    for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
  }

  createTable(name: string): void {
    if (this.tables.has(name)) return;
    this.tables.set(name, []);
    this.undo?.push(() => this.tables.delete(name));
  }

  get(table: string, key: Uint8Array): Uint8Array | undefined {
    const t = this.table(table);
    const i = lowerIndex(t, key);
    return i < t.length && compareBytes(t[i]![0], key) === 0 ? t[i]![1] : undefined;
  }

  put(table: string, key: Uint8Array, value: Uint8Array): void {
    const t = this.table(table);
    const i = lowerIndex(t, key);
    if (i < t.length && compareBytes(t[i]![0], key) === 0) {
      const old = t[i]![1];
      t[i] = [key, value];
      this.undo?.push(() => this.put(table, key, old));
    } else {
      t.splice(i, 0, [key, value]);
      this.undo?.push(() => this.delete(table, key));
    }
  }

  delete(table: string, key: Uint8Array): void {
    this.deleteRange(table, { from: key, to: new Uint8Array([...key, 0]) });
  }

  private bounds(t: Entry[], range: ByteRange): [number, number] {
    const from = range.from === undefined ? 0 : lowerIndex(t, range.from);
    const to = range.to === undefined ? t.length : lowerIndex(t, range.to);
    return [from, Math.max(from, to)];
  }

  deleteRange(table: string, range: ByteRange): void {
    const t = this.table(table);
    const [from, to] = this.bounds(t, range);
    const removed = t.splice(from, to - from);
    if (removed.length > 0) this.undo?.push(() => t.splice(from, 0, ...removed));
  }

  scan(table: string, range: ByteRange, reverse: boolean, limit: number): Entry[] {
    const t = this.table(table);
    const [from, to] = this.bounds(t, range);
    if (!reverse) return t.slice(from, Math.min(to, from + limit));
    return t.slice(Math.max(from, to - limit), to).reverse();
  }

  count(table: string, range: ByteRange): number {
    const [from, to] = this.bounds(this.table(table), range);
    return to - from;
  }

  close(): void {
    // The tables stay with their name for the life of the process, as a closed IndexedDB keeps its data.
  }
}

/** Named in-memory databases of this process: opening a name again finds what it holds, as IndexedDB would. */
const open = new Map<string, MemoryTables>();

export function openMemoryTables(name: string): Tables {
  let tables = open.get(name);
  if (tables === undefined) {
    tables = new MemoryTables();
    open.set(name, tables);
  }
  return tables;
}

const blobStores = new Map<string, Map<string, Blob>>();

/** Artifact bytes of the named in-memory store, as Blobs by file name. */
export function openMemoryBlobs(name: string): BlobStore {
  let files = blobStores.get(name);
  if (files === undefined) {
    files = new Map();
    blobStores.set(name, files);
  }
  const held = files;
  return {
    kind: 'fs',
    async write(file, data) {
      const bytes = new Uint8Array(await data.arrayBuffer());
      held.set(file, new Blob([bytes]));
      return sha256Hex(bytes);
    },
    async read(file) {
      const blob = held.get(file);
      if (blob === undefined) throw new Error(`no file ${file}`);
      return blob;
    },
    async remove(file) {
      held.delete(file);
    },
  };
}

/** Forgets the named in-memory store, tables and files: a direct-mode tracker frees its memory when closed. */
export function dropMemoryStore(name: string): void {
  open.delete(name);
  blobStores.delete(name);
}
