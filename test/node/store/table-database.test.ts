/**
 * IndexedDB's semantics, as the store relies on them, on the adapter of this
 * run: tables/database.ts over memory or SQLite (EDGE_STORE), and
 * fake-indexeddb itself in the indexeddb run, so every expectation here is
 * checked against IndexedDB's own behaviour too. Small ad-hoc schemas,
 * opened with openTableDatabase directly.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openIndexedDb } from '../../../src/store/adapters/indexeddb.js';
import { openMemoryTables } from '../../../src/store/adapters/memory.js';
import { openSqliteTables } from '../../../src/store/adapters/sqlite.js';
import type { Migrations } from '../../../src/store/migrate.js';
import { bound, lowerBound, type Database, type KeyRange } from '../../../src/store/port.js';
import { openTableDatabase } from '../../../src/store/tables/database.js';
import { STORE_ADAPTER } from '../store-location.js';

interface Item {
  id: number;
  tag: string;
  n?: number;
}

type S = {
  items: { key: number; value: Item; indexes: { byTag: string; byN: number } };
  auto: { key: number; value: { id?: number; v: string } };
  loose: { key: string | number; value: { v: number } };
};

type Db = Database<S>;

const root = STORE_ADAPTER === 'sqlite' ? mkdtempSync(join(tmpdir(), 'edge-tables-')) : '';
let counter = 0;

const V1: Migrations<S> = [
  (db) => {
    const items = db.createObjectStore('items', { keyPath: 'id' });
    items.createIndex('byTag', 'tag');
    items.createIndex('byN', 'n', { unique: true });
    db.createObjectStore('auto', { keyPath: 'id', autoIncrement: true });
    db.createObjectStore('loose');
  },
];

/** Opens the database `name` of this run's adapter at `version`. */
async function open(name: string, version = 1, migrations: Migrations<S> = V1): Promise<Db> {
  if (STORE_ADAPTER === 'indexeddb') return openIndexedDb(name, version, migrations);
  const tables =
    STORE_ADAPTER === 'memory' ? openMemoryTables(name) : (await openSqliteTables(join(root, `${name}.sqlite`))).tables;
  return openTableDatabase(tables, name, version, migrations);
}

const fresh = () => `tables-${process.pid}-${++counter}`;
/** A turn of the event loop with no request: every transaction without a pending request has committed. */
const idle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function filled(count: number): Promise<{ db: Db; name: string }> {
  const name = fresh();
  const db = await open(name);
  const tx = db.transaction('items', 'readwrite');
  for (let id = 0; id < count; id++) void tx.store.put({ id, tag: `t${id % 3}`, n: id * 10 });
  await tx.done;
  return { db, name };
}

async function caught(promise: Promise<unknown>): Promise<{ name: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { name: string };
  }
  throw new Error('expected a rejection');
}

