import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { openLibrary, watchErrors } from '../browser/fixtures.js';
import { startMlflowServer, type MlflowServer } from './mlflow-server.js';

// The README's ```js remote blocks, run against a real server in place of http://127.0.0.1:5000.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```js remote\n([\s\S]*?)```/g)].map((m) => m[1]!);

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
    const expected = [...source.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
    const body = source
      .replaceAll('http://127.0.0.1:5000', server.url)
      .replace(/^import \{([^}]*)\} from 'mlflow-edge';$/gm, (_, names: string) => `const {${names}} = await import('/dist/index.js');`);
    const printed = await page.evaluate(`(async () => {
      const printed = [];
      const console = { ...globalThis.console, log: (...args) => printed.push(args.map(String).join(' ')) };
      ${body}
      return printed;
    })()`);
    expect(printed).toEqual(expected);
    expect(errors).toEqual([]);
  });
});
