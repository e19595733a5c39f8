// The workbench's service worker: the app works offline after the first visit.
// Network first (the dev server sends fresh files), the cache when the network fails.
// Installing caches the app shell, the library (dist/ and the chunks its entry files
// name), uPlot's CSS and onnxruntime-web's wasm build, so even a model that was never
// loaded online runs offline. Only same-origin GETs under those folders are handled:
// requests to an MLflow server never touch the cache.
const CACHE = 'mlflow-edge-demo-v1';
const scope = new URL(self.registration.scope);
const root = new URL('../', scope);
const at = (path, base = scope) => new URL(path, base).href;
const ORT = at('node_modules/onnxruntime-web/dist/', root);
const SHELL = [
  at('./'),
  at('index.html'),
  at('style.css'),
  at('manifest.webmanifest'),
  at('data/iris.csv'),
  at('build/main.js'),
  at('build/train.js'),
  at('tracker-worker.js'),
  at('node_modules/uplot/dist/uPlot.min.css', root),
  at('dist/index.js', root),
  at('dist/worker.js', root),
  at('dist/model.js', root),
  at('ort.wasm.min.mjs', ORT),
  at('ort-wasm-simd-threaded.mjs', ORT),
  at('ort-wasm-simd-threaded.wasm', ORT),
];
const HANDLED = [
  scope.href,
  at('dist/', root),
  at('node_modules/uplot/', root),
  at('node_modules/onnxruntime-web/', root),
];
const handled = (url) => HANDLED.some((prefix) => url.startsWith(prefix));

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const seen = new Set();
      const queue = [...SHELL];
      while (queue.length > 0) {
        const url = queue.shift();
        if (seen.has(url) || !handled(url)) continue;
        seen.add(url);
        let response;
        try {
          response = await fetch(url, { cache: 'no-store' });
        } catch {
          continue;
        }
        if (!response.ok) continue;
        if (/\.m?js$/.test(new URL(url).pathname)) {
          // Chunks of the library and of the demo are named (hashed) in the files that import them.
          const text = await response.clone().text();
          for (const [, path] of text.matchAll(/["'`](\.{1,2}\/[\w./-]+\.m?js)["'`]/g))
            queue.push(new URL(path, url).href);
        }
        await cache.put(url, response);
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !handled(request.url)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await fetch(request);
        if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
        return response;
      } catch (error) {
        const cached = await cache.match(request, { ignoreSearch: true });
        if (cached) return cached;
        if (request.mode === 'navigate') {
          const shell = await cache.match(at('index.html'));
          if (shell) return shell;
        }
        throw error;
      }
    })(),
  );
});
