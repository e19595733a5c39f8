/**
 * An MLflow tracking server in memory, reached through a stubbed global
 * fetch: the REST endpoints sync uses (experiments, runs, log-batch, the
 * artifact proxy, artifacts/list, metrics/get-history, /version, MLflow 3's
 * logged models and the model registry; `mlflow2` makes it an MLflow 2
 * server without logged models), with MLflow's answers and error bodies, and
 * hooks to lie the ways real networks and servers do (captive portals, empty
 * answers, redirects, proxy errors, answers lost after the server applied the
 * request, a proxy's `{}` for a request it never forwarded, a wiped or
 * restored database, deleted runs).
 * Milliseconds per test; no sockets.
 */
import { vi } from 'vitest';

export interface FakeRun {
  info: {
    run_id: string;
    experiment_id: string;
    run_name: string;
    status: string;
    start_time: number;
    end_time?: number;
    lifecycle_stage: string;
    artifact_uri: string;
  };
  params: Map<string, string>;
  tags: Map<string, string>;
  metrics: { key: string; value: number | string; step: number; timestamp: number }[];
  /** runs/log-inputs: MLflow's DatasetInput messages, one per dataset (name, digest). */
  inputs?: { tags?: { key: string; value: string }[]; dataset: Record<string, string> }[];
  /** runs/log-inputs `models` (MLflow 3): logged model ids the run used. */
  modelInputs?: string[];
}

export interface FakeRequest {
  method: string;
  /** Path after the host, e.g. `/api/2.0/mlflow/runs/log-batch`. */
  path: string;
  /** The endpoint under /api/2.0/mlflow/ (e.g. `runs/log-batch`), or the path for others. */
  endpoint: string;
  host: string;
  body: unknown;
  headers: Headers;
}

/** What a lie does: answer instead of the server ('instead'), or after the server applied the request ('after'). */
export interface Lie {
  match: (r: FakeRequest) => boolean;
  when: 'instead' | 'after';
  answer: (r: FakeRequest) => Response | Promise<Response>;
  /** How many requests to lie to (default: all that match). */
  times?: number;
  /** How many matching requests pass untouched before the lie starts (default 0). */
  skip?: number;
}

/** A well-formed MLflow answer (`{}`, as log-batch sends) from a proxy that never forwarded the request. */
export const acknowledged = () => json({});

export const html = (
  status: number,
  body = '<html><body><h1>Welcome to Airport Wi-Fi</h1>Please sign in.</body></html>',
) => new Response(body, { status, headers: { 'Content-Type': 'text/html' } });

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const mlflowError = (status: number, code: string, message: string) => json({ error_code: code, message }, status);

export interface FakeLoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    artifact_uri: string;
    status: string;
    creation_timestamp_ms: number;
    source_run_id?: string;
    tags: { key: string; value: string }[];
  };
  /** MLflow 3's LoggedModelData: params (create, logged-models/{id}/params) and the metric points log-batch linked by model_id. */
  data: {
    params: { key: string; value: string }[];
    metrics: {
      key: string;
      value: number | string;
      step: number;
      timestamp: number;
      run_id: string;
      model_id: string;
    }[];
  };
}

export interface FakeVersion {
  name: string;
  version: string;
  source: string;
  run_id?: string;
  model_id?: string;
  status: string;
  tags: { key: string; value: string }[];
}

export interface FakeExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  creation_time: number;
  artifact_location?: string;
  tags?: { key: string; value: string }[];
}

interface Database {
  createdAt: number;
  experiments: Map<string, FakeExperiment>;
  runs: Map<string, FakeRun>;
  files: Map<string, Uint8Array>;
  nextExperiment: number;
  /** Logged models by id (deleted ones are removed: MLflow's get answers 404 for them). */
  models: Map<string, FakeLoggedModel>;
  /** runs/outputs links: run id → model ids. */
  outputs: Map<string, string[]>;
  /** Registered models by name: alias → version. */
  registered: Map<string, { name: string; aliases: Map<string, string> }>;
  /** Model versions by `name\u0000version`. */
  versions: Map<string, FakeVersion>;
}

/**
 * A point as MLflow's SQL store keys it: (key, timestamp, step, value, is_nan),
 * NaN stored as 0 with is_nan, ±Infinity as ±1.7976931348623157e308, -0 as 0.
 */
