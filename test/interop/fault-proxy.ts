// A fault-injecting HTTP/1.1 reverse proxy on 127.0.0.1 for exactly-once sync tests.
//
// Every non-OPTIONS request draws ONE fate from a seeded PRNG (mulberry32), using the
// rates as consecutive slices of [0, 1) in this order:
//   dropResponse  forward, let the target process it and answer, read the whole answer,
//                 then destroy the client socket without sending anything ("lost response":
//                 the server DID apply the write)
//   reset         destroy the client socket (TCP RST) before forwarding (server never sees it)
//   status500     answer 500 {"error_code":"INTERNAL_ERROR","message":"injected"} (not forwarded)
//   status503     answer 503 {"error_code":"TEMPORARILY_UNAVAILABLE",...}          (not forwarded)
//   status429     answer 429 {"error_code":"REQUEST_LIMIT_EXCEEDED",...} + Retry-After: 1
//   delay         wait a uniform random time in delayMs (default [50, 250]) then forward
// then the lies real networks and servers tell (issue 9):
//   htmlOk              200 text/html captive-portal page                    (not forwarded)
//   htmlOkAfterForward  forward, let the target apply it and answer, read the whole answer,
//                       then send the client a 200 text/html page instead    (APPLIED)
//   emptyOk             200 with an empty body and no Content-Type           (not forwarded)
//   redirect            302, Location: <proxy origin>/__fault-proxy/portal, a page the proxy
//                       itself serves as 200 text/html (any method, CORS as below)
//                                                                             (not forwarded)
//   proxy404/405/413    that status with an nginx-like HTML body, no MLflow JSON error body
//                                                                             (not forwarded)
//   down                a dead server: reset the connection (like `reset`); as a scripted mode
//                       with no `match` the proxy stops listening, so connections are REFUSED
//   jsonOk              200 application/json `{}`: MLflow's own answer to a write, from a
//                       proxy that acknowledged what it dropped                 (not forwarded)
//   (rest)        forward normally
// A `delay` fate draws a second number for its duration. Sum of rates must be <= 1.
// Given the same request order, the same seed gives the same fates (concurrent requests
// make the order, and so the assignment, depend on timing). The lie fates come after the
// original six, so rates without them draw exactly the fates they drew before.
//
// Scripted mode: setMode({ fate, match? }) answers every matching request (match(method,
// pathname, url) true, or every request when there is no match) with that fate, without
// drawing from the PRNG, until setMode(null) or another mode. Requests that don't match
// draw from the rates as usual. A scripted `down` also resets matching preflights (a dead
// server answers nothing); every other scripted fate leaves preflights alone. A scripted
// `down` without `match` closes the proxy's listening socket and cuts its open connections
// (connection refused, like a stopped server); the next setMode listens on the same port again.
//
// CORS: preflight OPTIONS requests are forwarded untouched and never draw a fate (except a
// scripted `down`, above).
// Injected answers carry Access-Control-Allow-Origin: <request Origin>,
// Access-Control-Allow-Credentials: true, Access-Control-Expose-Headers: Retry-After and
// Vary: Origin when the request has an Origin, so a browser sees the status instead of a
// CORS error. Forwarded answers keep the target's headers (CORS ones included) as they are.
// The portal page answers its own preflights (204, any method and the requested headers).
//
// Chromium resends a request (POSTs included) by itself when a REUSED keep-alive connection
// is closed or reset before any answer byte (ERR_EMPTY_RESPONSE / ERR_CONNECTION_RESET), so
// one fetch() can reach the proxy several times: a scripted dropResponse has been seen to give
// 2-3 runs on the server (and 2-3 counted fates) for a single failed runs/create; with rates
// each resend draws its own fate. Counts of dropResponse/reset/down are per request the proxy
// saw, not per fetch().
//
// Bodies are streamed both ways (artifact uploads can be large). The Host header is
// rewritten to the target's; hop-by-hop headers are dropped.

