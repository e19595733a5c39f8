// Proves the interop harness: a real MLflow server from .venv, the fault proxy, basic auth,
// and the server's CORS behaviour. Run (from the repo root):
//   npx vitest run --config test/interop/vitest.config.ts
// (the repo's vitest.config.ts only includes test/node, hence the separate config).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  authHeaders,
  deleteExperiment,
  experimentIdByName,
  restoreExperiment,
  startMlflowServer,
  type MlflowServer,
} from './mlflow-server.js';
import { startFaultProxy } from './fault-proxy.js';

const T = 120_000;
const FOREIGN = 'http://127.0.0.2:4310'; // a page origin the server does not know
const API = '/api/2.0/mlflow';

interface Json {
  [k: string]: unknown;
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  const r = await fetch(base + path, init);
  const text = await r.text();
  let json: Json | undefined;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

async function ok(base: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const r = await call(base, method, path, body, headers);
  if (r.status !== 200) throw new Error(`${method} ${path} -> ${r.status}: ${r.text}`);
  return r.json ?? {};
}

function corsHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((v, k) => {
    if (k.startsWith('access-control-') || k === 'vary') out[k] = v;
  });
  return out;
}

async function newExperiment(base: string, prefix: string): Promise<string> {
  const j = await ok(base, 'POST', `${API}/experiments/create`, { name: `${prefix}-${Date.now()}-${Math.random()}` });
  return j.experiment_id as string;
}

async function searchByTag(base: string, experimentId: string, key: string, value: string) {
  const j = await ok(base, 'POST', `${API}/runs/search`, {
    experiment_ids: [experimentId],
    filter: `tags.\`${key}\` = '${value}'`,
    max_results: 10,
  });
  return (j.runs as Json[] | undefined) ?? [];
}