function pointKey(m: { key: string; value: number | string; step: number; timestamp: number }): string {
  const v = Number(m.value);
  const value = Number.isNaN(v) ? 'nan' : String(Math.min(Math.max(v, -Number.MAX_VALUE), Number.MAX_VALUE) + 0);
  return `${m.key}\u0000${m.timestamp}\u0000${m.step}\u0000${value}`;
}

let dbCounter = 0;
function newDatabase(): Database {
  const createdAt = 1_700_000_000_000 + ++dbCounter;
  return {
    createdAt,
    experiments: new Map([
      ['0', { experiment_id: '0', name: 'Default', lifecycle_stage: 'active', creation_time: createdAt }],
    ]),
    runs: new Map(),
    files: new Map(),
    nextExperiment: 1,
    models: new Map(),
    outputs: new Map(),
    registered: new Map(),
    versions: new Map(),
  };
}

export class ScriptedMlflow {
  /** Hosts (e.g. `mlflow.test`) this server answers; others fail as a dead port would. */
  readonly hosts = new Set<string>();
  db: Database = newDatabase();
  lies: Lie[] = [];
  requests: FakeRequest[] = [];
  /** Each runs/create is applied this many times (a browser resending a create whose connection dropped). */
  createCopies = 1;
  /** An experiment name whose runs the server refuses to create (as for a deleted experiment). */
  refuseRunsIn: string | undefined;
  /** Params the server silently drops (a server that mangles what it is sent). */
  dropParams = new Set<string>();
  /**
   * MLflow 2's SQL store: a log-batch repeating a NaN point it already stores
   * is refused whole (its duplicate check compares NaN with NaN, so the insert
   * hits the primary key), as 400 BAD_REQUEST with the database's error.
   */
  refusesRepeatedNaN = false;
  /** Dataset names whose runs/log-inputs the server refuses (400 INVALID_PARAMETER_VALUE), as for a field too long. */
  refuseDatasets = new Set<string>();
  /** An MLflow 2 server: /version says 2.22.1 and there are no logged-model routes. */
  mlflow2 = false;
  private runCounter = 0;
  private modelCounter = 0;
  private readonly points = new WeakMap<FakeRun, Set<string>>();
  private readonly restore: () => void;

