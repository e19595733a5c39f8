import { defineConfig } from 'vitest/config';

// Tier 1: Node with fake-indexeddb (logic only, never timing).
export default defineConfig({
  test: {
    include: ['test/node/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['test/node/setup.ts'],
  },
});
