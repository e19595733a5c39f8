/**
 * MLflow's REST API over fetch, and the one place that decides what an
 * answer means. Invariants:
 * - An acknowledgement is only a well-formed MLflow answer: a 2xx JSON
 *   object of the shape the endpoint returns. HTML (a captive portal, a login
 *   proxy), an empty body, a redirect, or a JSON object of another shape is a
 *   transport fault: kind 'retry', never an ack.
 * - Only MLflow's own refusals (a 4xx whose JSON body carries `error_code`)
 *   are kind 'refused'. A 4xx without that body (a proxy's 404, 405, 413) is
 *   a transport fault too: the request never reached MLflow.
 * - 401/403 are kind 'auth': nothing works until the credentials change.
 * - No message carries credentials: URLs are redacted before they are printed.
 */
import type { RemoteOptions } from '../protocol.js';
import { redactUrl } from './redact.js';

export type FailureKind = 'retry' | 'auth' | 'refused';

export class RestError extends Error {
  override name = 'RestError';
  constructor(
    message: string,
    readonly kind: FailureKind,
    /** HTTP status, or 0 when no response came. */
    readonly status: number,
    /** MLflow's error_code from the body, when MLflow sent one. */
    readonly errorCode?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Checks that a parsed answer has the shape an endpoint returns; the result names what is missing, or undefined. */
export type Shape = (json: Record<string, unknown>) => string | undefined;

const TIMEOUT_MS = 60_000;
/** A Retry-After longer than this (or a date far ahead on a skewed clock) is cut to it. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

export function retryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return Number.isNaN(ms) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

export class MlflowRest {
  readonly trackingUri: string;
  private readonly base: string;
  private readonly headers: Record<string, string> = {};
  private version: Promise<string> | undefined;
  private loggedModels: Promise<boolean> | undefined;

  constructor(config: Pick<RemoteOptions, 'trackingUri' | 'auth'>) {
    this.trackingUri = config.trackingUri.replace(/\/+$/, '');
    this.base = this.trackingUri;
    const auth = config.auth;
    if (auth !== undefined) {
      this.headers.Authorization =
        'token' in auth ? `Bearer ${auth.token}` : `Basic ${base64(`${auth.username}:${auth.password}`)}`;
    }
  }

  /** A JSON endpoint under /api/2.0/mlflow; `shape` checks the answer is the endpoint's. */
  async call<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    shape?: Shape,
  ): Promise<T> {
    let url = `${this.base}/api/2.0/mlflow/${path}`;
    const init: RequestInit = { method, headers: { ...this.headers } };
    if (method === 'GET' && body !== undefined) {
      url += `?${new URLSearchParams(body as Record<string, string>)}`;
    } else if (body !== undefined) {
      init.headers = { ...this.headers, 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    return (await this.json(url, init, shape)) as T;
  }

  /**
   * PUT a file through the mlflow-artifacts proxy. A Blob body streams from
   * disk. MLflow 3 answers an empty 200 here (MLflow 2 `{}`), so an empty
   * answer cannot be told from a proxy's: the check before a run counts as
   * synced (artifacts/list sizes) is what catches a file that never arrived.
   */
  async putArtifact(artifactUri: string, relPath: string, body: Blob): Promise<void> {
    const url = `${this.base}/api/2.0/mlflow-artifacts/artifacts/${proxyPath(artifactUri)}/${encodePath(relPath)}`;
    await this.json(
      url,
      { method: 'PUT', headers: { ...this.headers, 'Content-Type': 'application/octet-stream' }, body },
      undefined,
      true,
    );
  }

  /** GET a file through the mlflow-artifacts proxy. */
  async getArtifact(artifactUri: string, relPath: string): Promise<Uint8Array> {
    const url = `${this.base}/api/2.0/mlflow-artifacts/artifacts/${proxyPath(artifactUri)}/${encodePath(relPath)}`;
    const response = await this.fetch(url, { method: 'GET', headers: { ...this.headers } });
    if (!response.ok) throw this.failure(url, 'GET', response, await response.text().catch(() => ''));
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * The server's MLflow version (GET /version), once per client. An answer
   * that is not a version number (a portal's page) is a transport fault; a
   * 404 (a reverse proxy that passes only /api/) leaves it 'unknown', taken
   * as a current MLflow.
   */
  serverVersion(): Promise<string> {
    this.version ??= (async () => {
      const url = `${this.base}/version`;
      const response = await this.fetch(url, { method: 'GET', headers: { ...this.headers } });
      const text = (await response.text().catch(() => '')).trim();
      if (response.status === 404) return 'unknown';
      if (!response.ok) throw this.failure(url, 'GET', response, text);
      if (!/^\d+\.\d+/.test(text)) throw notMlflow(url, 'GET', response, text, 'a version number');
      return text;
    })();
    this.version.catch(() => (this.version = undefined));
    return this.version;
  }

  /**
   * Whether the server has MLflow 3's logged models (MLflow 2 servers do
   * not). Without a version (a proxy that passes only /api/), the endpoint
   * is asked for a model that cannot exist: MLflow 3 refuses with its JSON
   * error, MLflow 2 has no such route (a 404 page).
   */
  async hasLoggedModels(): Promise<boolean> {
    const version = await this.serverVersion();
    if (version !== 'unknown') return Number(version.split('.')[0]) >= 3;
    this.loggedModels ??= (async () => {
      const url = `${this.base}/api/2.0/mlflow/logged-models/m-00000000000000000000000000000000`;
      const response = await this.fetch(url, { method: 'GET', headers: { ...this.headers } });
      const text = await response.text().catch(() => '');
      if (response.ok || mlflowError(text) !== undefined) return true;
      if (response.status === 404) return false;
      throw this.failure(url, 'GET', response, text);
    })();
    this.loggedModels.catch(() => (this.loggedModels = undefined));
    return this.loggedModels;
  }

  private async json(
    url: string,
    init: RequestInit,
    shape?: Shape,
    emptyIsAnswer = false,
  ): Promise<Record<string, unknown>> {
    const response = await this.fetch(url, init);
    const text = await response.text().catch(() => '');
    if (!response.ok) throw this.failure(url, init.method!, response, text);
    if (emptyIsAnswer && text === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw notMlflow(url, init.method!, response, text, 'a JSON answer');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw notMlflow(url, init.method!, response, text, 'a JSON object');
    }
    const missing = shape?.(parsed as Record<string, unknown>);
    if (missing !== undefined) throw notMlflow(url, init.method!, response, text, missing);
    return parsed as Record<string, unknown>;
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        signal: AbortSignal.timeout(TIMEOUT_MS),
        credentials: 'omit',
        redirect: 'manual',
      });
    } catch (error) {
      const offline = (globalThis.navigator as Navigator | undefined)?.onLine === false;
      // Only a page (or its worker) has an origin a server's CORS check can refuse; Node and edge functions have none.
      const origin = globalThis.location?.origin;
      const why =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${TIMEOUT_MS / 1000} s`
          : offline
            ? 'this device is offline; it will upload when back online'
            : `network error (${String((error as Error).message ?? error)}): the server is down or unreachable${origin === undefined ? '.' : `, or it refused this page's origin (MLflow 3.5+ needs --cors-allowed-origins ${origin} for pages not on localhost)`}`;
      throw new RestError(`${init.method} ${redactUrl(url)} failed: ${why}`, 'retry', 0);
    }
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      const to = response.headers.get('Location');
      throw new RestError(
        `${init.method} ${redactUrl(url)} was redirected${to ? ` to ${redactUrl(to)}` : ''} instead of answered: a captive portal, a login page or a proxy stands between this device and the MLflow server. Sign in to the network or fix the tracking URI; nothing was taken as uploaded.`,
        'retry',
        response.status,
      );
    }
    return response;
  }

  private failure(url: string, method: string, response: Response, text: string): RestError {
    const status = response.status;
    const where = `${method} ${redactUrl(url)}`;
    const mlflow = mlflowError(text);
    if (status === 401 || status === 403) {
      return new RestError(
        `${where}: HTTP ${status}${mlflow ? ` ${mlflow.code}: ${mlflow.message}` : `: ${snippet(text)}`}`,
        'auth',
        status,
        mlflow?.code,
      );
    }
    const wait = retryAfter(response.headers.get('Retry-After'));
    if (status === 408 || status === 429 || status >= 500) {
      return new RestError(
        `${where}: HTTP ${status}${mlflow ? ` ${mlflow.code}: ${mlflow.message}` : `: ${snippet(text)}`}`,
        'retry',
        status,
        mlflow?.code,
        wait,
      );
    }
    if (mlflow === undefined) {
      return new RestError(
        `${where}: HTTP ${status} that did not come from MLflow (${describeBody(response, text)}). A proxy or another server answered: check the tracking URI and any proxy in between; everything stays queued and is retried.`,
        'retry',
        status,
        undefined,
        wait,
      );
    }
    return new RestError(`${where}: HTTP ${status} ${mlflow.code}: ${mlflow.message}`, 'refused', status, mlflow.code);
  }
}

/** MLflow's error body: JSON with a string error_code. */
function mlflowError(text: string): { code: string; message: string } | undefined {
  try {
    const body = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof body?.error_code === 'string')
      return { code: body.error_code, message: typeof body.message === 'string' ? body.message : '' };
  } catch {
    // not JSON
  }
  return undefined;
}

function notMlflow(url: string, method: string, response: Response, text: string, expected: string): RestError {
  return new RestError(
    `${method} ${redactUrl(url)}: HTTP ${response.status} with ${describeBody(response, text)} where MLflow sends ${expected}. A captive portal, a login proxy or another server answered instead of MLflow: check the network and the tracking URI. Nothing was taken as uploaded; it is retried.`,
    'retry',
    response.status,
  );
}

function describeBody(response: Response, text: string): string {
  if (text === '') return 'an empty body';
  const type = response.headers.get('Content-Type') ?? 'no content type';
  return `a ${type.split(';')[0]} body "${snippet(text)}"`;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat;
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** `mlflow-artifacts:/1/abc/artifacts` → `1/abc/artifacts`, segments encoded. Other schemes cannot be reached through the proxy. */
export function proxyPath(artifactUri: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (match === null) {
    throw new RestError(
      `The server stores this run's artifacts at '${redactUrl(artifactUri)}', which a browser cannot reach. Start mlflow server with --serve-artifacts (the default) and a default artifact root of mlflow-artifacts:/.`,
      'refused',
      0,
    );
  }
  return encodePath(match[1]!);
}

export function encodePath(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}
