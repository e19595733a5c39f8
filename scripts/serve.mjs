#!/usr/bin/env node
// A small static file server for the demo, the browser tests and the bench.
// Usage: node scripts/serve.mjs [--port 4310] [--host 127.0.0.1] [--root .] [--cors] [--isolate]
//   --cors     adds Access-Control-Allow-Origin: * (serve the library to pages of another origin)
//   --isolate  adds COOP/COEP so pages are cross-origin isolated
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.webmanifest': 'application/manifest+json',
};

export function serve({ port = 4310, host = '127.0.0.1', root = '.', cors = false, isolate = false } = {}) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const headers = { 'Cache-Control': 'no-store' };
    if (cors) headers['Access-Control-Allow-Origin'] = '*';
    if (isolate) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] = 'cross-origin';
    }
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      let path = normalize(join(base, decodeURIComponent(url.pathname)));
      if (path !== base && !path.startsWith(base + sep))
        throw Object.assign(new Error('outside root'), { code: 'ENOENT' });
      if ((await stat(path)).isDirectory()) path = join(path, 'index.html');
      const body = await readFile(path);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch (error) {
      res.writeHead(error.code === 'ENOENT' || error.code === 'ENOTDIR' ? 404 : 500, headers);
      res.end(String(error.code ?? error));
    }
  });
  return new Promise((ok) => server.listen(port, host, () => ok(server)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i === -1 ? fallback : args[i + 1];
  };
  const options = {
    port: Number(opt('port', 4310)),
    host: opt('host', '127.0.0.1'),
    root: opt('root', '.'),
    cors: args.includes('--cors'),
    isolate: args.includes('--isolate'),
  };
  await serve(options);
  console.log(`serving ${resolve(options.root)} at http://${options.host}:${options.port}/`);
}
