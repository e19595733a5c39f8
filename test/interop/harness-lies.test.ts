// Proves the harness's lies (issue 9): the fault proxy's lie fates and scripted mode, and a
// real MLflow server restarted, wiped, backed up and restored on the same port. One server
// for the whole file (lifecycle tests last: they restart it). Run (from the repo root):
//   npx vitest run --config test/interop/vitest.config.ts

import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteExperiment,
  deleteRun,
  experimentIdByName,
  restoreExperiment,
  restoreRun,
  startMlflowServer,
  type MlflowServer,
} from './mlflow-server.js';
import { PORTAL_HTML, PORTAL_PATH, nginxErrorPage, startFaultProxy, type FaultProxy } from './fault-proxy.js';

const T = 120_000;
const API = '/api/2.0/mlflow';
const ORIGIN = 'http://localhost:4310'; // a page origin the server allows by default
const FOREIGN = 'http://127.0.0.2:4310';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  init: RequestInit = {},
) {
  const h: Record<string, string> = { ...headers };
  const req: RequestInit = { ...init, method, headers: h };
  if (body !== undefined) {
    req.body = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  const r = await fetch(base + path, req);
  const text = await r.text();
  let json: Json | undefined;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json, url: r.url, redirected: r.redirected };
}

async function ok(base: string, method: string, path: string, body?: unknown): Promise<Json> {
  const r = await call(base, method, path, body);
  if (r.status !== 200) throw new Error(`${method} ${path} -> ${r.status}: ${r.text}`);
  return r.json ?? {};
}

/** What a fetch that never got an answer threw (undici: TypeError "fetch failed", cause with the errno). */
async function failure(p: Promise<unknown>): Promise<{ error: unknown; code: string | undefined }> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  const cause = (error as { cause?: { code?: string } } | null)?.cause;
  return { error, code: cause?.code };
}

