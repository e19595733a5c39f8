import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vite';

// The library: dist/index.js (the page API) and the other entry points, ES
// modules with shared code in chunks beside them; dist/worker.js (the
// tracker worker) comes from vite.worker.config.ts into the same folder, so
// that `new URL('./worker.js', import.meta.url)` finds it from any file.
export default defineConfig({
  plugins: [
    {
      // The command line is a program (package.json "bin"): executable, as npm makes it on install.
      name: 'executable-cli',
      writeBundle(options) {
        chmodSync(join(options.dir ?? 'dist', 'cli.js'), 0o755);
      },
    },
  ],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: true,
    lib: {
      entry: {
        index: 'src/index.ts',
        // worker.js, the browser's worker, is built on its own: vite.worker.config.ts.
        model: 'src/model-api.ts',
        signature: 'src/signature-api.ts',
        data: 'src/data-api.ts',
        node: 'src/node.ts',
        'node-worker': 'src/worker/node-entry.ts',
        edge: 'src/edge.ts',
        // The command line (package.json "bin"): Node only, run in place.
        cli: 'src/cli.ts',
      },
      formats: ['es'],
    },
    rollupOptions: {
      // A peer dependency, imported lazily in the worker: never bundled (its wasm would be inlined).
      // Node's, Deno's and Bun's own modules and better-sqlite3 are the runtime's: loaded, never bundled.
      external: [/^onnxruntime-web/, /^node:/, /^bun:/, 'better-sqlite3'],
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: '[name]-[hash].js',
      },
    },
  },
});
