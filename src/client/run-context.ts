/**
 * The system tags a new run gets, as MLflow Python's DefaultRunContext sets
 * them (mlflow/tracking/context/default_context.py): `mlflow.user`,
 * `mlflow.source.name` and `mlflow.source.type`.
 *
 * - `mlflow.source.type` is always LOCAL: MLflow's own value for code run
 *   outside a notebook, project or job, which is what a page, a script or an
 *   edge function is. (NOTEBOOK makes MLflow's UI build Databricks notebook
 *   links; PROJECT and JOB need entry points and job ids we do not have.)
 * - `mlflow.source.name` is what MLflow's UI shows in the Source column, as
 *   the text after its last '/' (its `baseName`): so it never ends in '/'.
 * - `mlflow.user` follows Python's order: an explicit user, then the tracking
 *   server's basic-auth user name (Python's MLFLOW_TRACKING_USERNAME), then
 *   the host's default (the OS account in Node, Deno and Bun), then
 *   'unknown' (Python's own fallback when there is no account to ask).
 */
import type { RemoteOptions } from '../protocol.js';
import { invalidParameter } from '../schema/errors.js';
import { codePointLength } from '../schema/text.js';
import { describe, validateTagValue } from '../schema/validation.js';

export const SOURCE_TYPE = 'LOCAL';
/** Python's `_DEFAULT_USER`. */
export const DEFAULT_USER = 'unknown';
/** Python's source name when there is no main file (`<console>`); ours when there is no script or page. */
export const CONSOLE_SOURCE = '<console>';
/** The source of runs made by mlflow-edge/edge: an edge function has no file or page to name. */
export const EDGE_SOURCE = '<edge function>';
/** The `runs.user_id` column of MLflow's SQL store is VARCHAR(256). */
const MAX_USER_LENGTH = 256;

/** What the host (browser, Node, edge) knows when the caller gives no user or source. */
export interface RunContextDefaults {
  user?: string | undefined;
  source?: string | undefined;
}

/**
 * A page's source name: its URL without query or fragment (they may hold
 * tokens), and without a trailing '/', so MLflow's UI shows the last path
 * segment (`https://host/demo/` → `demo`, `https://host/demo/train.html` →
 * `train.html`, `https://host/` → `host`) rather than nothing. A page served
 * at a directory URL is named by that directory, not by a guessed
 * `index.html` the server may not have.
 */
export function pageSourceName(location: { href: string }): string {
  const url = new URL(location.href);
  const path = url.pathname.replace(/\/+$/, '');
  if (url.origin !== 'null') return url.origin + path;
  // file: pages keep their path; opaque pages (data:, about:) are named by their scheme, never by their content.
  return url.protocol === 'file:' ? `file://${path}` : url.protocol;
}

/** The host default of a page (browser, or a Deno page with `location`), else `<console>`. */
export function defaultSourceName(): string {
  const here = (globalThis as { location?: { href?: unknown } }).location;
  if (here !== undefined && typeof here.href === 'string' && here.href !== '') {
    try {
      return pageSourceName({ href: here.href });
    } catch {
      // Not a URL a page can have: fall through.
    }
  }
  return CONSOLE_SOURCE;
}

/** The basic-auth user name of the tracking server, from `auth` or the URI's userinfo. */
export function remoteUser(remote: RemoteOptions | undefined): string | undefined {
  if (remote === undefined) return undefined;
  if (remote.auth !== undefined && 'username' in remote.auth && remote.auth.username !== '')
    return remote.auth.username;
  try {
    const name = decodeURIComponent(new URL(remote.trackingUri).username);
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}

/** Throws unless `user` can be a run's `mlflow.user` tag and `user_id`. */
export function validateUser(user: unknown): asserts user is string {
  if (typeof user !== 'string' || user === '') {
    throw invalidParameter(`Invalid user ${describe(user)}: pass a non-empty string, e.g. 'ada', or omit it.`, {
      field: 'user',
    });
  }
  validateTagValue('mlflow.user', user);
  const length = codePointLength(user);
  if (length > MAX_USER_LENGTH) {
    throw invalidParameter(
      `The user name exceeds the maximum length of ${MAX_USER_LENGTH} characters (got ${length}), which MLflow's run table holds. Use a shorter user name.`,
      { field: 'user', length, limit: MAX_USER_LENGTH },
    );
  }
}

/** Throws unless `source` can be a run's `mlflow.source.name` tag. */
export function validateSource(source: unknown): asserts source is string {
  if (typeof source !== 'string' || source === '') {
    throw invalidParameter(
      `Invalid source ${describe(source)}: pass a non-empty string naming where the run comes from, e.g. 'demo/train.html', or omit it.`,
      { field: 'source' },
    );
  }
  validateTagValue('mlflow.source.name', source);
}

/** Checks the `user` and `source` options of openTracker before anything starts. */
export function validateRunContext(options: { user?: unknown; source?: unknown }): void {
  if (options.user !== undefined) validateUser(options.user);
  if (options.source !== undefined) validateSource(options.source);
}