import { request as httpRequest, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { mulberry32 } from '../seeded.js';
export { mulberry32 };

export interface FaultRates {
  dropResponse?: number;
  reset?: number;
  /** Range for a `delay` fate, ms, inclusive-exclusive. Default [50, 250]. */
  delayMs?: [number, number];
  /** Probability of the `delay` fate. */
  delay?: number;
  status500?: number;
  status503?: number;
  status429?: number;
  htmlOk?: number;
  htmlOkAfterForward?: number;
  emptyOk?: number;
  redirect?: number;
  proxy404?: number;
  proxy405?: number;
  proxy413?: number;
  down?: number;
  jsonOk?: number;
}

/** A scripted fate: every request `match` accepts (every request without `match`) gets `fate`. */
export interface FaultMode {
  fate: Fate;
  /** pathname excludes the query string; url is the raw request target (path + query). */
  match?: (method: string, pathname: string, url: string) => boolean;
  /** Duration of a scripted `delay`, ms. Default 100. */
  delayMs?: number;
}

export interface FaultProxy {
  /** Base URL of the proxy, e.g. http://127.0.0.1:40555 (no trailing slash). */
  url: string;
  stop(): Promise<void>;
  /**
   * Counters (live object): requests (all), preflight (OPTIONS, forwarded untouched),
   * forwarded (requests sent to the target, incl. dropResponse/delay/preflight),
   * dropResponse, reset, status500, status503, status429, delay, pass (normal forward),
   * htmlOk, htmlOkAfterForward, emptyOk, redirect, proxy404, proxy405, proxy413, jsonOk, down
   * (requests/preflights the proxy cut; refused connections never reach it), scripted
   * (requests answered by a scripted mode, also counted under their fate), portal (hits on
   * the redirect target page), upstreamError (target unreachable / failed mid-way), clientAborted.
   */
  stats: FaultStats;
  /** Replace the rates (the PRNG stream continues). */
  setRates(rates: FaultRates): void;
  /**
   * Scripted mode (see the header): `mode` answers every matching request until the next
   * call; null goes back to the rates. Resolves once the listener is in the mode's state
   * (closed for a match-less `down`, listening again otherwise); await it around `down`.
   */
  setMode(mode: FaultMode | null): Promise<void>;
  /** Path of the page `redirect` points at (served by the proxy, same origin). */
  portalPath: string;
}

export type FaultStats = Record<
  Fate | 'requests' | 'preflight' | 'forwarded' | 'scripted' | 'portal' | 'upstreamError' | 'clientAborted',
  number
> &
  Record<string, number>;

export type LieFate =
  | 'htmlOk'
  | 'htmlOkAfterForward'
  | 'emptyOk'
  | 'redirect'
  | 'proxy404'
  | 'proxy405'
  | 'proxy413'
  | 'down'
  | 'jsonOk';
export type Fate = 'dropResponse' | 'reset' | 'status500' | 'status503' | 'status429' | 'delay' | LieFate | 'pass';

const FATE_ORDER = [
  'dropResponse',
  'reset',
  'status500',
  'status503',
  'status429',
  'delay',
  // New fates go last: existing rates and seeds keep drawing the same fates.
  'htmlOk',
  'htmlOkAfterForward',
  'emptyOk',
  'redirect',
  'proxy404',
  'proxy405',
  'proxy413',
  'down',
  'jsonOk',
] as const;
const ALL_FATES: readonly Fate[] = [...FATE_ORDER, 'pass'];

export const PORTAL_PATH = '/__fault-proxy/portal';

/** What a captive portal / SSO gateway answers instead of the API (htmlOk, htmlOkAfterForward, the redirect target). */
export const PORTAL_HTML =
  '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Sign in to the network</title></head>\n' +
  '<body><h1>Welcome to Guest Wi-Fi</h1><p>Please accept the terms of use to continue.</p>\n' +
  '<form method="post" action="/__fault-proxy/portal"><button>Accept</button></form></body></html>\n';

const NGINX: Record<'proxy404' | 'proxy405' | 'proxy413', { status: number; reason: string }> = {
  proxy404: { status: 404, reason: 'Not Found' },
  proxy405: { status: 405, reason: 'Not Allowed' },
  proxy413: { status: 413, reason: 'Request Entity Too Large' },
};

/** nginx's own error page for `status` (what a reverse proxy in front of MLflow answers by itself). */
export function nginxErrorPage(status: number, reason: string): string {
  return (
    `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n` +
    `<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n`
  );
}

function validateRates(rates: FaultRates): void {
  let sum = 0;
  for (const k of FATE_ORDER) {
    const v = rates[k] ?? 0;
    if (!(v >= 0 && v <= 1)) throw new Error(`fault rate ${k}=${v} must be within [0, 1]`);
    sum += v;
  }
  if (sum > 1 + 1e-9) throw new Error(`fault rates add up to ${sum} > 1`);
  if (rates.delayMs !== undefined) {
    const [lo, hi] = rates.delayMs;
    if (!(lo >= 0 && hi >= lo)) throw new Error(`delayMs [${lo}, ${hi}] is not a valid range`);
  }
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const INJECTED: Record<'status500' | 'status503' | 'status429', { status: number; code: string }> = {
  status500: { status: 500, code: 'INTERNAL_ERROR' },
  status503: { status: 503, code: 'TEMPORARILY_UNAVAILABLE' },
  status429: { status: 429, code: 'REQUEST_LIMIT_EXCEEDED' },
};

export async function startFaultProxy(options: {
  target: string;
  seed: number;
  rates: FaultRates;
}): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error(`fault proxy target must be http:, got ${target.protocol}`);
  const targetPort = Number(target.port || 80);
  const targetHost = target.hostname.replace(/^\[|\]$/g, '');
  const basePath = target.pathname.replace(/\/+$/, ''); // target may carry a path prefix
  validateRates(options.rates);
  let rates: FaultRates = { ...options.rates };
  let mode: FaultMode | null = null;
  const rand = mulberry32(options.seed);
  const stats = {
    requests: 0,
    preflight: 0,
    forwarded: 0,
    ...(Object.fromEntries(ALL_FATES.map((f) => [f, 0])) as Record<Fate, number>),
    scripted: 0,
    portal: 0,
    upstreamError: 0,
    clientAborted: 0,
  } as FaultStats;
  const bump = (k: string) => {
    stats[k] = (stats[k] ?? 0) + 1;
  };
  const sockets = new Set<Socket>();

  const drawFate = (): { fate: Fate; delay: number } => {
    const u = rand();
    let acc = 0;
    for (const k of FATE_ORDER) {
      acc += rates[k] ?? 0;
      if (u < acc) {
        if (k === 'delay') {
          const [lo, hi] = rates.delayMs ?? [50, 250];
          return { fate: k, delay: lo + rand() * (hi - lo) };
        }
        return { fate: k, delay: 0 };
      }
    }
    return { fate: 'pass', delay: 0 };
  };

  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    if (origin === undefined) return {};
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'Retry-After',
      Vary: 'Origin',
    };
  };

  const hardReset = (sock: Socket) => {
    const s = sock as Socket & { resetAndDestroy?: () => Socket };
    if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
    else s.destroy();
  };

  /** An answer of the proxy's own, with the CORS headers, once the request body is drained (the target never sees it). */
  const answer = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    body: string,
  ) => {
    const send = () => {
      if (res.destroyed) return;
      const bytes = Buffer.from(body, 'utf8');
      res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length), ...corsHeaders(req) });
      res.end(bytes);
    };
    req.resume();
    if (req.readableEnded) send();
    else req.once('end', send);
  };
  const html = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: string,
    extra: Record<string, string> = {},
  ) =>
    answer(
      req,
      res,
      status,
      { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...extra },
      body,
    );

  /**
   * Forward req to the target. 'drop': read the full answer, then kill the client socket.
   * 'html': read the full answer, then send the client a 200 portal page instead.
   */
  const forward = (req: IncomingMessage, res: ServerResponse, how: 'pipe' | 'drop' | 'html') => {
    bump('forwarded');
    const drop = how === 'drop';
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k) || k === 'host') continue;
      headers[k] = v;
    }
    headers.host = target.host;
    const upstream = httpRequest({
      host: targetHost,
      port: targetPort,
      method: req.method,
      path: basePath + (req.url ?? '/'),
      headers,
      agent: false, // one connection per request: a killed client never poisons a pool
    });
    let clientGone = false;
    req.on('aborted', () => {
      clientGone = true;
    });
    res.on('close', () => {
      if (!res.writableFinished && !drop) {
        clientGone = true;
        bump('clientAborted');
        upstream.destroy();
      }
    });
    upstream.on('error', (err) => {
      bump('upstreamError');
      if (clientGone) return;
      if (drop || res.headersSent) {
        hardReset(req.socket);
        return;
      }
      res.writeHead(502, { 'Content-Type': 'application/json', ...corsHeaders(req) });
      res.end(JSON.stringify({ error_code: 'BAD_GATEWAY', message: `fault proxy: upstream error: ${err.message}` }));
    });
    upstream.on('response', (up) => {
      if (drop) {
        // The target has applied the request and answered; the client must never see it.
        up.resume();
        up.on('end', () => req.socket.destroy());
        up.on('error', () => req.socket.destroy());
        return;
      }
      if (how === 'html') {
        // The target has applied the request; the client gets a portal page instead of its answer.
        up.resume();
        up.on('end', () => html(req, res, 200, PORTAL_HTML));
        up.on('error', () => hardReset(req.socket));
        return;
      }
      const raw: string[] = [];
      for (let i = 0; i + 1 < up.rawHeaders.length; i += 2) {
        const name = up.rawHeaders[i]!;
        if (HOP_BY_HOP.has(name.toLowerCase())) continue;
        raw.push(name, up.rawHeaders[i + 1]!);
      }
      res.writeHead(up.statusCode ?? 502, up.statusMessage, raw);
      up.pipe(res);
      up.on('error', () => hardReset(req.socket));
    });
    req.pipe(upstream);
  };

  /** The page `redirect` points at: 200 HTML to any method, its own preflights answered. */
  const portal = (req: IncomingMessage, res: ServerResponse) => {
    bump('portal');
    if (req.method === 'OPTIONS') {
      const extra: Record<string, string> = {
        'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
        'Access-Control-Max-Age': '0',
      };
      const asked = req.headers['access-control-request-headers'];
      if (asked !== undefined) extra['Access-Control-Allow-Headers'] = asked;
      req.resume();
      res.writeHead(204, { ...corsHeaders(req), ...extra });
      res.end();
      return;
    }
    if (req.method === 'HEAD') {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...corsHeaders(req) });
      res.end();
      return;
    }
    html(req, res, 200, PORTAL_HTML);
  };

  const server = createServer((req, res) => {
    bump('requests');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname === PORTAL_PATH) {
      portal(req, res);
      return;
    }
    const method = req.method ?? 'GET';
    const scripted = mode !== null && (mode.match === undefined || mode.match(method, pathname, url)) ? mode : null;
    if (method === 'OPTIONS') {
      if (scripted?.fate === 'down') {
        bump('scripted');
        bump('down');
        req.resume();
        hardReset(req.socket);
        return;
      }
      bump('preflight');
      forward(req, res, 'pipe');
      return;
    }
    let fate: Fate;
    let delay: number;
    if (scripted !== null) {
      bump('scripted');
      fate = scripted.fate;
      delay = scripted.delayMs ?? 100;
    } else {
      ({ fate, delay } = drawFate());
    }
    bump(fate);
    switch (fate) {
      case 'reset':
      case 'down':
        req.resume();
        hardReset(req.socket);
        return;
      case 'dropResponse':
        forward(req, res, 'drop');
        return;
      case 'htmlOkAfterForward':
        forward(req, res, 'html');
        return;
      case 'status500':
      case 'status503':
      case 'status429': {
        const { status, code } = INJECTED[fate];
        req.resume(); // drain the body, the target never sees it
        const headers: Record<string, string> = { 'Content-Type': 'application/json', ...corsHeaders(req) };
        if (fate === 'status429') headers['Retry-After'] = '1';
        res.writeHead(status, headers);
        res.end(JSON.stringify({ error_code: code, message: 'injected' }));
        return;
      }
      case 'htmlOk':
        html(req, res, 200, PORTAL_HTML);
        return;
      case 'emptyOk':
        answer(req, res, 200, {}, ''); // no Content-Type at all
        return;
      case 'jsonOk':
        answer(req, res, 200, { 'Content-Type': 'application/json' }, '{}');
        return;
      case 'redirect': {
        const location = `http://${req.headers.host ?? `127.0.0.1:${port}`}${PORTAL_PATH}?from=${encodeURIComponent(url)}`;
        html(req, res, 302, nginxErrorPage(302, 'Found'), { Location: location });
        return;
      }
      case 'proxy404':
      case 'proxy405':
      case 'proxy413': {
        const { status, reason } = NGINX[fate];
        html(req, res, status, nginxErrorPage(status, reason), { Server: 'nginx/1.24.0' });
        return;
      }
      case 'delay':
        req.pause();
        setTimeout(() => {
          if (req.socket.destroyed) {
            bump('clientAborted');
            return;
          }
          forward(req, res, 'pipe');
        }, delay);
        return;
      case 'pass':
        forward(req, res, 'pipe');
        return;
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      server.once('error', onError);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', onError);
        resolve();
      });
    });
  await listen(0);
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('fault proxy: no address');
  const port = addr.port;

  let stopped: Promise<void> | undefined;
  /** Serializes listener changes (setMode calls, stop). */
  let listenerChain: Promise<void> = Promise.resolve();
  const refusing = (m: FaultMode | null) => m !== null && m.fate === 'down' && m.match === undefined;

  const goDown = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve()); // stop accepting now: new connections are refused by the kernel
      for (const s of sockets) hardReset(s); // and cut the open (keep-alive) ones, like a dead server
    });
  const comeBack = async () => {
    if (server.listening || stopped !== undefined) return;
    // The port was ours a moment ago; retry briefly should anything hold it.
    for (let attempt = 1; ; attempt++) {
      try {
        await listen(port);
        return;
      } catch (e) {
        if (attempt >= 20 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  return {
    url: `http://127.0.0.1:${port}`,
    portalPath: PORTAL_PATH,
    stats,
    setRates(next: FaultRates) {
      validateRates(next);
      rates = { ...next };
    },
    setMode(next: FaultMode | null) {
      if (next !== null && !ALL_FATES.includes(next.fate)) throw new Error(`unknown fate ${String(next.fate)}`);
      mode = next === null ? null : { ...next };
      listenerChain = listenerChain.then(() => (refusing(next) ? goDown() : comeBack()));
      return listenerChain;
    },
    stop() {
      stopped ??= listenerChain
        .catch(() => undefined)
        .then(
          () =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              for (const s of sockets) s.destroy();
              server.closeAllConnections();
            }),
        );
      return stopped;
    },
  };
}