describe('default server (no auth, default CORS)', () => {
  let server: MlflowServer;
  let startMs = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    server = await startMlflowServer();
    startMs = Date.now() - t0;
    console.log(`[harness] mlflow server healthy at ${server.url} after ${startMs} ms`);
  }, T);
  afterAll(async () => {
    const t0 = Date.now();
    await server?.stop();
    console.log(`[harness] stop() took ${Date.now() - t0} ms`);
  }, T);

  it('round-trips experiment, run, log-batch and an artifact over REST', { timeout: T }, async () => {
    const version = await call(server.url, 'GET', '/version');
    console.log(`[harness] GET /version -> ${version.status} ${version.text}`);
    expect(version.status).toBe(200);

    const exp = await newExperiment(server.url, 'harness');
    const start = Date.now();
    const created = await ok(server.url, 'POST', `${API}/runs/create`, {
      experiment_id: exp,
      run_name: 'round-trip',
      start_time: start,
      tags: [{ key: 'sync.local_run_id', value: 'local-1' }],
    });
    const info = (created.run as Json).info as Json;
    const runId = info.run_id as string;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(info.status).toBe('RUNNING');
    expect(info.artifact_uri).toBe(`mlflow-artifacts:/${exp}/${runId}/artifacts`);

    await ok(server.url, 'POST', `${API}/runs/log-batch`, {
      run_id: runId,
      metrics: [
        { key: 'loss', value: 0.5, timestamp: start, step: 0 },
        { key: 'loss', value: 0.25, timestamp: start + 1, step: 1 },
        { key: 'nan', value: 'NaN', timestamp: start, step: 0 },
      ],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'mlflow.user', value: 'edge' }],
    });
    // Re-sending the same batch is safe (metrics deduplicated, same param value OK).
    await ok(server.url, 'POST', `${API}/runs/log-batch`, {
      run_id: runId,
      metrics: [{ key: 'loss', value: 0.5, timestamp: start, step: 0 }],
      params: [{ key: 'lr', value: '0.1' }],
    });

    const got = await ok(server.url, 'GET', `${API}/runs/get?run_id=${runId}`);
    const data = (got.run as Json).data as { metrics: Json[]; params: Json[]; tags: Json[] };
    const loss = data.metrics.find((m) => m.key === 'loss');
    expect(loss).toMatchObject({ value: 0.25, step: 1 });
    expect(data.metrics.find((m) => m.key === 'nan')?.value).toBe('NaN');
    expect(data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(data.tags).toEqual(
      expect.arrayContaining([
        { key: 'mlflow.user', value: 'edge' },
        { key: 'mlflow.runName', value: 'round-trip' },
      ]),
    );

    const history = await ok(
      server.url,
      'GET',
      `${API}/metrics/get-history?run_id=${runId}&metric_key=loss&max_results=25000`,
    );
    expect((history.metrics as Json[]).length).toBe(2); // the re-sent point was not duplicated

    // Artifact through the proxy endpoints.
    const bytes = new TextEncoder().encode('hello from mlflow-edge\n');
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${runId}/artifacts/a.txt`, {
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain' },
      body: bytes,
    });
    expect(put.status).toBe(200);
    expect(await put.text()).toBe(''); // uvicorn artifact router: 200 with an EMPTY body, not {}

    const listed = await ok(server.url, 'GET', `${API}/artifacts/list?run_id=${runId}`);
    expect(listed.root_uri).toBe(info.artifact_uri);
    expect(listed.files).toEqual([{ path: 'a.txt', is_dir: false, file_size: bytes.length }]);
    const listedProxy = await ok(
      server.url,
      'GET',
      `/api/2.0/mlflow-artifacts/artifacts?path=${exp}/${runId}/artifacts`,
    );
    expect(listedProxy.files).toEqual([{ path: 'a.txt', is_dir: false, file_size: bytes.length }]);
    const dl = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${runId}/artifacts/a.txt`);
    expect(dl.status).toBe(200);
    expect(await dl.text()).toBe('hello from mlflow-edge\n');
  });

  it('dropResponse: runs/create fails at the client, yet the server created the run', { timeout: T }, async () => {
    const exp = await newExperiment(server.url, 'drop');
    const proxy = await startFaultProxy({ target: server.url, seed: 1, rates: { dropResponse: 1 } });
    try {
      const attempt = fetch(`${proxy.url}${API}/runs/create`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          experiment_id: exp,
          start_time: Date.now(),
          tags: [{ key: 'sync.local_run_id', value: 'lost-1' }],
        }),
      });
      const err = await attempt.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TypeError); // undici: "fetch failed" (cause: other side closed)
      expect(proxy.stats.dropResponse).toBe(1);
      expect(proxy.stats.forwarded).toBe(1);
      const runs = await searchByTag(server.url, exp, 'sync.local_run_id', 'lost-1');
      expect(runs.length).toBe(1);
    } finally {
      await proxy.stop();
    }
  });

  it('injects 500/503/429 with CORS headers, resets, and never faults preflights', { timeout: T }, async () => {
    const exp = await newExperiment(server.url, 'faults');
    const proxy = await startFaultProxy({ target: server.url, seed: 42, rates: {} });
    const body = (tag: string) => ({
      experiment_id: exp,
      start_time: Date.now(),
      tags: [{ key: 'sync.local_run_id', value: tag }],
    });
    try {
      for (const [rate, status, code] of [
        ['status500', 500, 'INTERNAL_ERROR'],
        ['status503', 503, 'TEMPORARILY_UNAVAILABLE'],
        ['status429', 429, 'REQUEST_LIMIT_EXCEEDED'],
      ] as const) {
        proxy.setRates({ [rate]: 1 });
        const r = await call(proxy.url, 'POST', `${API}/runs/create`, body(rate), { Origin: FOREIGN });
        expect(r.status).toBe(status);
        expect(r.json).toEqual({ error_code: code, message: 'injected' });
        expect(r.headers.get('access-control-allow-origin')).toBe(FOREIGN);
        expect(r.headers.get('access-control-allow-credentials')).toBe('true');
        expect(r.headers.get('retry-after')).toBe(status === 429 ? '1' : null);
        expect(await searchByTag(server.url, exp, 'sync.local_run_id', rate)).toEqual([]);
      }

      proxy.setRates({ reset: 1 });
      const err = await fetch(`${proxy.url}${API}/runs/create`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body('reset')),
      }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TypeError);
      expect(await searchByTag(server.url, exp, 'sync.local_run_id', 'reset')).toEqual([]);

      // Preflights are forwarded untouched even when every other request is faulted.
      proxy.setRates({ status500: 1 });
      const pre = await fetch(`${proxy.url}${API}/runs/create`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'http://localhost:4310',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type',
        },
      });
      expect(pre.status).toBe(200); // Starlette's CORSMiddleware answers preflights itself: 200, not 204
      expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:4310');
      expect(proxy.stats.status500).toBe(1); // the earlier status500 round only; the preflight drew no fate

      // Normal forwarding keeps status, body and the server's CORS headers.
      proxy.setRates({ delay: 1, delayMs: [10, 20] });
      const fwd = await call(proxy.url, 'POST', `${API}/runs/create`, body('through'), {
        Origin: 'http://localhost:4310',
      });
      expect(fwd.status).toBe(200);
      expect(fwd.headers.get('access-control-allow-origin')).toBe('http://localhost:4310');
      expect(await searchByTag(server.url, exp, 'sync.local_run_id', 'through')).toHaveLength(1);

      // A multi-MB streamed upload goes through intact.
      proxy.setRates({});
      const big = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
      const runId = ((await searchByTag(server.url, exp, 'sync.local_run_id', 'through'))[0]!.info as Json)
        .run_id as string;
      const put = await fetch(`${proxy.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${runId}/artifacts/big.bin`, {
        method: 'PUT',
        body: big,
      });
      expect(put.status).toBe(200);
      const back = new Uint8Array(
        await (
          await fetch(`${proxy.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${runId}/artifacts/big.bin`)
        ).arrayBuffer(),
      );
      expect(back.length).toBe(big.length);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(big))).toBe(0);

      expect(proxy.stats).toMatchObject({ status500: 1, status503: 1, status429: 1, reset: 1, preflight: 1, delay: 1 });
      console.log('[harness] proxy stats', JSON.stringify(proxy.stats));
    } finally {
      await proxy.stop();
    }
  });

  it('seeded fates are deterministic', { timeout: T }, async () => {
    const fates = async () => {
      const proxy = await startFaultProxy({ target: server.url, seed: 7, rates: { status500: 0.3, status503: 0.3 } });
      const seen: number[] = [];
      for (let i = 0; i < 20; i++) seen.push((await fetch(`${proxy.url}/health`)).status);
      await proxy.stop();
      return seen;
    };
    const a = await fates();
    expect(a).toEqual(await fates());
    expect(new Set(a)).toEqual(new Set([200, 500, 503]));
  });

  it('CORS by default: foreign-origin writes are refused, localhost origins allowed', { timeout: T }, async () => {
    const exp = await newExperiment(server.url, 'cors-default');
    const create = (origin: string) =>
      call(
        server.url,
        'POST',
        `${API}/runs/create`,
        { experiment_id: exp, start_time: Date.now() },
        { Origin: origin },
      );

    const foreign = await create(FOREIGN);
    expect(foreign.status).toBe(403);
    expect(foreign.text).toBe('Cross-origin request blocked');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    for (const origin of ['http://localhost:4310', 'http://127.0.0.1:4310']) {
      const r = await create(origin);
      expect(r.status).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toBe(origin);
      expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    }

    const preflight = await fetch(`${server.url}${API}/runs/create`, {
      method: 'OPTIONS',
      headers: {
        Origin: FOREIGN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    const preflightLocal = await fetch(`${server.url}${API}/runs/create`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:4310',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,authorization',
      },
    });
    const get = await fetch(`${server.url}${API}/experiments/get?experiment_id=${exp}`, {
      headers: { Origin: FOREIGN },
    });
    console.log(
      '[harness] default CORS, foreign preflight',
      preflight.status,
      JSON.stringify(corsHeaders(preflight.headers)),
      await preflight.text(),
    );
    console.log(
      '[harness] default CORS, localhost preflight',
      preflightLocal.status,
      JSON.stringify(corsHeaders(preflightLocal.headers)),
    );
    console.log('[harness] default CORS, foreign GET', get.status, JSON.stringify(corsHeaders(get.headers)));
    expect(preflight.status).toBe(400); // Starlette CORSMiddleware: "Disallowed CORS origin"
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflightLocal.status).toBe(200);
    expect(preflightLocal.headers.get('access-control-allow-origin')).toBe('http://localhost:4310');
    expect(preflightLocal.headers.get('access-control-allow-credentials')).toBe('true');
    expect(get.status).toBe(200); // GETs are not blocked server-side...
    expect(get.headers.get('access-control-allow-origin')).toBeNull(); // ...but a browser can't read them
  });
});

