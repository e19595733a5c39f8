// One uploader at a time without Web Locks: the store's lease (store/lease.ts), on every adapter.
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/open.js';
import { LEASE_MS, StoreLease } from '../../../src/store/lease.js';
import type { Db } from '../../../src/store/schema.js';
import { storeLocation } from '../store-location.js';

let counter = 0;
const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

async function db(name = `lease-${process.pid}-${++counter}`): Promise<Db> {
  const d = await openDatabase(storeLocation(name));
  open.push(d);
  return d;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the store lease', () => {
  it('lets one pass run at a time: a second holder waits for the first to finish', async () => {
    const d = await db();
    const a = new StoreLease(d);
    const b = new StoreLease(d);
    const events: string[] = [];
    let finishA!: () => void;
    const passA = a.hold(
      () => new Promise<void>((resolve) => ((finishA = resolve), events.push('a starts'))),
      () => events.push('a lost'),
    );
    await sleep(50);
    const passB = b.hold(
      async () => void events.push('b starts'),
      () => events.push('b lost'),
    );
    await sleep(600);
    expect(events).toEqual(['a starts']);
    events.push('a ends');
    finishA();
    await passA;
    await passB;
    expect(events).toEqual(['a starts', 'a ends', 'b starts']);
  });

  it('is taken from a holder that stopped renewing (killed), and the old holder learns it lost the lease', async () => {
    const d = await db();
    const dead = new StoreLease(d);
    // A holder whose process died mid-pass: its lease is in the store, nobody renews it.
    await d.put('meta', { owner: 'a-killed-process', expires: Date.now() + 300 }, 'uploader');
    const started = Date.now();
    await new StoreLease(d).hold(
      async () => undefined,
      () => undefined,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // A stalled holder: its lease expires, another takes it, and its next renewal finds that out.
    let lost = false;
    let finish!: () => void;
    const stalled = dead.hold(
      () => new Promise<void>((resolve) => (finish = resolve)),
      () => (lost = true),
    );
    await sleep(50);
    await d.put('meta', { owner: 'another', expires: Date.now() + LEASE_MS }, 'uploader');
    await sleep(1500);
    expect(lost).toBe(true);
    finish();
    await stalled;
    // Releasing leaves the other's lease alone.
    expect(await d.get('meta', 'uploader')).toMatchObject({ owner: 'another' });
  });

  it('does not wait for a lease written before the clock went back (a device clock set by NTP after boot)', async () => {
    const d = await db();
    await d.put('meta', { owner: 'before-the-clock-jumped', expires: Date.now() + 3_600_000 }, 'uploader');
    const started = Date.now();
    expect(
      await new StoreLease(d).hold(
        async () => 'ran',
        () => undefined,
      ),
    ).toBe('ran');
    expect(Date.now() - started).toBeLessThan(LEASE_MS);
  });

  it('waits no longer than asked: an aborted wait rejects', async () => {
    const d = await db();
    await d.put('meta', { owner: 'someone', expires: Date.now() + LEASE_MS }, 'uploader');
    const controller = new AbortController();
    const wait = new StoreLease(d).hold(
      async () => 'ran',
      () => undefined,
      controller.signal,
    );
    controller.abort(new Error('stop waiting'));
    await expect(wait).rejects.toThrow('stop waiting');
  });
});
