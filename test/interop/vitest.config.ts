import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tier 3 (interop): a real MLflow server from .venv, started per test file.
//   npx vitest run --config test/interop/vitest.config.ts
// The repo's vitest.config.ts only includes test/node, so this tier has its own config.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/interop/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false, // one MLflow server at a time on a 2-core box
  },
});