describe('server with --cors-allowed-origins', () => {
  let server: MlflowServer;
  beforeAll(async () => {
    const t0 = Date.now();
    server = await startMlflowServer({ corsAllowedOrigins: [FOREIGN] });
    console.log(`[harness] mlflow server (cors) healthy after ${Date.now() - t0} ms`);
  }, T);
  afterAll(async () => {
    await server?.stop();
  }, T);

  it('accepts writes from the configured origin and answers its preflight', { timeout: T }, async () => {
    const exp = await newExperiment(server.url, 'cors-allowed');
    const r = await call(
      server.url,
      'POST',
      `${API}/runs/create`,
      { experiment_id: exp, start_time: Date.now() },
      { Origin: FOREIGN },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe(FOREIGN);
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');

    const other = await call(
      server.url,
      'POST',
      `${API}/runs/create`,
      { experiment_id: exp, start_time: Date.now() },
      { Origin: 'http://127.0.0.3:4310' },
    );
    expect(other.status).toBe(403);

    const preflight = await fetch(`${server.url}${API}/runs/log-batch`, {
      method: 'OPTIONS',
      headers: {
        Origin: FOREIGN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,authorization',
      },
    });
    const get = await fetch(`${server.url}${API}/experiments/get?experiment_id=${exp}`, {
      headers: { Origin: FOREIGN },
    });
    console.log('[harness] allowed-origin preflight', preflight.status, JSON.stringify(corsHeaders(preflight.headers)));
    console.log('[harness] allowed-origin GET', get.status, JSON.stringify(corsHeaders(get.headers)));
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(FOREIGN);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe(FOREIGN);
  });
});

describe('basic-auth server', () => {
  let server: MlflowServer;
  beforeAll(async () => {
    const t0 = Date.now();
    server = await startMlflowServer({ basicAuth: true });
    console.log(`[harness] mlflow server (basic-auth) healthy after ${Date.now() - t0} ms`);
  }, T);
  afterAll(async () => {
    await server?.stop();
  }, T);

  it('answers 401 without credentials and 200 with ADMIN', { timeout: T }, async () => {
    const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    const path = `${API}/experiments/search`;
    const body = { max_results: 10 };

    const anon = await call(server.url, 'POST', path, body);
    console.log(
      '[harness] basic-auth, no credentials',
      anon.status,
      JSON.stringify(Object.fromEntries(anon.headers)),
      anon.text.slice(0, 200),
    );
    expect(anon.status).toBe(401);
    expect((await call(server.url, 'POST', path, body, basic(ADMIN.username, 'wrong-password-123'))).status).toBe(401);
    expect((await call(server.url, 'POST', path, body, basic(ADMIN.username, ADMIN.password))).status).toBe(200);
    const created = await call(
      server.url,
      'POST',
      `${API}/experiments/create`,
      { name: 'auth-exp' },
      basic(ADMIN.username, ADMIN.password),
    );
    expect(created.status).toBe(200);
    expect((await fetch(`${server.url}/health`)).status).toBe(200); // /health stays open

    // What a browser page on a localhost origin would see.
    const LOCAL = 'http://localhost:4310';
    const anonCors = await call(server.url, 'POST', path, body, { Origin: LOCAL });
    console.log(
      '[harness] basic-auth, 401 to a localhost origin',
      anonCors.status,
      JSON.stringify(corsHeaders(anonCors.headers)),
      'www-authenticate:',
      anonCors.headers.get('www-authenticate'),
    );
    expect(anonCors.status).toBe(401);
    const pre = await fetch(`${server.url}${path}`, {
      method: 'OPTIONS',
      headers: {
        Origin: LOCAL,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    console.log(
      '[harness] basic-auth, preflight without credentials',
      pre.status,
      JSON.stringify(corsHeaders(pre.headers)),
    );
    expect(pre.status).toBe(200); // preflights are answered before authentication
    expect(pre.headers.get('access-control-allow-origin')).toBe(LOCAL);

    // Artifacts and run creation with the admin credentials.
    const admin = basic(ADMIN.username, ADMIN.password);
    const exp = created.json!.experiment_id as string;
    const run = await call(
      server.url,
      'POST',
      `${API}/runs/create`,
      { experiment_id: exp, start_time: Date.now() },
      admin,
    );
    expect(run.status).toBe(200);
    const runId = ((run.json!.run as Json).info as Json).run_id as string;
    const artifact = `${server.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${runId}/artifacts/a.txt`;
    expect((await fetch(artifact, { method: 'PUT', body: 'x' })).status).toBe(401);
    expect((await fetch(artifact, { method: 'PUT', body: 'x', headers: admin })).status).toBe(200);
    expect(await (await fetch(artifact, { headers: admin })).text()).toBe('x');
  });

  it('REST helpers send the admin credentials; restart({ wipe: true }) empties the tracking data and keeps the users', {
    timeout: 2 * T,
  }, async () => {
    expect(server.auth).toEqual(ADMIN);
    const port = server.port;
    const created = await call(
      server.url,
      'POST',
      `${API}/experiments/create`,
      { name: 'auth-delete' },
      authHeaders(server),
    );
    const id = created.json!.experiment_id as string;
    await expect(deleteExperiment({ url: server.url }, id)).rejects.toThrow(/-> 401/);
    await deleteExperiment(server, id);
    const stage = async () =>
      (
        (await call(server.url, 'GET', `${API}/experiments/get?experiment_id=${id}`, undefined, authHeaders(server)))
          .json!.experiment as Json
      ).lifecycle_stage;
    expect(await stage()).toBe('deleted');
    expect(await experimentIdByName(server, 'auth-delete')).toBe(id);
    await restoreExperiment(server, id);
    expect(await stage()).toBe('active');

    const t0 = Date.now();
    await server.restart({ wipe: true });
    console.log(`[harness] basic-auth restart({ wipe: true }) took ${Date.now() - t0} ms`);
    expect(server.port).toBe(port);
    expect(await experimentIdByName(server, 'auth-delete')).toBeUndefined();
    expect((await call(server.url, 'POST', `${API}/experiments/search`, { max_results: 10 })).status).toBe(401);
    const search = await call(
      server.url,
      'POST',
      `${API}/experiments/search`,
      { max_results: 10 },
      authHeaders(server),
    );
    expect(search.status).toBe(200);
    expect((search.json!.experiments as Json[]).map((e) => e.name)).toEqual(['Default']);
  });
});
