import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, PAGE } from '../playwright.config.js';

// `npm run bench`, second part: sync figures against a real MLflow server.
export default defineConfig({
  testDir: '.',
  testMatch: '*.bench.ts',
  timeout: 900_000,
  workers: 1,
  reporter: [['list']],
  outputDir: '../test-results/bench',
  use: {
    baseURL: PAGE,
    headless: true,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
  },
  webServer: [
    {
      command: `node scripts/serve.mjs --port ${new URL(PAGE).port}`,
      cwd: '..',
      url: `${PAGE}/package.json`,
      reuseExistingServer: true,
    },
  ],
});
