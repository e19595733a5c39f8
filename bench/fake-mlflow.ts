// A minimal MLflow tracking server in the bench process, for sync figures at
// sizes a real server cannot take here in bench time (uploading 10,000 runs
// to `mlflow server` on SQLite takes tens of minutes on this VM). It answers
// the endpoints sync uses with MLflow-shaped JSON, in memory, in O(1) or
// O(answer) per request, so the figures measured against it are the
// client's own cost:
//   GET /version, experiments/get, experiments/get-by-name, experiments/create,
//   runs/create, runs/log-batch, runs/update, runs/get, runs/delete,
//   runs/search (`attributes.run_id IN (...)`, the client-id tag searches),
//   artifacts/list (no files), with CORS for the page origin (preflight too).
// It is not a test double of MLflow's semantics beyond what a clean sync
// needs: no lies, no errors but RESOURCE_DOES_NOT_EXIST/ALREADY_EXISTS.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Metric {
  key: string;
  value: number | string;
  step: number;
  timestamp: number;
}
interface FakeRun {
  info: {
    run_id: string;
    run_uuid: string;
    experiment_id: string;
    run_name: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    lifecycle_stage: string;
    artifact_uri: string;
  };
  params: Map<string, string>;
  tags: Map<string, string>;
  latest: Map<string, Metric>;
}

export interface FakeMlflow {
  url: string;
  /** Requests answered, by endpoint. */
  counts: Map<string, number>;
  /** When each endpoint was first and last asked (Date.now()), for a timeline of a pass. */
  seen: Map<string, { first: number; last: number }>;
  runs(): number;
  stop(): Promise<void>;
}

const CLIENT_TAG = 'mlflow-edge.clientRunId';
const later = (a: Metric, b: Metric) =>
  a.step !== b.step
    ? a.step > b.step
    : a.timestamp !== b.timestamp
      ? a.timestamp > b.timestamp
      : Number(a.value) > Number(b.value);

