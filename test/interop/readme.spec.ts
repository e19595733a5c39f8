import { expect, test } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { readmeBlocks, runExample } from '../readme-examples.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';

// The README's ```js remote blocks, run against a real server in place of http://127.0.0.1:5000.
const blocks = readmeBlocks('js remote');

let server: MlflowServer;
test.beforeAll(async () => {
  server = await startMlflowServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test('the README has a runnable sync example', () => expect(blocks.length).toBeGreaterThanOrEqual(1));

blocks.forEach((source, i) => {
  test(`README sync example ${i + 1}`, async ({ page }) => {
    const errors = watchErrors(page);
    await openLibrary(page);
    const { printed, expected } = await runExample(page, source, { 'http://127.0.0.1:5000': server.url });
    expect(printed).toEqual(expected);
    expect(errors).toEqual([]);
  });
});