describe(`transactions (${STORE_ADAPTER})`, () => {
  it('commit on their own once a turn passes with no new request', async () => {
    const db = await open(fresh());
    const tx = db.transaction('items', 'readwrite');
    let committed = false;
    void tx.done.then(() => {
      committed = true;
    });
    // Requests made from a request's callback keep the transaction alive.
    await tx.store.put({ id: 1, tag: 'a' });
    await tx.store.put({ id: 2, tag: 'a' });
    expect(committed).toBe(false);
    await idle();
    expect(committed).toBe(true);
    expect(await db.getAllKeys('items')).toEqual([1, 2]);
    db.close();
  });

  it('a request made after the transaction finished throws TransactionInactiveError', async () => {
    const db = await open(fresh());
    const tx = db.transaction('items', 'readwrite');
    const store = tx.store;
    await store.put({ id: 1, tag: 'a' });
    await tx.done;
    expect(() => store.put({ id: 2, tag: 'b' })).toThrow(expect.objectContaining({ name: 'TransactionInactiveError' }));
    expect(() => store.get(1)).toThrow(expect.objectContaining({ name: 'TransactionInactiveError' }));
    expect(await db.getAllKeys('items')).toEqual([1]);
    db.close();
  });

  it('a failed request (add of an existing key) aborts the transaction: nothing of it is kept', async () => {
    const db = await open(fresh());
    await db.put('items', { id: 1, tag: 'old' });
    const tx = db.transaction(['items', 'loose'], 'readwrite');
    await tx.objectStore('items').put({ id: 2, tag: 'new' });
    await tx.objectStore('loose').put({ v: 1 }, 'k');
    await tx.objectStore('items').put({ id: 1, tag: 'changed' });
    expect((await caught(tx.objectStore('items').add({ id: 1, tag: 'again' }))).name).toBe('ConstraintError');
    // idb's done rejects with an AbortError (the request's error is on the request); the table layer's with the request's error.
    expect(['ConstraintError', 'AbortError']).toContain((await caught(tx.done)).name);
    expect(await db.getAll('items')).toEqual([{ id: 1, tag: 'old' }]);
    expect(await db.count('loose')).toBe(0);
    expect(await db.countFromIndex('items', 'byTag', 'new')).toBe(0);
    // The database goes on working.
    await db.add('items', { id: 3, tag: 'c' });
    expect(await db.getAllKeys('items')).toEqual([1, 3]);
    db.close();
  });

  it('requests made in the turn a request failed are placed and rejected, and a failure nobody awaits is no unhandled rejection', async () => {
    const db = await open(fresh());
    await db.put('items', { id: 1, tag: 'old' });
    const tx = db.transaction('items', 'readwrite');
    const store = tx.store;
    tx.done.catch(() => undefined); // idb's done rejects at the error event, before the awaits below reach it
    expect(await store.get(1)).toEqual({ id: 1, tag: 'old' }); // the transaction is running: requests run as they are made
    const first = store.put({ id: 2, tag: 'new' });
    const failing = store.add({ id: 1, tag: 'again' }); // fails; nobody awaits it
    // idb's request promises do reject unheard (IndexedDB itself only fires events); the table layer's must not.
    if (STORE_ADAPTER === 'indexeddb') for (const p of [first, failing]) p.catch(() => undefined);
    const later = store.put({ id: 3, tag: 'later' }); // placed as IndexedDB places it: no throw
    await expect(later).rejects.toBeDefined();
    await expect(tx.done).rejects.toBeDefined();
    await idle();
    expect(() => store.put({ id: 4, tag: 'too late' })).toThrow(
      expect.objectContaining({ name: 'TransactionInactiveError' }),
    );
    expect(await db.getAll('items')).toEqual([{ id: 1, tag: 'old' }]);
    db.close();
  });

  it('abort() throws away the transaction; done rejects with an AbortError', async () => {
    const db = await open(fresh());
    await db.put('items', { id: 1, tag: 'a' });
    const tx = db.transaction('items', 'readwrite');
    await tx.store.put({ id: 2, tag: 'b' });
    await tx.store.delete(1);
    tx.abort();
    expect((await caught(tx.done)).name).toBe('AbortError');
    expect(await db.getAll('items')).toEqual([{ id: 1, tag: 'a' }]);
    expect(await db.getAllKeysFromIndex('items', 'byTag')).toEqual([1]);
    db.close();
  });

  it('a second transaction waits for the first, and sees what it wrote', async () => {
    const db = await open(fresh());
    const order: string[] = [];
    const first = db.transaction('items', 'readwrite');
    const second = db.transaction('items', 'readwrite');
    const read = second.store.get(1).then((v) => {
      order.push('second read');
      return v;
    });
    await first.store.put({ id: 1, tag: 'from first' });
    order.push('first wrote');
    await first.store.put({ id: 2, tag: 'x' });
    await first.done;
    order.push('first committed');
    expect(await read).toEqual({ id: 1, tag: 'from first' });
    await second.done;
    expect(order).toEqual(['first wrote', 'first committed', 'second read']);
    db.close();
  });

  it('a read-only transaction refuses writes', async () => {
    const db = await open(fresh());
    const tx = db.transaction('items', 'readonly');
    expect(() => tx.store.put({ id: 1, tag: 'a' })).toThrow(expect.objectContaining({ name: 'ReadOnlyError' }));
    await tx.done.catch(() => undefined);
    db.close();
  });
});

