import { defineConfig } from '@playwright/test';

// Tier 2: the built library (dist/) in Debian's Chromium. Pages come from
// one origin (PAGE); the cross-origin test loads the library from another
// (LIBRARY), as a notebook importing it from a CDN would.
// EDGE_PORT_BASE moves all three (default 4310), so two checkouts can run
// their browser tests side by side.
const BASE = Number(process.env.EDGE_PORT_BASE ?? 4310);
export const PAGE = `http://127.0.0.1:${BASE}`;
export const LIBRARY = `http://127.0.0.1:${BASE + 1}`;
/** An origin that is not localhost to an MLflow server, to test its CORS allow-list. */
export const FOREIGN_PAGE = `http://127.0.0.2:${BASE + 2}`;
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  projects: [
    // Tier 2: the library in Chromium.
    { name: 'browser', testDir: 'test/browser', testMatch: '**/*.spec.ts' },
    // Tier 3: Chromium against real MLflow servers (from .venv), through fault-injecting proxies.
    { name: 'interop', testDir: 'test/interop', testMatch: '**/*.spec.ts', timeout: 300_000 },
  ],
  timeout: 60_000,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'reports/playwright.json' }]],
  outputDir: 'test-results',
  use: {
    baseURL: PAGE,
    headless: true,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
  },
  webServer: [
    {
      command: `node scripts/serve.mjs --port ${BASE}`,
      url: `${PAGE}/package.json`,
      reuseExistingServer: !process.env.CI,
    },
    {
      command: `node scripts/serve.mjs --port ${BASE + 1} --cors`,
      url: `${LIBRARY}/package.json`,
      reuseExistingServer: !process.env.CI,
    },
    {
      command: `node scripts/serve.mjs --host 127.0.0.2 --port ${BASE + 2}`,
      url: `${FOREIGN_PAGE}/package.json`,
      reuseExistingServer: !process.env.CI,
    },
  ],
});