  constructor(host = 'mlflow.test') {
    this.hosts.add(host);
    const real = globalThis.fetch;
    const stub = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => this.handle(input, init));
    globalThis.fetch = stub as typeof fetch;
    this.restore = () => (globalThis.fetch = real);
  }

  get url(): string {
    return `http://${[...this.hosts][0]}`;
  }

  stop(): void {
    this.restore();
  }

  lie(l: Lie): void {
    this.lies.push(l);
  }

  /** The server comes back on an empty database (a new identity). */
  wipe(): void {
    this.db = newDatabase();
  }

  backup(): Database {
    return structuredClone(this.db);
  }

  restoreBackup(b: Database): void {
    this.db = structuredClone(b);
  }

  /** Logged models carrying this client id tag. */
  modelsTagged(clientId: string): FakeLoggedModel[] {
    return [...this.db.models.values()].filter((m) =>
      m.info.tags.some((t) => t.key === 'mlflow-edge.clientModelId' && t.value === clientId),
    );
  }

  /** Versions of a registered model, in version order. */
  versionsOf(name: string): FakeVersion[] {
    return [...this.db.versions.values()]
      .filter((v) => v.name === name)
      .sort((a, b) => Number(a.version) - Number(b.version));
  }

  /** Files under an artifact URI, by relative path. */
  filesUnder(artifactUri: string): Map<string, Uint8Array> {
    const root = artifactUri.replace(/^mlflow-artifacts:\/*/, '');
    return new Map(
      [...this.db.files].filter(([p]) => p.startsWith(`${root}/`)).map(([p, b]) => [p.slice(root.length + 1), b]),
    );
  }

  experimentByName(name: string) {
    return [...this.db.experiments.values()].find((e) => e.name === name);
  }

  /** Active runs of an experiment, by the client id tag. */
  runsOf(experimentName: string, stage = 'active'): FakeRun[] {
    const e = this.experimentByName(experimentName);
    return [...this.db.runs.values()].filter(
      (r) => r.info.experiment_id === e?.experiment_id && r.info.lifecycle_stage === stage,
    );
  }

  deleteExperiment(name: string): void {
    const e = this.experimentByName(name)!;
    e.lifecycle_stage = 'deleted';
    for (const r of this.db.runs.values())
      if (r.info.experiment_id === e.experiment_id) r.info.lifecycle_stage = 'deleted';
  }

  restoreExperiment(name: string): void {
    const e = this.experimentByName(name)!;
    e.lifecycle_stage = 'active';
    for (const r of this.db.runs.values())
      if (r.info.experiment_id === e.experiment_id) r.info.lifecycle_stage = 'active';
  }

  private async handle(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.username !== '' || url.password !== '')
      throw new TypeError('Request cannot be constructed from a URL that includes credentials');
    if (!this.hosts.has(url.host)) throw new TypeError('fetch failed');
    const prefix = '/api/2.0/mlflow/';
    const method = init.method ?? 'GET';
    let body: unknown;
    if (init.body instanceof Blob) body = new Uint8Array(await init.body.arrayBuffer());
    else if (typeof init.body === 'string') body = JSON.parse(init.body);
    else body = Object.fromEntries(url.searchParams);
    const request: FakeRequest = {
      method,
      path: url.pathname,
      endpoint: url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname,
      host: url.host,
      body,
      headers: new Headers(init.headers),
    };
    this.requests.push(request);
    let lie = this.lies.find((l) => l.match(request) && (l.times === undefined || l.times > 0));
    if (lie?.skip) {
      lie.skip--;
      lie = undefined;
    }
    if (lie?.times !== undefined) lie.times--;
    if (lie?.when === 'instead') return lie.answer(request);
    const answer = this.serve(request);
    return lie?.when === 'after' ? await lie.answer(request) : answer;
  }

  private serve(r: FakeRequest): Response {
    if (r.path === '/version')
      return new Response(this.mlflow2 ? '2.22.1' : '3.17.2', {
        status: 200,
        headers: { 'Content-Type': 'text/plain' },
      });
    if (r.path.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
      const path = decodeURIComponent(r.path.slice('/api/2.0/mlflow-artifacts/artifacts/'.length));
      if (r.method === 'PUT') {
        this.db.files.set(path, r.body as Uint8Array);
        return new Response(null, { status: 200 }); // MLflow 3's answer: an empty 200
      }
      const bytes = this.db.files.get(path);
      return bytes === undefined
        ? mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `File ${path} not found`)
        : new Response(bytes as BodyInit);
    }
    const b = r.body as Record<string, unknown>;
    const run = (id: unknown) => this.db.runs.get(String(id));
    const active = (x: FakeRun) =>
      x.info.lifecycle_stage === 'active'
        ? undefined
        : mlflowError(
            400,
            'INVALID_PARAMETER_VALUE',
            `The run ${x.info.run_id} must be in the 'active' state. Current state is ${x.info.lifecycle_stage}.`,
          );
    switch (`${r.method} ${r.endpoint}`) {
      case 'GET experiments/get': {
        const e = this.db.experiments.get(String(b.experiment_id));
        return e === undefined
          ? mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${String(b.experiment_id)} exists`)
          : json({ experiment: e });
      }
      case 'GET experiments/get-by-name': {
        const e = this.experimentByName(String(b.experiment_name));
        return e === undefined
          ? mlflowError(
              404,
              'RESOURCE_DOES_NOT_EXIST',
              `Could not find experiment with name '${String(b.experiment_name)}'`,
            )
          : json({ experiment: e });
      }
      case 'POST experiments/create': {
        if (this.experimentByName(String(b.name)))
          return mlflowError(400, 'RESOURCE_ALREADY_EXISTS', `Experiment '${String(b.name)}' already exists.`);
        const id = String(this.db.nextExperiment++);
        const created: FakeExperiment = {
          experiment_id: id,
          name: String(b.name),
          lifecycle_stage: 'active',
          creation_time: Date.now(),
        };
        if (b.artifact_location !== undefined) created.artifact_location = String(b.artifact_location);
        if (Array.isArray(b.tags) && b.tags.length > 0)
          created.tags = [...(b.tags as { key: string; value: string }[])];
        this.db.experiments.set(id, created);
        return json({ experiment_id: id });
      }
      case 'POST experiments/set-experiment-tag': {
        const e = this.db.experiments.get(String(b.experiment_id));
        if (e === undefined)
          return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${String(b.experiment_id)} exists`);
        if (e.lifecycle_stage !== 'active')
          return mlflowError(
            400,
            'INVALID_PARAMETER_VALUE',
            `The experiment ${e.experiment_id} must be in the 'active' state. Current state is ${e.lifecycle_stage}.`,
          );
        e.tags = [
          ...(e.tags ?? []).filter((t) => t.key !== String(b.key)),
          { key: String(b.key), value: String(b.value) },
        ];
        return json({});
      }
      case 'POST experiments/delete':
      case 'POST experiments/restore': {
        // MLflow's SQL store looks the experiment up in the other stage only.
        const deleting = r.endpoint === 'experiments/delete';
        const e = this.db.experiments.get(String(b.experiment_id));
        if (e === undefined || e.lifecycle_stage !== (deleting ? 'active' : 'deleted'))
          return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${String(b.experiment_id)} exists`);
        if (deleting) this.deleteExperiment(e.name);
        else this.restoreExperiment(e.name);
        return json({});
      }
      case 'POST runs/restore': {
        const x = run(b.run_id);
        if (x === undefined) return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'not found');
        x.info.lifecycle_stage = 'active';
        return json({});
      }
      case 'POST runs/create': {
        const e = this.db.experiments.get(String(b.experiment_id));
        if (e === undefined) return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'No such experiment');
        if (e.lifecycle_stage !== 'active' || e.name === this.refuseRunsIn)
          return mlflowError(
            400,
            'INVALID_PARAMETER_VALUE',
            `The experiment ${e.experiment_id} must be in the 'active' state. Current state is ${e.lifecycle_stage}.`,
          );
        let created: FakeRun | undefined;
        for (let copy = 0; copy < this.createCopies; copy++) {
          const runId = (++this.runCounter).toString(16).padStart(32, '0');
          created = {
            info: {
              run_id: runId,
              experiment_id: e.experiment_id,
              run_name: String(b.run_name),
              status: 'RUNNING',
              start_time: Number(b.start_time),
              lifecycle_stage: 'active',
              artifact_uri: `mlflow-artifacts:/${e.experiment_id}/${runId}/artifacts`,
            },
            params: new Map(),
            tags: new Map([
              ...((b.tags as { key: string; value: string }[]) ?? []).map((t) => [t.key, t.value] as [string, string]),
              ['mlflow.runName', String(b.run_name)],
            ]),
            metrics: [],
          };
          this.db.runs.set(runId, created);
        }
        return json({ run: this.runJson(created!) });
      }
      case 'GET runs/get': {
        const x = run(b.run_id);
        return x === undefined
          ? mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${String(b.run_id)} not found`)
          : json({ run: this.runJson(x) });
      }
      case 'POST runs/delete': {
        const x = run(b.run_id);
        if (x === undefined) return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'not found');
        x.info.lifecycle_stage = 'deleted';
        return json({});
      }
      case 'POST runs/delete-tag': {
        const x = run(b.run_id);
        if (x === undefined)
          return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${String(b.run_id)} not found`);
        const refused = active(x);
        if (refused) return refused;
        // As MLflow's delete_tag: a tag the run does not have is refused.
        if (!x.tags.delete(String(b.key)))
          return mlflowError(
            404,
            'RESOURCE_DOES_NOT_EXIST',
            `No tag with name: ${String(b.key)} in run with id ${String(b.run_id)}`,
          );
        return json({});
      }
      case 'POST runs/update': {
        const x = run(b.run_id);
        if (x === undefined)
          return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${String(b.run_id)} not found`);
        const refused = active(x);
        if (refused) return refused;
        // As MLflow's update_run_info: each field only when sent (a rename leaves the status as it is).
        if (b.status !== undefined) x.info.status = String(b.status);
        if (b.end_time !== undefined) x.info.end_time = Number(b.end_time);
        if (b.run_name !== undefined && b.run_name !== '') {
          x.info.run_name = String(b.run_name);
          x.tags.set('mlflow.runName', String(b.run_name));
        }
        return json({ run_info: x.info });
      }
      case 'POST runs/log-batch': {
        const x = run(b.run_id);
        if (x === undefined)
          return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${String(b.run_id)} not found`);
        const refused = active(x);
        if (refused) return refused;
        const params = (b.params as { key: string; value: string }[]) ?? [];
        for (const p of params) {
          const old = x.params.get(p.key);
          if (old !== undefined && old !== p.value)
            return mlflowError(
              400,
              'INVALID_PARAMETER_VALUE',
              `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}'`,
            );
        }
        for (const p of params) if (!this.dropParams.has(p.key)) x.params.set(p.key, p.value);
        for (const t of (b.tags as { key: string; value: string }[]) ?? []) x.tags.set(t.key, t.value);
        const seen = this.pointsOf(x);
        if (
          this.refusesRepeatedNaN &&
          ((b.metrics as FakeRun['metrics']) ?? []).some((m) => Number.isNaN(Number(m.value)) && seen.has(pointKey(m)))
        ) {
          return mlflowError(
            400,
            'BAD_REQUEST',
            '(raised as a result of Query-invoked autoflush; consider using a session.no_autoflush block if this flush is occurring prematurely)\n(sqlite3.IntegrityError) UNIQUE constraint failed: metrics.key, metrics.timestamp, metrics.step, metrics.run_uuid, metrics.value, metrics.is_nan',
          );
        }
        const linked = ((b.metrics as (FakeRun['metrics'][number] & { model_id?: string })[]) ?? []).filter(
          (m) => m.model_id !== undefined,
        );
        // MLflow 3's SQL store: a point with model_id is also the model's (logged_model_metrics, keyed without the value);
        // a second value under one key fails its primary key, and MLflow 3.17.2 refuses the request whole with
        // BAD_REQUEST (checked in test/interop/model-data.spec.ts); an unknown model fails its foreign key.
        const modelKey = (m: { model_id?: string; key: string; timestamp: number; step: number }) =>
          `${m.model_id}\u0000${m.key}\u0000${m.timestamp}\u0000${m.step}`;
        for (const [i, m] of linked.entries()) {
          const model = this.db.models.get(m.model_id!);
          const clash = [
            ...(model?.data.metrics.filter((o) => o.run_id === x.info.run_id) ?? []),
            ...linked.slice(0, i),
          ].find((o) => modelKey(o) === modelKey(m) && String(o.value) !== String(m.value));
          if (model === undefined || clash !== undefined)
            return mlflowError(
              400,
              'BAD_REQUEST',
              '(sqlite3.IntegrityError) UNIQUE constraint failed: logged_model_metrics.model_id, logged_model_metrics.metric_name, logged_model_metrics.metric_timestamp_ms, logged_model_metrics.metric_step, logged_model_metrics.run_id',
            );
        }
        for (const m of (b.metrics as (FakeRun['metrics'][number] & { model_id?: string })[]) ?? []) {
          const { model_id, ...point } = m;
          const k = pointKey(point);
          if (!seen.has(k)) {
            seen.add(k);
            x.metrics.push(point);
          }
          if (model_id === undefined) continue;
          const model = this.db.models.get(model_id)!;
          if (!model.data.metrics.some((o) => o.run_id === x.info.run_id && modelKey(o) === modelKey(m)))
            model.data.metrics.push({ ...point, run_id: x.info.run_id, model_id });
        }
        return json({});
      }
      case 'POST runs/log-inputs': {
        const x = run(b.run_id);
        if (x === undefined)
          return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${String(b.run_id)} not found`);
        const refused = active(x);
        if (refused) return refused;
        const datasets = (b.datasets as NonNullable<FakeRun['inputs']>) ?? [];
        const bad = datasets.find((d) => this.refuseDatasets.has(d.dataset.name!));
        if (bad !== undefined)
          return mlflowError(
            400,
            'INVALID_PARAMETER_VALUE',
            "'schema' exceeds the maximum length of 1048575 characters",
          );
        for (const m of (b.models as { model_id: string }[] | undefined) ?? []) {
          if (!this.db.models.has(m.model_id))
            return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Logged model with ID '${m.model_id}' not found.`);
          x.modelInputs ??= [];
          if (!x.modelInputs.includes(m.model_id)) x.modelInputs.push(m.model_id);
        }
        x.inputs ??= [];
        // As MLflow's store: a dataset already linked to the run is left as it is.
        for (const d of datasets)
          if (!x.inputs.some((i) => i.dataset.name === d.dataset.name && i.dataset.digest === d.dataset.digest))
            x.inputs.push(d);
        return json({});
      }
      case 'GET metrics/get-history': {
        const x = run(b.run_id);
        if (x === undefined)
          return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${String(b.run_id)} not found`);
        // MLflow 3.2+: ordered by (timestamp, step, value), paged by an offset token when max_results is sent.
        const stored = (v: number | string) =>
          Number.isNaN(Number(v)) ? 0 : Math.min(Math.max(Number(v), -Number.MAX_VALUE), Number.MAX_VALUE);
        const all = x.metrics
          .filter((m) => m.key === String(b.metric_key))
          .sort((p, q) => p.timestamp - q.timestamp || p.step - q.step || stored(p.value) - stored(q.value));
        if (b.page_token !== undefined && this.mlflow2) {
          // MLflow 2's SQL store pages nothing and refuses a token.
          return mlflowError(
            400,
            'INVALID_PARAMETER_VALUE',
            `The SQLAlchemyStore backend does not support pagination for the \`get_metric_history\` API. Supplied argument \`page_token\` '${String(b.page_token)}' must be \`None\`.`,
          );
        }
        const offset =
          b.page_token === undefined ? 0 : (JSON.parse(atob(String(b.page_token))) as { offset: number }).offset;
        const max = b.max_results === undefined ? undefined : Number(b.max_results);
        if (max !== undefined && !(max > 0))
          return mlflowError(
            400,
            'INVALID_PARAMETER_VALUE',
            `Invalid value ${max} for parameter 'max_results' supplied. It must be a positive integer.`,
          );
        const page = all.slice(offset, max === undefined ? undefined : offset + max);
        const metrics = page.map((m) => ({
          key: m.key,
          value: Number.isNaN(Number(m.value)) ? 'NaN' : stored(m.value),
          timestamp: m.timestamp,
          step: m.step,
        }));
        const more = max !== undefined && offset + max < all.length;
        return json(
          more
            ? { metrics, next_page_token: btoa(JSON.stringify({ offset: offset + max })) }
            : metrics.length > 0
              ? { metrics }
              : {},
        );
      }
      case 'POST runs/search':
        return json({ runs: this.search(b).map((x) => this.runJson(x)) });
      case 'GET artifacts/list': {
        const x = run(b.run_id);
        if (x === undefined) return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'not found');
        return json({
          files: listDir(this.db.files, x.info.artifact_uri, b.path === undefined ? undefined : String(b.path)),
        });
      }
      case 'POST runs/outputs': {
        const x = run(b.run_id);
        if (x === undefined)
          return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${String(b.run_id)} not found`);
        const linked = this.db.outputs.get(x.info.run_id) ?? [];
        for (const m of (b.models as { model_id: string }[]) ?? [])
          if (!linked.includes(m.model_id)) linked.push(m.model_id);
        this.db.outputs.set(x.info.run_id, linked);
        return json({});
      }
      default:
        return this.serveModels(r, b);
    }
  }

  /** MLflow 3's logged models and the model registry (the registry is MLflow 2's too). */
  private serveModels(r: FakeRequest, b: Record<string, unknown>): Response {
    const notFound = () => html(404, '<html><body>Not Found</body></html>');
    const registry = this.serveRegistry(r, b);
    if (registry !== undefined) return registry;
    if (this.mlflow2) return notFound();
    const route = /^logged-models(?:\/([^/]+))?(\/artifacts\/directories|\/params)?$/.exec(r.endpoint);
    if (route === null) return notFound();
    const [, id, sub] = route;
    const listing = sub === '/artifacts/directories' ? sub : undefined;
    if (id === undefined && r.method === 'POST') {
      const e = this.db.experiments.get(String(b.experiment_id));
      if (e === undefined)
        return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${String(b.experiment_id)} exists`);
      const modelId = `m-${(++this.modelCounter).toString(16).padStart(32, '0')}`;
      const model: FakeLoggedModel = {
        info: {
          model_id: modelId,
          experiment_id: e.experiment_id,
          name: String(b.name),
          artifact_uri: `mlflow-artifacts:/${e.experiment_id}/models/${modelId}/artifacts`,
          status: 'LOGGED_MODEL_PENDING',
          creation_timestamp_ms: Date.now() + this.modelCounter,
          ...(b.source_run_id === undefined ? {} : { source_run_id: String(b.source_run_id) }),
          tags: (b.tags as { key: string; value: string }[]) ?? [],
        },
        data: { params: [...((b.params as { key: string; value: string }[]) ?? [])], metrics: [] },
      };
      this.db.models.set(modelId, model);
      return json({ model });
    }
    if (id === 'search' && r.method === 'POST') {
      const experiments = new Set((b.experiment_ids as string[]) ?? []);
      let models = [...this.db.models.values()].filter((m) => experiments.has(m.info.experiment_id));
      const tag = /^tags\.`([^`]+)`\s*=\s*'([^']*)'$/.exec(String(b.filter ?? ''));
      if (b.filter !== undefined && tag === null)
        throw new Error(`scripted MLflow: unsupported logged-model filter ${String(b.filter)}`);
      if (tag !== null) models = models.filter((m) => m.info.tags.some((t) => t.key === tag[1] && t.value === tag[2]));
      return json(models.length === 0 ? {} : { models });
    }
    const model = id === undefined ? undefined : this.db.models.get(decodeURIComponent(id));
    if (model === undefined)
      return mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Logged model with ID '${String(id)}' not found.`);
    if (listing !== undefined && r.method === 'GET') {
      const dir = b.artifact_directory_path === undefined ? undefined : String(b.artifact_directory_path);
      return json({ root_uri: model.info.artifact_uri, files: listDir(this.db.files, model.info.artifact_uri, dir) });
    }
    if (sub === '/params' && r.method === 'POST') {
      // MLflow's SQL store adds each as a row: a key it has fails the primary key, and the request with it.
      const params = (b.params as { key: string; value: string }[]) ?? [];
      if (params.some((p) => model.data.params.some((o) => o.key === p.key)))
        return mlflowError(
          400,
          'BAD_REQUEST',
          '(sqlite3.IntegrityError) UNIQUE constraint failed: logged_model_params.model_id, logged_model_params.param_key',
        );
      model.data.params.push(...params);
      return json({});
    }
    if (sub !== undefined) return notFound();
    if (r.method === 'GET') return json({ model });
    if (r.method === 'PATCH') {
      model.info.status = String(b.status);
      return json({ model });
    }
    if (r.method === 'DELETE') {
      this.db.models.delete(model.info.model_id);
      return json({});
    }
    return notFound();
  }

  private serveRegistry(r: FakeRequest, b: Record<string, unknown>): Response | undefined {
    const name = String(b.name);
    const rm = this.db.registered.get(name);
    const rmMissing = () => mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
    const version = (v: unknown) => this.db.versions.get(`${name}\u0000${String(v)}`);
    const versionJson = (v: FakeVersion) => ({
      ...v,
      aliases: [...(rm?.aliases ?? [])].filter(([, n]) => n === v.version).map(([a]) => a),
    });
    switch (`${r.method} ${r.endpoint}`) {
      case 'POST registered-models/create':
        if (rm !== undefined)
          return mlflowError(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
        this.db.registered.set(name, { name, aliases: new Map() });
        return json({ registered_model: { name } });
      case 'GET registered-models/get':
        if (rm === undefined) return rmMissing();
        return json({
          registered_model: {
            name,
            ...(rm.aliases.size === 0 ? {} : { aliases: [...rm.aliases].map(([alias, v]) => ({ alias, version: v })) }),
          },
        });
      case 'POST model-versions/create': {
        if (rm === undefined) return rmMissing();
        const next = String(Math.max(0, ...this.versionsOf(name).map((v) => Number(v.version))) + 1);
        const created: FakeVersion = {
          name,
          version: next,
          source: String(b.source),
          status: 'READY',
          tags: (b.tags as FakeVersion['tags']) ?? [],
        };
        if (b.run_id !== undefined) created.run_id = String(b.run_id);
        if (b.model_id !== undefined) created.model_id = String(b.model_id);
        this.db.versions.set(`${name}\u0000${next}`, created);
        return json({ model_version: versionJson(created) });
      }
      case 'GET model-versions/get': {
        const v = version(b.version);
        return v === undefined
          ? mlflowError(
              404,
              'RESOURCE_DOES_NOT_EXIST',
              `Model Version (name=${name}, version=${String(b.version)}) not found`,
            )
          : json({ model_version: versionJson(v) });
      }
      case 'GET model-versions/search': {
        const m = /^name = '([^']*)' AND tags\.`([^`]+)` = '([^']*)'$/.exec(String(b.filter));
        if (m === null) throw new Error(`scripted MLflow: unsupported model-version filter ${String(b.filter)}`);
        const found = [...this.db.versions.values()].filter(
          (v) => v.name === m[1] && v.tags.some((t) => t.key === m[2] && t.value === m[3]),
        );
        return json(found.length === 0 ? {} : { model_versions: found.map((v) => ({ ...v })) });
      }
      case 'DELETE model-versions/delete':
        if (version(b.version) === undefined)
          return mlflowError(
            404,
            'RESOURCE_DOES_NOT_EXIST',
            `Model Version (name=${name}, version=${String(b.version)}) not found`,
          );
        this.db.versions.delete(`${name}\u0000${String(b.version)}`);
        for (const [alias, v] of rm?.aliases ?? []) if (v === String(b.version)) rm!.aliases.delete(alias);
        return json({});
      case 'POST registered-models/alias':
        if (rm === undefined) return rmMissing();
        if (version(b.version) === undefined)
          return mlflowError(
            404,
            'RESOURCE_DOES_NOT_EXIST',
            `Model Version (name=${name}, version=${String(b.version)}) not found`,
          );
        rm.aliases.set(String(b.alias), String(b.version));
        return json({});
      case 'DELETE registered-models/alias':
        rm?.aliases.delete(String(b.alias));
        return json({});
      default:
        return undefined;
    }
  }

  /** The run's points by MLflow's primary key, for duplicate handling (rebuilt when a test edited `metrics`). */
  private pointsOf(x: FakeRun): Set<string> {
    let seen = this.points.get(x);
    if (seen === undefined || seen.size !== x.metrics.length) {
      seen = new Set(x.metrics.map(pointKey));
      this.points.set(x, seen);
    }
    return seen;
  }

  private search(b: Record<string, unknown>): FakeRun[] {
    const filter = String(b.filter ?? '');
    const experiments = new Set((b.experiment_ids as string[]) ?? []);
    const view = String(b.run_view_type ?? 'ACTIVE_ONLY');
    let runs = [...this.db.runs.values()].filter(
      (x) => experiments.has(x.info.experiment_id) && (view === 'ALL' || x.info.lifecycle_stage === 'active'),
    );
    for (const clause of filter.split(/\s+AND\s+/i).filter(Boolean)) {
      let m: RegExpExecArray | null;
      if ((m = /^tags\.`([^`]+)`\s*=\s*'([^']*)'$/.exec(clause))) {
        const [, key, value] = m;
        runs = runs.filter((x) => x.tags.get(key!) === value);
      } else if ((m = /^tags\.`([^`]+)`\s+LIKE\s+'%'$/i.exec(clause))) {
        const key = m[1]!;
        runs = runs.filter((x) => x.tags.has(key));
      } else if ((m = /^attributes\.status\s*=\s*'([A-Z]+)'$/.exec(clause))) {
        const status = m[1];
        runs = runs.filter((x) => x.info.status === status);
      } else if ((m = /^attributes\.run_id\s+IN\s+\((.*)\)$/i.exec(clause))) {
        const ids = new Set([...m[1]!.matchAll(/'([^']*)'/g)].map((g) => g[1]));
        runs = runs.filter((x) => ids.has(x.info.run_id));
      } else {
        throw new Error(`scripted MLflow: unsupported filter clause ${clause}`);
      }
    }
    return runs;
  }

  private runJson(x: FakeRun) {
    const latest = new Map<string, FakeRun['metrics'][number]>();
    for (const m of x.metrics) {
      const old = latest.get(m.key);
      if (
        old === undefined ||
        m.step > old.step ||
        (m.step === old.step &&
          (m.timestamp > old.timestamp || (m.timestamp === old.timestamp && Number(m.value) > Number(old.value))))
      )
        latest.set(m.key, m);
    }
    return {
      info: { ...x.info },
      data: {
        params: [...x.params].map(([key, value]) => ({ key, value })),
        tags: [...x.tags].map(([key, value]) => ({ key, value })),
        metrics: [...latest.values()],
      },
      inputs: {
        ...((x.inputs ?? []).length === 0 ? {} : { dataset_inputs: x.inputs }),
        ...((x.modelInputs ?? []).length === 0
          ? {}
          : { model_inputs: x.modelInputs!.map((model_id) => ({ model_id })) }),
      },
    };
  }
}

/** One directory under an artifact root as MLflow lists it: paths relative to the root, sizes of files. */
function listDir(files: Map<string, Uint8Array>, artifactUri: string, path: string | undefined) {
  const root = artifactUri.replace(/^mlflow-artifacts:\/*/, '');
  const dir = path === undefined ? '' : `${path}/`;
  const entries = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
  for (const [p, bytes] of files) {
    if (!p.startsWith(`${root}/${dir}`)) continue;
    const rest = p.slice(root.length + 1 + dir.length);
    const slash = rest.indexOf('/');
    if (slash === -1) entries.set(rest, { path: dir + rest, is_dir: false, file_size: bytes.length });
    else entries.set(rest.slice(0, slash), { path: dir + rest.slice(0, slash), is_dir: true });
  }
  return [...entries.values()];
}