/** errno of a plain HTTP GET on a fresh connection (no pooled keep-alive socket), or 'answered'. */
function freshConnection(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      resolve('answered');
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

async function runsTagged(base: string, experimentId: string, value: string): Promise<Json[]> {
  const j = await ok(base, 'POST', `${API}/runs/search`, {
    experiment_ids: [experimentId],
    filter: `tags.\`harness.tag\` = '${value}'`,
    max_results: 10,
  });
  return (j.runs as Json[] | undefined) ?? [];
}

async function experimentNames(base: string): Promise<string[]> {
  const j = await ok(base, 'POST', `${API}/experiments/search`, { max_results: 1000, view_type: 'ALL' });
  return ((j.experiments as Json[] | undefined) ?? []).map((e) => e.name as string).sort();
}

let server: MlflowServer;
let proxy: FaultProxy;
let exp: string;

beforeAll(async () => {
  const t0 = Date.now();
  server = await startMlflowServer();
  console.log(`[harness-lies] mlflow server healthy at ${server.url} after ${Date.now() - t0} ms`);
  proxy = await startFaultProxy({ target: server.url, seed: 9, rates: {} });
  exp = (await ok(server.url, 'POST', `${API}/experiments/create`, { name: 'lies' })).experiment_id as string;
}, T);
afterAll(async () => {
  await proxy?.stop();
  await server?.stop();
}, T);

const createRun = (base: string, tag: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  call(
    base,
    'POST',
    `${API}/runs/create`,
    { experiment_id: exp, start_time: Date.now(), tags: [{ key: 'harness.tag', value: tag }] },
    headers,
    init,
  );

describe('fault proxy lie fates', () => {
  it('htmlOk, emptyOk, proxy404/405/413: answered by the proxy with CORS headers, never forwarded', {
    timeout: T,
  }, async () => {
    const cases = [
      { fate: 'htmlOk', status: 200, type: 'text/html; charset=utf-8', body: PORTAL_HTML },
      { fate: 'emptyOk', status: 200, type: null, body: '' },
      { fate: 'proxy404', status: 404, type: 'text/html; charset=utf-8', body: nginxErrorPage(404, 'Not Found') },
      { fate: 'proxy405', status: 405, type: 'text/html; charset=utf-8', body: nginxErrorPage(405, 'Not Allowed') },
      {
        fate: 'proxy413',
        status: 413,
        type: 'text/html; charset=utf-8',
        body: nginxErrorPage(413, 'Request Entity Too Large'),
      },
    ] as const;
    for (const c of cases) {
      await proxy.setMode({ fate: c.fate });
      const forwarded = proxy.stats.forwarded;
      const r = await createRun(proxy.url, c.fate, { Origin: FOREIGN });
      expect(r.status, c.fate).toBe(c.status);
      expect(r.headers.get('content-type'), c.fate).toBe(c.type);
      expect(r.text, c.fate).toBe(c.body);
      expect(r.json, c.fate).toBeUndefined(); // nothing a JSON parser accepts, so no MLflow error body
      expect(r.headers.get('access-control-allow-origin'), c.fate).toBe(FOREIGN);
      expect(r.headers.get('access-control-allow-credentials'), c.fate).toBe('true');
      if (c.fate.startsWith('proxy')) {
        expect(r.text).toContain('nginx');
        expect(r.headers.get('server')).toMatch(/^nginx/);
      }
      expect(proxy.stats.forwarded, c.fate).toBe(forwarded);
      expect(await runsTagged(server.url, exp, c.fate), c.fate).toEqual([]);
    }
    // An uploaded body is drained, not forwarded, and still answered.
    await proxy.setMode({ fate: 'proxy413' });
    const put = await fetch(`${proxy.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/x/artifacts/big.bin`, {
      method: 'PUT',
      body: new Uint8Array(4 * 1024 * 1024),
    });
    expect(put.status).toBe(413);
    expect(await put.text()).toBe(nginxErrorPage(413, 'Request Entity Too Large'));
    await proxy.setMode(null);
    expect(proxy.stats).toMatchObject({ htmlOk: 1, emptyOk: 1, proxy404: 1, proxy405: 1, proxy413: 2, scripted: 6 });
  });

  it("jsonOk: MLflow's own {} for a write the proxy never forwarded", { timeout: T }, async () => {
    const run = (await ok(server.url, 'POST', `${API}/runs/create`, { experiment_id: exp, start_time: Date.now() }))
      .run as { info: { run_id: string } };
    await proxy.setMode({ fate: 'jsonOk', match: (_m, path) => path.endsWith('/runs/log-batch') });
    const forwarded = proxy.stats.forwarded;
    const r = await call(
      proxy.url,
      'POST',
      `${API}/runs/log-batch`,
      { run_id: run.info.run_id, metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }] },
      { Origin: FOREIGN },
    );
    await proxy.setMode(null);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json).toEqual({});
    expect(r.headers.get('access-control-allow-origin')).toBe(FOREIGN);
    expect(proxy.stats.forwarded).toBe(forwarded);
    expect(
      await ok(server.url, 'GET', `${API}/metrics/get-history?run_id=${run.info.run_id}&metric_key=m&max_results=10`),
    ).toEqual({});
  });

  it('htmlOkAfterForward: the server applied the write, the client got a 200 HTML page', { timeout: T }, async () => {
    await proxy.setMode({ fate: 'htmlOkAfterForward' });
    const forwarded = proxy.stats.forwarded;
    const r = await createRun(proxy.url, 'after-forward', { Origin: ORIGIN });
    await proxy.setMode(null);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.text).toBe(PORTAL_HTML);
    expect(r.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(proxy.stats.forwarded).toBe(forwarded + 1);
    expect(proxy.stats.htmlOkAfterForward).toBe(1);
    expect(await runsTagged(server.url, exp, 'after-forward')).toHaveLength(1);

    // Even the server's refusal is hidden behind the 200 page (the experiment name is taken).
    await proxy.setMode({ fate: 'htmlOkAfterForward' });
    const dup = await call(proxy.url, 'POST', `${API}/experiments/create`, { name: 'lies' });
    await proxy.setMode(null);
    expect(dup.status).toBe(200);
    expect(dup.text).toBe(PORTAL_HTML);
  });

  it('redirect: 302 to a portal page on the proxy origin, served as 200 HTML with CORS', { timeout: T }, async () => {
    await proxy.setMode({ fate: 'redirect' });
    const manual = await createRun(proxy.url, 'redirect-manual', { Origin: ORIGIN }, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    const location = manual.headers.get('location')!;
    expect(new URL(location).origin).toBe(proxy.url);
    expect(new URL(location).pathname).toBe(PORTAL_PATH);
    expect(new URL(location).searchParams.get('from')).toBe(`${API}/runs/create`);
    expect(manual.headers.get('access-control-allow-origin')).toBe(ORIGIN);

    // What a fetch that follows redirects sees: a 200 HTML page, redirected, at the portal URL.
    const followed = await createRun(proxy.url, 'redirect-follow', { Origin: ORIGIN });
    expect(followed.redirected).toBe(true);
    expect(followed.url).toBe(location);
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(followed.text).toBe(PORTAL_HTML);
    expect(followed.headers.get('access-control-allow-origin')).toBe(ORIGIN);

    // The portal answers its own preflights (a redirected request with Authorization needs one).
    const pre = await fetch(location, {
      method: 'OPTIONS',
      headers: {
        Origin: ORIGIN,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(pre.headers.get('access-control-allow-headers')).toBe('authorization');
    await proxy.setMode(null);

    expect(await runsTagged(server.url, exp, 'redirect-manual')).toEqual([]);
    expect(await runsTagged(server.url, exp, 'redirect-follow')).toEqual([]);
    expect(proxy.stats.redirect).toBe(2);
    expect(proxy.stats.portal).toBe(2); // the followed GET and the preflight
  });

  it('scripted mode: only matching requests, preflights untouched, unmatched ones draw from the rates', {
    timeout: T,
  }, async () => {
    proxy.setRates({ status503: 1 });
    await proxy.setMode({
      fate: 'htmlOk',
      match: (method, path) => method === 'POST' && path.endsWith('/runs/create'),
    });
    const scripted = proxy.stats.scripted;
    const matched = await createRun(proxy.url, 'scripted', { Origin: ORIGIN });
    expect(matched.status).toBe(200);
    expect(matched.text).toBe(PORTAL_HTML);
    const other = await call(proxy.url, 'GET', `${API}/experiments/get?experiment_id=${exp}`);
    expect(other.status).toBe(503); // not matched: the rates
    const pre = await fetch(`${proxy.url}${API}/runs/create`, {
      method: 'OPTIONS',
      headers: {
        Origin: ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(pre.status).toBe(200); // forwarded to the server's CORS middleware
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(proxy.stats.scripted).toBe(scripted + 1);

    // The match sees the pathname and the raw url (query included).
    await proxy.setMode({
      fate: 'emptyOk',
      match: (_m, path, url) => path === `${API}/experiments/get` && url.includes(`experiment_id=${exp}`),
    });
    proxy.setRates({});
    expect((await call(proxy.url, 'GET', `${API}/experiments/get?experiment_id=${exp}`)).text).toBe('');
    expect((await call(proxy.url, 'GET', `${API}/experiments/get?experiment_id=0`)).json?.experiment).toBeDefined();
    await proxy.setMode(null);
    expect(
      (await call(proxy.url, 'GET', `${API}/experiments/get?experiment_id=${exp}`)).json?.experiment,
    ).toBeDefined();
  });

  it('down: matched requests and preflights reset; without match, connections refused until the mode changes', {
    timeout: T,
  }, async () => {
    const before = proxy.stats.down;
    await proxy.setMode({ fate: 'down', match: (_m, path) => path.endsWith('/runs/create') });
    const post = await failure(createRun(proxy.url, 'down-matched'));
    expect(post.error).toBeInstanceOf(TypeError);
    expect(post.code).toBe('ECONNRESET');
    const pre = await failure(
      fetch(`${proxy.url}${API}/runs/create`, {
        method: 'OPTIONS',
        headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' },
      }),
    );
    expect(pre.error).toBeInstanceOf(TypeError);
    expect((await fetch(`${proxy.url}/health`)).status).toBe(200); // not matched
    expect(proxy.stats.down).toBe(before + 2);

    await proxy.setMode({ fate: 'down' });
    expect(await freshConnection(`${proxy.url}/health`)).toBe('ECONNREFUSED');
    const refused = await failure(fetch(`${proxy.url}/health`));
    expect(refused.error).toBeInstanceOf(TypeError);
    expect(proxy.stats.down).toBe(before + 2); // refused connections never reach the proxy
    await proxy.setMode({ fate: 'htmlOk' }); // any other mode listens again, on the same port
    expect((await call(proxy.url, 'GET', '/health')).text).toBe(PORTAL_HTML);
    await proxy.setMode({ fate: 'down' });
    await proxy.setMode(null);
    expect((await fetch(`${proxy.url}/health`)).status).toBe(200);

    // By rate, like reset.
    proxy.setRates({ down: 1 });
    expect((await failure(fetch(`${proxy.url}/health`))).error).toBeInstanceOf(TypeError);
    proxy.setRates({});
    expect(proxy.stats.down).toBe(before + 3);
    expect(await runsTagged(server.url, exp, 'down-matched')).toEqual([]);
  });

  it('lie fates by seeded rate: deterministic, each counted', { timeout: T }, async () => {
    const rates = { htmlOk: 0.15, emptyOk: 0.15, redirect: 0.1, proxy404: 0.1, proxy405: 0.1, proxy413: 0.1 };
    const fates = async () => {
      const p = await startFaultProxy({ target: server.url, seed: 11, rates });
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await fetch(`${p.url}/health`, { redirect: 'manual' });
        seen.push(`${r.status} ${r.headers.get('content-type')} ${(await r.text()).length}`);
      }
      const stats = { ...p.stats };
      await p.stop();
      return { seen, stats };
    };
    const a = await fates();
    const b = await fates();
    expect(a.seen).toEqual(b.seen);
    expect(new Set(a.seen.map((s) => s.split(' ')[0]))).toEqual(new Set(['200', '302', '404', '405', '413']));
    const lies = ['htmlOk', 'emptyOk', 'redirect', 'proxy404', 'proxy405', 'proxy413'] as const;
    for (const f of lies) expect(a.stats[f], f).toBeGreaterThan(0);
    expect(lies.reduce((n, f) => n + a.stats[f]!, 0) + a.stats.pass!).toBe(40);
    expect(a.stats.forwarded).toBe(a.stats.pass);
    expect(a.seen.filter((s) => s.startsWith('200 null 0')).length).toBe(a.stats.emptyOk);
  });
});

describe('mlflow server lifecycle: backup, restore, restart, wipe (same port)', () => {
  it('restore brings back the database and artifacts of the backup; restart keeps them; wipe empties them', {
    timeout: 5 * T,
  }, async () => {
    const { url, port } = server;
    const artifact = (runId: string, name: string) =>
      `${url}/api/2.0/mlflow-artifacts/artifacts/${first}/${runId}/artifacts/${name}`;
    const listArtifacts = async (runId: string) =>
      (((await ok(url, 'GET', `${API}/artifacts/list?run_id=${runId}`)).files as Json[] | undefined) ?? []).map(
        (f) => f.path as string,
      );

    const first = (await ok(url, 'POST', `${API}/experiments/create`, { name: 'before-backup' }))
      .experiment_id as string;
    const run = (
      ((await ok(url, 'POST', `${API}/runs/create`, { experiment_id: first, start_time: Date.now() })).run as Json)
        .info as Json
    ).run_id as string;
    expect((await fetch(artifact(run, 'a.txt'), { method: 'PUT', body: 'a' })).status).toBe(200);

    const t0 = Date.now();
    const backup = await server.backup();
    console.log(`[harness-lies] backup ${backup.id} took ${Date.now() - t0} ms`);
    await ok(url, 'POST', `${API}/experiments/create`, { name: 'after-backup' });
    expect((await fetch(artifact(run, 'b.txt'), { method: 'PUT', body: 'b' })).status).toBe(200);
    await ok(url, 'POST', `${API}/runs/log-batch`, { run_id: run, params: [{ key: 'late', value: '1' }] });
    expect(await experimentNames(url)).toEqual(['Default', 'after-backup', 'before-backup', 'lies']);

    const t1 = Date.now();
    await server.restore(backup);
    console.log(`[harness-lies] restore took ${Date.now() - t1} ms`);
    expect(server.url).toBe(url);
    expect(server.port).toBe(port);
    expect(await experimentNames(url)).toEqual(['Default', 'before-backup', 'lies']);
    expect(await listArtifacts(run)).toEqual(['a.txt']);
    expect(await (await fetch(artifact(run, 'a.txt'))).text()).toBe('a');
    expect(((await ok(url, 'GET', `${API}/runs/get?run_id=${run}`)).run as Json).data.params).toBeUndefined();
    // The proxy in front keeps working: same port.
    expect((await call(proxy.url, 'GET', `${API}/experiments/get?experiment_id=${first}`)).json?.experiment?.name).toBe(
      'before-backup',
    );

    // Plain restart: same database and artifacts.
    await ok(url, 'POST', `${API}/experiments/create`, { name: 'survives-restart' });
    const t2 = Date.now();
    await server.restart();
    console.log(`[harness-lies] restart took ${Date.now() - t2} ms`);
    expect(server.port).toBe(port);
    expect(await experimentNames(url)).toEqual(['Default', 'before-backup', 'lies', 'survives-restart']);
    expect(await listArtifacts(run)).toEqual(['a.txt']);

    // Wipe: an empty database and artifact root, same port; the backups stay.
    await server.restart({ wipe: true });
    expect(server.port).toBe(port);
    expect(await experimentNames(url)).toEqual(['Default']);
    expect((await call(url, 'GET', `${API}/runs/get?run_id=${run}`)).json?.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await fetch(artifact(run, 'a.txt'))).status).not.toBe(200);
    expect(existsSync(join(backup.dir, 'mlflow.db'))).toBe(true);
    expect((await call(proxy.url, 'GET', '/health')).status).toBe(200);
    exp = (await ok(url, 'POST', `${API}/experiments/create`, { name: 'lies' })).experiment_id as string;
  });

  it('deletes and restores experiments and runs over REST', { timeout: T }, async () => {
    const id = (await ok(server.url, 'POST', `${API}/experiments/create`, { name: 'to-delete' }))
      .experiment_id as string;
    const run = (
      ((await ok(server.url, 'POST', `${API}/runs/create`, { experiment_id: id, start_time: Date.now() })).run as Json)
        .info as Json
    ).run_id as string;
    const runStage = async () =>
      (((await ok(server.url, 'GET', `${API}/runs/get?run_id=${run}`)).run as Json).info as Json).lifecycle_stage;
    const expStage = async () =>
      ((await ok(server.url, 'GET', `${API}/experiments/get?experiment_id=${id}`)).experiment as Json).lifecycle_stage;

    await deleteRun(server, run);
    expect(await runStage()).toBe('deleted');
    await restoreRun(server, run);
    expect(await runStage()).toBe('active');

    await deleteExperiment(server, id);
    expect(await expStage()).toBe('deleted');
    expect(await experimentIdByName(server, 'to-delete')).toBe(id); // deleted ones are still found by name
    const refused = await call(server.url, 'POST', `${API}/runs/create`, { experiment_id: id, start_time: Date.now() });
    console.log('[harness-lies] runs/create in a deleted experiment', refused.status, refused.text.slice(0, 200));
    expect(refused.status).toBe(400);
    await restoreExperiment(server, id);
    expect(await expStage()).toBe('active');
    expect(await runStage()).toBe('active');
    expect(await experimentIdByName(server, 'no-such-experiment')).toBeUndefined();
    await expect(deleteRun(server, 'f'.repeat(32))).rejects.toThrow(/RESOURCE_DOES_NOT_EXIST/);
  });
});