describe(`indexes (${STORE_ADAPTER})`, () => {
  it('a unique index refuses a second record with its key, and the transaction keeps nothing', async () => {
    const db = await open(fresh());
    await db.put('items', { id: 1, tag: 'a', n: 5 });
    const tx = db.transaction('items', 'readwrite');
    await tx.store.put({ id: 2, tag: 'b', n: 6 });
    expect((await caught(tx.store.put({ id: 3, tag: 'c', n: 5 }))).name).toBe('ConstraintError');
    await tx.done.catch(() => undefined);
    expect(await db.getAllKeys('items')).toEqual([1]);
    expect(await db.getAllKeysFromIndex('items', 'byN')).toEqual([1]);
    // Rewriting a record with its own unique key is no violation.
    await db.put('items', { id: 1, tag: 'z', n: 5 });
    expect(await db.getAllFromIndex('items', 'byN', 5)).toEqual([{ id: 1, tag: 'z', n: 5 }]);
    db.close();
  });

  it('index entries follow put, delete, clear, cursor.update and cursor.delete', async () => {
    const { db } = await filled(9);
    const byTag = async (tag: string) => db.getAllKeysFromIndex('items', 'byTag', tag);
    expect(await byTag('t0')).toEqual([0, 3, 6]);
    await db.put('items', { id: 3, tag: 't1', n: 30 });
    expect(await byTag('t0')).toEqual([0, 6]);
    expect(await byTag('t1')).toEqual([1, 3, 4, 7]);
    await db.put('items', { id: 4, tag: 't1' }); // n gone: out of the byN index
    expect(await db.getAllKeysFromIndex('items', 'byN', bound(30, 50))).toEqual([3, 5]);
    await db.delete('items', 1);
    await db.delete('items', bound(6, 7));
    expect(await byTag('t1')).toEqual([3, 4]);
    expect(await db.countFromIndex('items', 'byN')).toBe(5);

    const tx = db.transaction('items', 'readwrite');
    for (let c = await tx.store.openCursor(); c !== null; c = await c.continue()) {
      if (c.value.id === 0) await c.update({ ...c.value, tag: 'moved', n: 1000 });
      if (c.value.id === 2) await c.delete();
    }
    await tx.done;
    expect(await byTag('moved')).toEqual([0]);
    expect(await byTag('t2')).toEqual([5, 8]);
    expect(await db.getAllKeysFromIndex('items', 'byN')).toEqual([3, 5, 8, 0]);

    // Through an index cursor.
    const tx2 = db.transaction('items', 'readwrite');
    for (let c = await tx2.store.index('byTag').openCursor('t2'); c !== null; c = await c.continue())
      await c.update({ ...c.value, tag: 't9' });
    await tx2.done;
    expect(await byTag('t9')).toEqual([5, 8]);
    expect(await byTag('t2')).toEqual([]);

    const tx3 = db.transaction('items', 'readwrite');
    await tx3.store.clear();
    await tx3.done;
    expect(await db.countFromIndex('items', 'byTag')).toBe(0);
    expect(await db.countFromIndex('items', 'byN')).toBe(0);
    db.close();
  });

  it('createIndex in a later migration indexes what the store holds', async () => {
    const name = fresh();
    const db = await open(name);
    await db.put('loose', { v: 2 }, 'b');
    await db.put('loose', { v: 1 }, 'a');
    db.close();
    await idle();
    const v2: Migrations<S> = [...V1, (_db, tx) => void tx.objectStore('loose').createIndex('byV', 'v')];
    const again = await open(name, 2, v2);
    expect(again.version).toBe(2);
    expect(
      await (
        again as unknown as Database<Record<string, { key: string; value: unknown; indexes: { byV: number } }>>
      ).getAllKeysFromIndex('loose', 'byV'),
    ).toEqual(['a', 'b']);
    again.close();
  });
});

