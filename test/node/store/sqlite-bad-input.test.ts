/**
 * Bad ground under a SQLite store, through the worker's service: a path
 * that cannot be written, a file from a newer mlflow-edge, a damaged file,
 * and a full disk (the store's size cap, store.maxBytes, and ENOSPC for
 * artifact bytes). Each is a typed error that says what to do, leaves the
 * file as it was, and keeps everything stored before readable.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MetricColumns } from '../../../src/protocol.js';
import { openFileBlobs, noSpace } from '../../../src/store/adapters/files.js';
import { SQLITE_FILE } from '../../../src/store/open.js';
import { toStorageError } from '../../../src/store/storage-errors.js';
import { TrackerService } from '../../../src/worker/service.js';
import { STORE_ADAPTER, storeLocation, writeNewerSchema } from '../store-location.js';
import { rejection } from '../typed-errors.js';
import { metricColumns } from '../../metric-columns.js';

const root = STORE_ADAPTER === 'sqlite' ? mkdtempSync(join(tmpdir(), 'edge-bad-sqlite-')) : '';
let counter = 0;
const freshPath = () => join(root, `store-${++counter}`);

afterAll(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

const services: TrackerService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.close().catch(() => undefined);
  // The table layer closes a connection once its last transaction ends.
  await new Promise((resolve) => setTimeout(resolve, 20));
});

async function open(store: { path: string; maxBytes?: number }): Promise<TrackerService> {
  const service = new TrackerService();
  services.push(service);
  await service.open({ dbName: `bad-sqlite-${counter}`, store });
  return service;
}

async function close(service: TrackerService): Promise<void> {
  services.splice(services.indexOf(service), 1);
  await service.close();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const metrics = (from: number, count: number, key = 'm'): MetricColumns =>
  metricColumns({
    keys: Array.from({ length: count }, () => key),
    values: Array.from({ length: count }, (_, i) => Math.sin(from + i) * 1e6 + (from + i) / 7),
    steps: Array.from({ length: count }, (_, i) => from + i),
    timestamps: Array.from({ length: count }, (_, i) => 1_700_000_000_000 + from + i),
  });

/** Seeded bytes, so a failure reproduces. */
function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function snapshot(s: TrackerService, runId: string) {
  const run = await s.getRun(runId);
  return { data: run.data, history: await s.getMetricHistory(runId, 'm') };
}

