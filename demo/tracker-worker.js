// The library's worker, started from inside the app's scope (/demo/) so the
// service worker controls it and it starts offline too: a dedicated worker's
// controller is chosen by the worker script's own URL, and dist/worker.js is
// outside /demo/. Passed to openTracker as workerUrl.
import '../dist/worker.js';
