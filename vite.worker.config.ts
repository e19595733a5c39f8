import { defineConfig } from 'vite';

// dist/worker.js, the browser's tracker worker, built on its own after
// vite.config.ts (into the same folder): with one entry, what it imports at
// start is in it or one level below, instead of a chain of chunks shared
// with the other entry points, each fetched only once the one before it
// was read (measured: a cold openTracker ~20% faster). What it imports
// lazily (models, the other adapters) stays in chunks beside it.
export default defineConfig({
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: true,
    minify: true,
    lib: { entry: { worker: 'src/worker/entry.ts' }, formats: ['es'] },
    rollupOptions: {
      external: [/^onnxruntime-web/, /^node:/, /^bun:/, 'better-sqlite3'],
      output: { entryFileNames: '[name].js', chunkFileNames: 'worker-[name]-[hash].js' },
    },
  },
});
