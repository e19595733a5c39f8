import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures.js';

// Every ```js block of the README runs in Chromium against the built library;
// a `console.log(…); // text` line must print exactly that text.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);

test('the README has runnable examples', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(3);
});

blocks.forEach((source, i) => {
  const title = source.split('\n').find((l) => l.trim() && !l.startsWith('import'))?.trim() ?? `block ${i}`;
  test(`README example ${i + 1}: ${title}`, async ({ page }) => {
    const expected = [...source.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
    const body = source.replace(
      /^import \{([^}]*)\} from 'mlflow-edge';$/gm,
      (_, names: string) => `const {${names}} = await import('/dist/index.js');`,
    );
    const printed = await page.evaluate(`(async () => {
      const printed = [];
      const console = { ...globalThis.console, log: (...args) => printed.push(args.map(String).join(' ')) };
      ${body}
      return printed;
    })()`);
    expect(printed).toEqual(expected);
  });
});