export async function startFakeMlflow(pageOrigin: string): Promise<FakeMlflow> {
  const created = Date.now();
  const experiments = new Map([
    [
      '0',
      {
        experiment_id: '0',
        name: 'Default',
        lifecycle_stage: 'active',
        creation_time: created,
        last_update_time: created,
        artifact_location: 'mlflow-artifacts:/0',
      },
    ],
  ]);
  const byName = new Map([['Default', '0']]);
  const runs = new Map<string, FakeRun>();
  const byClient = new Map<string, string[]>();
  const counts = new Map<string, number>();
  const seen = new Map<string, { first: number; last: number }>();
  let nextRun = 0;

  const runJson = (x: FakeRun) => ({
    info: { ...x.info },
    data: {
      params: [...x.params].map(([key, value]) => ({ key, value })),
      tags: [...x.tags].map(([key, value]) => ({ key, value })),
      metrics: [...x.latest.values()],
    },
  });
  const notFound = (message: string): [number, unknown] => [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message }];

  function search(b: Record<string, unknown>): FakeRun[] {
    const filter = String(b.filter ?? '');
    const wanted = new Set((b.experiment_ids as string[] | undefined) ?? []);
    const all = String(b.run_view_type ?? 'ACTIVE_ONLY') === 'ALL';
    let m: RegExpExecArray | null;
    let found: FakeRun[];
    if ((m = /attributes\.run_id\s+IN\s+\(([^)]*)\)/i.exec(filter))) {
      found = [...m[1]!.matchAll(/'([^']*)'/g)]
        .map((g) => runs.get(g[1]!))
        .filter((x): x is FakeRun => x !== undefined);
    } else if ((m = new RegExp(`tags\\.\`${CLIENT_TAG.replaceAll('.', '\\.')}\`\\s*=\\s*'([^']*)'`).exec(filter))) {
      found = (byClient.get(m[1]!) ?? []).map((id) => runs.get(id)!);
    } else if (filter.includes(`tags.\`${CLIENT_TAG}\` LIKE '%'`)) {
      found = [...byClient.values()].flat().map((id) => runs.get(id)!);
    } else {
      throw new Error(`fake MLflow: unsupported filter ${filter}`);
    }
    const status = /attributes\.status\s*=\s*'([A-Z]+)'/.exec(filter)?.[1];
    return found.filter(
      (x) =>
        wanted.has(x.info.experiment_id) &&
        (all || x.info.lifecycle_stage === 'active') &&
        (status === undefined || x.info.status === status),
    );
  }

  function answer(method: string, path: string, b: Record<string, unknown>): [number, unknown] {
    switch (`${method} ${path}`) {
      case 'GET experiments/get': {
        const e = experiments.get(String(b.experiment_id));
        return e ? [200, { experiment: e }] : notFound(`No Experiment with id=${String(b.experiment_id)} exists`);
      }
      case 'GET experiments/get-by-name': {
        const id = byName.get(String(b.experiment_name));
        return id !== undefined
          ? [200, { experiment: experiments.get(id) }]
          : notFound(`Could not find experiment with name '${String(b.experiment_name)}'`);
      }
      case 'POST experiments/create': {
        const name = String(b.name);
        if (byName.has(name))
          return [400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: `Experiment '${name}' already exists.` }];
        const id = String(experiments.size);
        const now = Date.now();
        experiments.set(id, {
          experiment_id: id,
          name,
          lifecycle_stage: 'active',
          creation_time: now,
          last_update_time: now,
          artifact_location: `mlflow-artifacts:/${id}`,
        });
        byName.set(name, id);
        return [200, { experiment_id: id }];
      }
      case 'POST runs/create': {
        const e = experiments.get(String(b.experiment_id));
        if (e === undefined) return notFound(`No Experiment with id=${String(b.experiment_id)} exists`);
        const runId = (++nextRun).toString(16).padStart(32, '0');
        const tags = new Map(
          ((b.tags as { key: string; value: string }[] | undefined) ?? []).map(
            (t) => [t.key, t.value] as [string, string],
          ),
        );
        const runName = String(b.run_name ?? `run-${nextRun}`);
        tags.set('mlflow.runName', runName);
        const user = String(b.user_id ?? '');
        if (user) tags.set('mlflow.user', user);
        const x: FakeRun = {
          info: {
            run_id: runId,
            run_uuid: runId,
            experiment_id: e.experiment_id,
            run_name: runName,
            user_id: user,
            status: 'RUNNING',
            start_time: Number(b.start_time ?? Date.now()),
            lifecycle_stage: 'active',
            artifact_uri: `mlflow-artifacts:/${e.experiment_id}/${runId}/artifacts`,
          },
          params: new Map(),
          tags,
          latest: new Map(),
        };
        runs.set(runId, x);
        const client = tags.get(CLIENT_TAG);
        if (client !== undefined) byClient.set(client, [...(byClient.get(client) ?? []), runId]);
        return [200, { run: runJson(x) }];
      }
      case 'GET runs/get': {
        const x = runs.get(String(b.run_id));
        return x ? [200, { run: runJson(x) }] : notFound(`Run with id=${String(b.run_id)} not found`);
      }
      case 'POST runs/delete': {
        const x = runs.get(String(b.run_id));
        if (x === undefined) return notFound(`Run with id=${String(b.run_id)} not found`);
        x.info.lifecycle_stage = 'deleted';
        return [200, {}];
      }
      case 'POST runs/update': {
        const x = runs.get(String(b.run_id));
        if (x === undefined) return notFound(`Run with id=${String(b.run_id)} not found`);
        if (b.status !== undefined) x.info.status = String(b.status);
        if (b.end_time !== undefined) x.info.end_time = Number(b.end_time);
        return [200, { run_info: { ...x.info } }];
      }
      case 'POST runs/log-batch': {
        const x = runs.get(String(b.run_id));
        if (x === undefined) return notFound(`Run with id=${String(b.run_id)} not found`);
        for (const p of (b.params as { key: string; value: string }[] | undefined) ?? []) x.params.set(p.key, p.value);
        for (const t of (b.tags as { key: string; value: string }[] | undefined) ?? []) x.tags.set(t.key, t.value);
        for (const m of (b.metrics as Metric[] | undefined) ?? []) {
          const point = { key: m.key, value: m.value, step: Number(m.step ?? 0), timestamp: Number(m.timestamp) };
          const old = x.latest.get(m.key);
          if (old === undefined || later(point, old)) x.latest.set(m.key, point);
        }
        return [200, {}];
      }
      case 'POST runs/search': {
        const found = search(b);
        const max = Number(b.max_results ?? 1000);
        const start = Number(b.page_token ?? 0);
        const page = found.slice(start, start + max);
        const out: Record<string, unknown> = { runs: page.map(runJson) };
        if (start + max < found.length) out.next_page_token = String(start + max);
        return [200, out];
      }
      case 'GET artifacts/list':
        return runs.has(String(b.run_id))
          ? [200, { files: [] }]
          : notFound(`Run with id=${String(b.run_id)} not found`);
      default:
        return [404, { error_code: 'ENDPOINT_NOT_FOUND', message: `fake MLflow: no ${method} ${path}` }];
    }
  }

  const cors = {
    'Access-Control-Allow-Origin': pageOrigin,
    'Access-Control-Allow-Methods': 'GET, POST, PATCH, PUT, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, Authorization',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const prefix = '/api/2.0/mlflow/';
    const endpoint = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
    const now = Date.now();
    const s = seen.get(endpoint);
    if (s === undefined) seen.set(endpoint, { first: now, last: now });
    else s.last = now;
    if (url.pathname === '/version') {
      res.writeHead(200, { ...cors, 'Content-Type': 'text/plain' }).end('3.17.2');
      return;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const body =
      method === 'GET'
        ? Object.fromEntries(url.searchParams)
        : text
          ? (JSON.parse(text) as Record<string, unknown>)
          : {};
    const [status, json] = answer(method, endpoint, body);
    res.writeHead(status, { ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify(json));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res
        .writeHead(500, { ...cors, 'Content-Type': 'application/json' })
        .end(JSON.stringify({ error_code: 'INTERNAL_ERROR', message: String(error) }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    seen,
    runs: () => runs.size,
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