describe(`cursors and key ranges (${STORE_ADAPTER})`, () => {
  const N = 600; // more than two pages of 256

  async function walk(query: KeyRange | number | undefined, direction: 'next' | 'prev', index?: 'byTag' | 'byN') {
    const { db } = await filled(N);
    const tx = db.transaction('items');
    const source = index === undefined ? tx.store : tx.store.index(index);
    const seen: number[] = [];
    for (let c = await source.openCursor(query, direction); c !== null; c = await c.continue()) seen.push(c.primaryKey);
    await tx.done;
    db.close();
    return seen;
  }

  const ids = Array.from({ length: N }, (_, i) => i);

  it('walk a store forwards and backwards over more than a page', async () => {
    expect(await walk(undefined, 'next')).toEqual(ids);
    expect(await walk(undefined, 'prev')).toEqual([...ids].reverse());
  });

  it('walk an index with many records per key, both ways', async () => {
    // byTag: three keys of 200 records each, each run in primary key order.
    const t = (k: number) => ids.filter((i) => i % 3 === k);
    expect(await walk(undefined, 'next', 'byTag')).toEqual([...t(0), ...t(1), ...t(2)]);
    expect(await walk(undefined, 'prev', 'byTag')).toEqual([...t(0), ...t(1), ...t(2)].reverse());
    expect(await walk('t1' as never, 'next', 'byTag')).toEqual(t(1));
    expect(await walk('t1' as never, 'prev', 'byTag')).toEqual([...t(1)].reverse());
  });

  it('key ranges: open and closed ends, on a store and an index', async () => {
    const between = (a: number, b: number) => ids.filter((i) => i >= a && i <= b);
    expect(await walk(bound(10, 300), 'next')).toEqual(between(10, 300));
    expect(await walk(bound(10, 300, true, true), 'next')).toEqual(between(11, 299));
    expect(await walk(bound(10, 300, true, false), 'prev')).toEqual(between(11, 300).reverse());
    expect(await walk(lowerBound(590, true), 'next')).toEqual(between(591, N));
    expect(await walk(bound(100, 3000, false, true), 'next', 'byN')).toEqual(between(10, 299));
    expect(await walk(bound(100, 3000, true, false), 'prev', 'byN')).toEqual(between(11, 300).reverse());
    expect(await walk(bound(5, 5), 'next')).toEqual([5]);
  });

  it('getAll, getAllKeys and count with ranges and counts', async () => {
    const { db } = await filled(20);
    expect(await db.getAllKeys('items', bound(3, 6, true, true))).toEqual([4, 5]);
    expect(await db.getAllKeys('items', lowerBound(17))).toEqual([17, 18, 19]);
    expect(await db.getAllKeys('items', null, 3)).toEqual([0, 1, 2]);
    expect(await db.count('items', bound(0, 9, false, true))).toBe(9);
    expect(await db.countFromIndex('items', 'byTag', bound('t0', 't1', true, false))).toBe(7);
    expect(await db.getKey('items', bound(4.5, 100))).toBe(5);
    db.close();
  });

  it('a cursor sees writes its transaction made ahead of it', async () => {
    const { db } = await filled(10);
    const tx = db.transaction('items', 'readwrite');
    const seen: Array<[number, string]> = [];
    for (let c = await tx.store.openCursor(); c !== null; c = await c.continue()) {
      seen.push([c.primaryKey, c.value.tag]);
      if (c.primaryKey === 2) {
        await tx.store.delete(5);
        await tx.store.put({ id: 7, tag: 'rewritten' });
        await tx.store.put({ id: 8.5, tag: 'new' });
      }
    }
    await tx.done;
    expect(seen.map(([k]) => k)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 8.5, 9]);
    expect(seen.find(([k]) => k === 7)?.[1]).toBe('rewritten');
    db.close();
  });
});

describe(`key generators and migrations (${STORE_ADAPTER})`, () => {
  it('autoIncrement keys are never reused: not after a delete, nor after a reopen', async () => {
    const name = fresh();
    const db = await open(name);
    expect(await db.add('auto', { v: 'a' })).toBe(1);
    expect(await db.add('auto', { v: 'b' })).toBe(2);
    await db.delete('auto', 2);
    expect(await db.add('auto', { v: 'c' })).toBe(3);
    // An explicit key raises the generator past it.
    expect(await db.put('auto', { id: 10.5, v: 'd' })).toBe(10.5);
    expect(await db.add('auto', { v: 'e' })).toBe(11);
    await db.delete('auto', bound(0, 100));
    db.close();
    await idle();
    const again = await open(name);
    expect(await again.add('auto', { v: 'f' })).toBe(12);
    expect(await again.getAll('auto')).toEqual([{ id: 12, v: 'f' }]);
    again.close();
  });

  it('a migration that throws leaves the database at its old version, with its data', async () => {
    const name = fresh();
    const db = await open(name);
    await db.put('items', { id: 1, tag: 'kept' });
    db.close();
    await idle();
    const failing: Migrations<S> = [
      ...V1,
      (db2, tx) => {
        db2.createObjectStore('half' as 'loose');
        tx.objectStore('items')
          .delete(1)
          .catch(() => undefined); // rejects when the upgrade aborts
        throw new Error('migration 2 failed');
      },
    ];
    const errors: unknown[] = [];
    const log = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      await expect(open(name, 2, failing)).rejects.toBeDefined();
    } finally {
      console.error = log;
    }
    await idle();
    const again = await open(name, 1);
    expect(again.version).toBe(1);
    expect([...again.objectStoreNames].sort()).toEqual(['auto', 'items', 'loose']);
    expect(await again.getAll('items')).toEqual([{ id: 1, tag: 'kept' }]);
    again.close();
  });

  it('a database at a newer version than asked for is refused, and left as it was', async () => {
    const name = fresh();
    const v2: Migrations<S> = [...V1, () => undefined];
    const db = await open(name, 2, v2);
    await db.put('items', { id: 1, tag: 'v2' });
    db.close();
    await idle();
    await expect(open(name, 1)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const again = await open(name, 2, v2);
    expect(again.version).toBe(2);
    expect(await again.getAll('items')).toEqual([{ id: 1, tag: 'v2' }]);
    again.close();
  });
});
