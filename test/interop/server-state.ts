/**
 * Reads back, over MLflow's REST API, what a server holds for the runs of an
 * experiment, in a shape the tests compare with what the browser logged.
 */
export interface PointSnapshot {
  step: number;
  value: number;
  timestamp: number;
}

export interface RunSnapshot {
  clientId: string;
  runId: string;
  name: string;
  status: string;
  startTime: number;
  endTime?: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, PointSnapshot[]>;
  /** path → bytes as hex */
  artifacts: Record<string, string>;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export class ServerReader {
  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  private async get(path: string, query: Record<string, string>): Promise<Json> {
    const response = await fetch(`${this.url}/api/2.0/mlflow/${path}?${new URLSearchParams(query)}`, {
      headers: this.headers,
    });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Json>;
  }

  private async post(path: string, body: unknown): Promise<Json> {
    const response = await fetch(`${this.url}/api/2.0/mlflow/${path}`, {
      method: 'POST',
      headers: { ...this.headers, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Json>;
  }

  /** The experiment's active runs (or, with 'DELETED_ONLY', its deleted ones), fully read. Empty when the experiment does not exist. */
  async runs(experimentName: string, view: 'ACTIVE_ONLY' | 'DELETED_ONLY' = 'ACTIVE_ONLY'): Promise<RunSnapshot[]> {
    let experimentId: string;
    try {
      experimentId = (await this.get('experiments/get-by-name', { experiment_name: experimentName })).experiment
        .experiment_id;
    } catch {
      return [];
    }
    const runs: Json[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.post('runs/search', {
        experiment_ids: [experimentId],
        max_results: 1000,
        run_view_type: view,
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      runs.push(...(page.runs ?? []));
      pageToken = page.next_page_token;
    } while (pageToken);
    return Promise.all(runs.map((run) => this.snapshot(run)));
  }

  private async snapshot(run: Json): Promise<RunSnapshot> {
    const info = run.info;
    const data = run.data ?? {};
    const tags: Record<string, string> = Object.fromEntries((data.tags ?? []).map((t: Json) => [t.key, t.value]));
    const metrics: Record<string, PointSnapshot[]> = {};
    for (const { key } of data.metrics ?? []) metrics[key] = await this.history(info.run_id, key);
    const snap: RunSnapshot = {
      clientId: tags['mlflow-edge.clientRunId'] ?? '',
      runId: info.run_id,
      name: info.run_name,
      status: info.status,
      startTime: Number(info.start_time),
      params: Object.fromEntries((data.params ?? []).map((p: Json) => [p.key, p.value])),
      tags,
      metrics,
      artifacts: await this.artifacts(info.run_id, info.artifact_uri, ''),
    };
    if (info.end_time !== undefined) snap.endTime = Number(info.end_time);
    return snap;
  }

  private async history(runId: string, key: string): Promise<PointSnapshot[]> {
    const out: PointSnapshot[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.get('metrics/get-history', {
        run_id: runId,
        metric_key: key,
        max_results: '25000',
        ...(pageToken ? { page_token: pageToken } : {}),
      });
      for (const m of page.metrics ?? [])
        out.push({ step: Number(m.step ?? 0), value: decodeDouble(m.value), timestamp: Number(m.timestamp) });
      pageToken = page.next_page_token;
    } while (pageToken);
    return out;
  }

  private async artifacts(runId: string, artifactUri: string, dir: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const listing = await this.get('artifacts/list', dir ? { run_id: runId, path: dir } : { run_id: runId });
    for (const f of listing.files ?? []) {
      if (f.is_dir) Object.assign(out, await this.artifacts(runId, artifactUri, f.path));
      else {
        const path = String(artifactUri).replace(/^mlflow-artifacts:\/*/, '');
        const url = `${this.url}/api/2.0/mlflow-artifacts/artifacts/${path}/${String(f.path).split('/').map(encodeURIComponent).join('/')}`;
        const response = await fetch(url, { headers: this.headers });
        if (!response.ok) throw new Error(`artifact ${f.path}: ${response.status}`);
        out[f.path] = Buffer.from(await response.arrayBuffer()).toString('hex');
      }
    }
    return out;
  }
}

/** The SQL store returns ±Infinity as ±Number.MAX_VALUE and NaN as "NaN". */
export function decodeDouble(value: unknown): number {
  if (value === 'NaN') return NaN;
  if (value === 'Infinity' || value === Number.MAX_VALUE) return Infinity;
  if (value === '-Infinity' || value === -Number.MAX_VALUE) return -Infinity;
  return Number(value);
}

/** MLflow returns a history ordered by (timestamp, step, value); order the local one the same way to compare. */
export function serverOrder(points: readonly PointSnapshot[]): PointSnapshot[] {
  const v = (x: number) => (Number.isNaN(x) ? 0 : x);
  return [...points].sort((a, b) => a.timestamp - b.timestamp || a.step - b.step || v(a.value) - v(b.value));
}
