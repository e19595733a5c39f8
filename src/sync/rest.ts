/**
 * MLflow's REST API over fetch. Every failure is classified once, here:
 * - retry: network errors, timeouts, 408, 429 (with Retry-After), 5xx —
 *   the request may or may not have been applied;
 * - auth: 401/403 — nothing will work until the credentials change;
 * - permanent: any other 4xx — this request will never succeed as it is.
 */
export type RemoteAuth = { token: string } | { username: string; password: string };

export interface RemoteConfig {
  /** e.g. `http://127.0.0.1:5000` or `https://mlflow.example.com/prefix`. */
  trackingUri: string;
  auth?: RemoteAuth;
  /** Upload in the background whenever something is pending (default true). */
  autoSync?: boolean;
}

export type FailureKind = 'retry' | 'auth' | 'permanent';

export class RestError extends Error {
  override name = 'RestError';
  constructor(
    message: string,
    readonly kind: FailureKind,
    /** HTTP status, or 0 when no response came. */
    readonly status: number,
    /** MLflow's error_code from the body, when it sent one. */
    readonly errorCode?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 60_000;

export function classifyStatus(status: number): FailureKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'permanent';
}

function retryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export class MlflowRest {
  private readonly base: string;
  private readonly headers: Record<string, string> = {};

  constructor(private readonly config: RemoteConfig) {
    this.base = config.trackingUri.replace(/\/+$/, '');
    const auth = config.auth;
    if (auth !== undefined) {
      this.headers.Authorization = 'token' in auth ? `Bearer ${auth.token}` : `Basic ${btoa(`${auth.username}:${auth.password}`)}`;
    }
  }

  get trackingUri(): string {
    return this.config.trackingUri;
  }

  /** A JSON endpoint under /api/2.0/mlflow. */
  async call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let url = `${this.base}/api/2.0/mlflow/${path}`;
    const init: RequestInit = { method, headers: { ...this.headers } };
    if (method === 'GET' && body !== undefined) {
      url += `?${new URLSearchParams(body as Record<string, string>)}`;
    } else if (body !== undefined) {
      init.headers = { ...this.headers, 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const response = await this.fetch(url, init);
    const text = await response.text().catch(() => '');
    if (!response.ok) throw this.failure(response, text);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  /** PUT a file through the mlflow-artifacts proxy. A Blob body streams from disk. */
  async putArtifact(artifactUri: string, relPath: string, body: Blob): Promise<void> {
    const url = `${this.base}/api/2.0/mlflow-artifacts/artifacts/${proxyPath(artifactUri)}/${encodePath(relPath)}`;
    const response = await this.fetch(url, { method: 'PUT', headers: { ...this.headers, 'Content-Type': 'application/octet-stream' }, body });
    const text = await response.text().catch(() => '');
    if (!response.ok) throw this.failure(response, text);
  }

  /** GET a file through the mlflow-artifacts proxy. */
  async getArtifact(artifactUri: string, relPath: string): Promise<Uint8Array> {
    const url = `${this.base}/api/2.0/mlflow-artifacts/artifacts/${proxyPath(artifactUri)}/${encodePath(relPath)}`;
    const response = await this.fetch(url, { method: 'GET', headers: { ...this.headers } });
    if (!response.ok) throw this.failure(response, await response.text().catch(() => ''));
    return new Uint8Array(await response.arrayBuffer());
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS), credentials: 'omit' });
    } catch (error) {
      const why =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${TIMEOUT_MS / 1000} s`
          : `network error (${String((error as Error).message ?? error)}): offline, the server is down, or it refused this page's origin — MLflow 3.5+ needs --cors-allowed-origins ${globalThis.location?.origin ?? '<page origin>'} for pages not on localhost`;
      throw new RestError(`${init.method} ${url} failed: ${why}`, 'retry', 0);
    }
  }

  private failure(response: Response, text: string): RestError {
    let code: string | undefined;
    let message = text.slice(0, 500);
    try {
      const body = JSON.parse(text) as { error_code?: string; message?: string };
      code = body.error_code;
      message = body.message ?? message;
    } catch {
      // not JSON: keep the text
    }
    return new RestError(
      `HTTP ${response.status}${code ? ` ${code}` : ''}: ${message}`,
      classifyStatus(response.status),
      response.status,
      code,
      retryAfter(response.headers.get('Retry-After')),
    );
  }
}

/** `mlflow-artifacts:/1/abc/artifacts` → `1/abc/artifacts`, segments encoded. Other schemes cannot be reached through the proxy. */
export function proxyPath(artifactUri: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (match === null) {
    throw new RestError(
      `The server stores this run's artifacts at '${artifactUri}', which a browser cannot reach. Start mlflow server with --serve-artifacts (the default) and a default artifact root of mlflow-artifacts:/.`,
      'permanent',
      0,
    );
  }
  return encodePath(match[1]!);
}

export function encodePath(path: string): string {
  return path.split('/').filter((s) => s !== '').map(encodeURIComponent).join('/');
}
