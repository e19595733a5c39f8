import { defineConfig } from 'vitest/config';

/**
 * The tests that read and write the store: run once per storage adapter
 * (test/node/store-location.ts picks the adapter from EDGE_STORE), so every
 * adapter passes the same table of store, sync and tracker tests.
 */
const STORE_TABLE = [
  'test/node/store/**/*.test.ts',
  'test/node/sync/**/*.test.ts',
  'test/node/client/**/*.test.ts',
  'test/node/lifecycle.test.ts',
  'test/node/bad-input.test.ts',
  'test/node/models/resolve.test.ts',
  'test/node/schema/registry.test.ts',
];

// Tier 1: Node with fake-indexeddb (logic only, never timing), then the store table on SQLite and in memory.
export default defineConfig({
  test: {
    environment: 'node',
    setupFiles: ['test/node/setup.ts'],
    projects: [
      { extends: true, test: { name: 'indexeddb', include: ['test/node/**/*.test.ts'] } },
      { extends: true, test: { name: 'sqlite', include: STORE_TABLE, env: { EDGE_STORE: 'sqlite' } } },
      { extends: true, test: { name: 'memory', include: STORE_TABLE, env: { EDGE_STORE: 'memory' } } },
    ],
  },
});
