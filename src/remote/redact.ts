/**
 * Tracking URIs without secrets. A URI's user name and password are
 * credentials: they are moved into `auth` before anything is stored, and no
 * URL is printed with them (or with a token in its query).
 */
import { invalidParameter } from '../schema/errors.js';
import type { RemoteOptions } from '../protocol.js';

const SECRET_QUERY = /^(token|access_token|api_key|apikey|key|password|secret|sig|signature)$/i;

/** `url` with any user info and secret-looking query values replaced by `***`. Text that is not a URL comes back with user info cut. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username !== '' || u.password !== '') {
      u.username = '***';
      u.password = '';
    }
    for (const key of [...u.searchParams.keys()]) if (SECRET_QUERY.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@\s]*@/g, '//***@');
  }
}

/**
 * Remote options as they are kept: the tracking URI without credentials or a
 * trailing slash. Credentials written into the URI become `auth` (they would
 * make every browser request fail, and must never be stored); both at once
 * is refused, since one would silently win.
 */
export function normalizeRemote(remote: RemoteOptions): RemoteOptions {
  let url: URL;
  try {
    url = new URL(remote.trackingUri);
  } catch {
    throw invalidParameter(
      `The tracking URI '${redactUrl(remote.trackingUri)}' is not a URL. Pass an http(s) URL such as http://127.0.0.1:5000.`,
      { field: 'trackingUri' },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidParameter(
      `The tracking URI '${redactUrl(remote.trackingUri)}' must be http(s). Pass the MLflow server's URL, such as http://127.0.0.1:5000.`,
      { field: 'trackingUri' },
    );
  }
  const out: RemoteOptions = { ...remote };
  if (url.username !== '' || url.password !== '') {
    if (remote.auth !== undefined) {
      throw invalidParameter(
        'The tracking URI carries a user name and password and auth is given too. Pass the URI without credentials and keep them in auth only.',
        { field: 'trackingUri' },
      );
    }
    out.auth = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    url.username = '';
    url.password = '';
  }
  url.hash = '';
  out.trackingUri = url.toString().replace(/\/+$/, '');
  return out;
}
