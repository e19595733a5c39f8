// Baselines for the logging benchmark: the same points written with the raw
// IndexedDB API from a worker, (a) one record per point in one transaction,
// (b) columnar chunks of 2048 points (the fastest layout measured here),
// written by the worker alone or (c) fed by the page's loop.
const open = (name) =>
  new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore('points', { keyPath: ['runId', 'key', 'step'] });
      req.result.createObjectStore('chunks', { keyPath: ['runId', 'key', 'chunkNo'] });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });

const done = (tx) =>
  new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onabort = () => reject(tx.error);
  });

// (c) 'fed': chunks posted by the page, one transaction each, acknowledged when committed.
let fed;
self.onmessage = async ({ data }) => {
  if (data.layout === 'fed') {
    fed = await open(data.dbName);
    postMessage({ ready: true });
    return;
  }
  if (data.chunkNo !== undefined) {
    const tx = fed.transaction('chunks', 'readwrite');
    tx.objectStore('chunks').put({ runId: 'r', key: 'loss', ...data });
    await done(tx);
    postMessage({ chunkNo: data.chunkNo });
    return;
  }
  const { layout, n, dbName } = data;
  const db = await open(dbName);
  const now = Date.now();
  const t0 = performance.now();
  if (layout === 'per-point') {
    const tx = db.transaction('points', 'readwrite');
    const store = tx.objectStore('points');
    for (let i = 0; i < n; i++)
      store.put({ runId: 'r', key: 'loss', step: i, value: Math.random(), timestamp: now + i });
    await done(tx);
  } else {
    const size = 2048;
    const tx = db.transaction('chunks', 'readwrite');
    const store = tx.objectStore('chunks');
    for (let c = 0; c * size < n; c++) {
      const m = Math.min(size, n - c * size);
      const steps = new Float64Array(m);
      const values = new Float64Array(m);
      const timestamps = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        steps[i] = c * size + i;
        values[i] = Math.random();
        timestamps[i] = now + c * size + i;
      }
      store.put({ runId: 'r', key: 'loss', chunkNo: c, steps, values, timestamps });
    }
    await done(tx);
  }
  const ms = performance.now() - t0;
  db.close();
  postMessage({ ms });
};
