import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The demo workbench: demo/src/*.ts → demo/build/*.js (ES modules, uPlot
// bundled in). The library itself is not bundled: demo/src/edge.ts imports
// dist/index.js at run time, as any page using the published package would.
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  publicDir: false,
  logLevel: 'warn',
  build: {
    target: 'es2022',
    outDir: here('build'),
    emptyOutDir: true,
    sourcemap: true,
    minify: true,
    lib: {
      entry: { main: here('src/main.ts'), train: here('src/train-worker.ts') },
      formats: ['es'],
    },
    rollupOptions: {
      output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
});
