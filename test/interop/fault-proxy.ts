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
//   (rest)        forward normally
// A `delay` fate draws a second number for its duration. Sum of rates must be <= 1.
// Given the same request order, the same seed gives the same fates (concurrent requests
// make the order, and so the assignment, depend on timing).
//
// CORS: preflight OPTIONS requests are always forwarded untouched and never draw a fate.
// Injected answers carry Access-Control-Allow-Origin: <request Origin>,
// Access-Control-Allow-Credentials: true, Access-Control-Expose-Headers: Retry-After and
// Vary: Origin when the request has an Origin, so a browser sees the status instead of a
// CORS error. Forwarded answers keep the target's headers (CORS ones included) as they are.
//
// Bodies are streamed both ways (artifact uploads can be large). The Host header is
// rewritten to the target's; hop-by-hop headers are dropped.

import { request as httpRequest, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

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
}

export interface FaultProxy {
  /** Base URL of the proxy, e.g. http://127.0.0.1:40555 (no trailing slash). */
  url: string;
  stop(): Promise<void>;
  /**
   * Counters (live object): requests (all), preflight (OPTIONS, forwarded untouched),
   * forwarded (requests sent to the target, incl. dropResponse/delay/preflight),
   * dropResponse, reset, status500, status503, status429, delay, pass (normal forward),
   * upstreamError (target unreachable / failed mid-way), clientAborted.
   */
  stats: Record<string, number>;
  /** Replace the rates (the PRNG stream continues). */
  setRates(rates: FaultRates): void;
}

export type Fate = 'dropResponse' | 'reset' | 'status500' | 'status503' | 'status429' | 'delay' | 'pass';

const FATE_ORDER = ['dropResponse', 'reset', 'status500', 'status503', 'status429', 'delay'] as const;

/** mulberry32: tiny deterministic 32-bit PRNG, returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

export async function startFaultProxy(options: { target: string; seed: number; rates: FaultRates }): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new Error(`fault proxy target must be http:, got ${target.protocol}`);
  const targetPort = Number(target.port || 80);
  const targetHost = target.hostname.replace(/^\[|\]$/g, '');
  const basePath = target.pathname.replace(/\/+$/, ''); // target may carry a path prefix
  validateRates(options.rates);
  let rates: FaultRates = { ...options.rates };
  const rand = mulberry32(options.seed);
  const stats: Record<string, number> = {
    requests: 0,
    preflight: 0,
    forwarded: 0,
    pass: 0,
    dropResponse: 0,
    reset: 0,
    status500: 0,
    status503: 0,
    status429: 0,
    delay: 0,
    upstreamError: 0,
    clientAborted: 0,
  };
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

  /** Forward req to the target. dropResponse: read the full answer, then kill the client socket. */
  const forward = (req: IncomingMessage, res: ServerResponse, drop: boolean) => {
    bump('forwarded');
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

  const server = createServer((req, res) => {
    bump('requests');
    if (req.method === 'OPTIONS') {
      bump('preflight');
      forward(req, res, false);
      return;
    }
    const { fate, delay } = drawFate();
    bump(fate);
    switch (fate) {
      case 'reset':
        req.resume();
        hardReset(req.socket);
        return;
      case 'dropResponse':
        forward(req, res, true);
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
      case 'delay':
        req.pause();
        setTimeout(() => {
          if (req.socket.destroyed) {
            bump('clientAborted');
            return;
          }
          forward(req, res, false);
        }, delay);
        return;
      case 'pass':
        forward(req, res, false);
        return;
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('fault proxy: no address');

  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    stats,
    setRates(next: FaultRates) {
      validateRates(next);
      rates = { ...next };
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