describe.runIf(STORE_ADAPTER === 'sqlite')('a SQLite store on bad ground', () => {
  describe('a store path that cannot be written', () => {
    it('a path under a regular file', async () => {
      const file = join(root, `a-file-${++counter}`);
      writeFileSync(file, 'not a directory');
      const error = await rejection(open({ path: join(file, 'store') }));
      expect(error.code).toBe('INVALID_STATE');
      expect(error.message).toMatch(/cannot be written.*Pass a store\.path this process may create and write/);
      expect(readFileSync(file, 'utf8')).toBe('not a directory');
    });

    it('a path under /proc', async () => {
      const error = await rejection(open({ path: `/proc/mlflow-edge-${process.pid}/store` }));
      expect(error.code).toBe('INVALID_STATE');
      expect(error.message).toMatch(/cannot be written.*Pass a store\.path/);
    });

    it('a store file that is a directory', async () => {
      const path = freshPath();
      mkdirSync(join(path, SQLITE_FILE), { recursive: true });
      const error = await rejection(open({ path }));
      expect(error.code).toBe('INVALID_STATE');
      expect(error.message).toMatch(/cannot be opened for writing.*Pass a store\.path/);
    });
  });

  it('a store file written by a newer mlflow-edge is refused and left as it was', async () => {
    const name = `newer-${++counter}`;
    await writeNewerSchema(name);
    const location = storeLocation(name) as { path: string };
    const file = join(location.path, SQLITE_FILE);
    const before = readFileSync(file);
    const error = await rejection(open(location));
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toMatch(/written by a newer version of mlflow-edge.*Load the newer library version/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
  });

  describe('a damaged store file', () => {
    it('random bytes: refused at open as damaged, file untouched', async () => {
      const path = freshPath();
      mkdirSync(path, { recursive: true });
      const file = join(path, SQLITE_FILE);
      writeFileSync(file, noise(64 * 1024));
      const before = readFileSync(file);
      const error = await rejection(open({ path }));
      expect(error.code).toBe('INVALID_STATE');
      expect(error.message).toMatch(
        /is damaged, or is not an mlflow-edge database.*Nothing was changed in it.*Move it aside/,
      );
      expect(readFileSync(file).equals(before)).toBe(true);
    });

    it('a real store whose middle pages were overwritten: a typed error saying so, file untouched', async () => {
      const path = freshPath();
      const s = await open({ path });
      const runIds: string[] = [];
      for (let r = 0; r < 8; r++) {
        const { run } = await s.startRun({ runName: `r${r}`, startTime: 1000 + r });
        runIds.push(run.info.runId);
        for (let b = 0; b < 4; b++)
          await s.logBatch({ runs: [{ runId: run.info.runId, metrics: metrics(b * 2000, 2000) }] });
        await s.logArtifact(run.info.runId, 'notes.txt', 'x'.repeat(20_000));
      }
      await close(s);
      const file = join(path, SQLITE_FILE);
      const bytes = readFileSync(file);
      const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16);
      const pages = bytes.length / pageSize;
      expect(pages).toBeGreaterThan(40);
      // Overwrite the middle third of the pages (page 1, with the header and schema, stays).
      const damaged = Buffer.from(bytes);
      damaged.set(noise(Math.floor(pages / 3) * pageSize, 7), Math.floor(pages / 3) * pageSize);
      writeFileSync(file, damaged);

      const errors: unknown[] = [];
      const attempt = async (fn: () => Promise<unknown>) => {
        try {
          await fn();
        } catch (error) {
          errors.push(error);
        }
      };
      let reopened: TrackerService | undefined;
      await attempt(async () => {
        reopened = await open({ path });
      });
      if (reopened !== undefined) {
        const t = reopened;
        await attempt(() => t.searchRuns({}));
        for (const runId of runIds) {
          await attempt(() => t.getRun(runId));
          await attempt(() => t.getMetricHistory(runId, 'm'));
          await attempt(() => t.listArtifacts(runId, ''));
        }
        await close(t);
      }
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        expect(error).toMatchObject({ name: 'MlflowEdgeError', code: 'INVALID_STATE' });
        expect((error as Error).message).toMatch(/is damaged.*SQLITE_CORRUPT.*Nothing was changed in it/);
      }
      expect(readFileSync(file).equals(damaged)).toBe(true);
    });
  });

  describe('a full disk', () => {
    it('store.maxBytes is checked', async () => {
      for (const maxBytes of [0, -1, 1000, Number.NaN, '1e6' as unknown as number]) {
        const error = await rejection(open({ path: freshPath(), maxBytes }));
        expect(error.code).toBe('INVALID_PARAMETER_VALUE');
        expect(error.message).toMatch(/store\.maxBytes must be a number of bytes/);
      }
    });

    it('past store.maxBytes logging is RESOURCE_EXHAUSTED, what came before stays, and a larger cap lets it go on', async () => {
      const path = freshPath();
      // The size of an empty store, then room for a little more.
      await close(await open({ path }));
      const empty = statSync(join(path, SQLITE_FILE)).size;
      const maxBytes = empty + 96 * 1024;
      const s = await open({ path, maxBytes });
      const { run } = await s.startRun({ runName: 'capped', startTime: 1 });
      const runId = run.info.runId;
      await s.logBatch({ runs: [{ runId, params: [['p', 'v']], metrics: metrics(0, 100) }] });
      let before = await snapshot(s, runId);
      let step = 100;
      let error: { code?: string; message: string } | undefined;
      for (let i = 0; i < 200 && error === undefined; i++) {
        try {
          await s.logBatch({ runs: [{ runId, tags: [[`t${i}`, 'x'.repeat(5000)]], metrics: metrics(step, 500) }] });
          step += 500;
          before = await snapshot(s, runId);
        } catch (e) {
          error = e as typeof error;
        }
      }
      expect(error).toMatchObject({ name: 'MlflowEdgeError', code: 'RESOURCE_EXHAUSTED' });
      expect(error!.message).toMatch(
        /disk is full or the store reached its size cap \(store\.maxBytes: \d+ bytes\).*was not stored.*everything stored before is intact.*larger store\.maxBytes/,
      );
      expect(error!.message).not.toMatch(/Browser/);
      // Everything logged before is there, as it was.
      expect(await snapshot(s, runId)).toEqual(before);
      expect(before.history.steps.length).toBe(step);
      // Still refused while the cap holds; still nothing half-written.
      await expect(
        s.logBatch({ runs: [{ runId, tags: [['late', 'x'.repeat(5000)]], metrics: metrics(step, 2000) }] }),
      ).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
      expect(await snapshot(s, runId)).toEqual(before);
      expect(statSync(join(path, SQLITE_FILE)).size).toBeLessThanOrEqual(maxBytes);
      await close(s);

      // A larger cap: logging goes on, and the history continues where it stopped.
      const larger = await open({ path, maxBytes: 64 * 1024 * 1024 });
      expect(await snapshot(larger, runId)).toEqual(before);
      await larger.logBatch({ runs: [{ runId, tags: [['after', 'yes']], metrics: metrics(step, 2000) }] });
      const after = await snapshot(larger, runId);
      expect(after.history.steps.length).toBe(step + 2000);
      expect(after.data.tags).toMatchObject({ after: 'yes' });
    });

    it('ENOSPC from an artifact write is RESOURCE_EXHAUSTED about the disk (the mapping)', () => {
      const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const mapped = toStorageError(noSpace(enospc), 'the artifact');
      expect(mapped).toMatchObject({ name: 'MlflowEdgeError', code: 'RESOURCE_EXHAUSTED' });
      expect((mapped as Error).message).toMatch(/The store's disk is full: the artifact was not stored.*free the disk/);
      expect((mapped as Error).message).not.toMatch(/Browser|maxBytes/);
      // Other failures pass through as they are.
      const eio = Object.assign(new Error('EIO'), { code: 'EIO' });
      expect(toStorageError(noSpace(eio), 'the artifact')).toBe(eio);
    });

    describe('on a tiny filesystem (tmpfs; needs mount, as root)', () => {
      const mountPoint = join(root, 'tmpfs');
      let mounted = false;
      beforeAll(() => {
        try {
          mkdirSync(mountPoint, { recursive: true });
          execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'ignore' });
          mounted = true;
        } catch {
          // Not permitted here: the mapping test above covers ENOSPC's translation.
        }
      });
      afterAll(() => {
        if (mounted) execFileSync('umount', [mountPoint], { stdio: 'ignore' });
      });

      it('a BlobStore write past the free space fails as QuotaExceededError and leaves no file', async (ctx) => {
        if (!mounted) ctx.skip();
        const blobs = await openFileBlobs(join(mountPoint, 'blobs'));
        await blobs.write('small', new Blob(['kept']));
        const error = await blobs.write('big', new Blob([new Uint8Array(3 * 1024 * 1024)])).catch((e: unknown) => e);
        expect(error).toMatchObject({ name: 'QuotaExceededError', code: 'ENOSPC' });
        expect(toStorageError(error, 'the artifact')).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
        expect(readdirSync(join(mountPoint, 'blobs'))).toEqual(['small']);
        expect(await (await blobs.read('small')).text()).toBe('kept');
        // The space came back: a write that fits goes through.
        await blobs.write('fits', new Blob([new Uint8Array(512 * 1024)]));
        await blobs.remove('fits');
      });

      it('logArtifact on a full disk: RESOURCE_EXHAUSTED, earlier files intact', async (ctx) => {
        if (!mounted) ctx.skip();
        const s = await open({ path: join(mountPoint, 'store') });
        const { run } = await s.startRun({ runName: 'tiny disk', startTime: 1 });
        const runId = run.info.runId;
        await s.logArtifact(runId, 'a.txt', 'file a');
        const error = await rejection(s.logArtifact(runId, 'big.bin', new Uint8Array(4 * 1024 * 1024)));
        expect(error.code).toBe('RESOURCE_EXHAUSTED');
        expect(error.message).toMatch(/The store's disk is full: artifact 'big\.bin' was not stored/);
        expect((await s.listArtifacts(runId, '')).map((f) => f.path)).toEqual(['a.txt']);
        expect(await (await s.readArtifact(runId, 'a.txt')).text()).toBe('file a');
        await close(s);
      });
    });
  });
});
