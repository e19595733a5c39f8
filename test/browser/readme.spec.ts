import { readmeBlocks, runExample } from '../readme-examples.js';
import { expect, test } from './fixtures.js';

// Every ```js block of the README runs in Chromium against the built library;
// a `console.log(…); // text` line must print exactly that text.
const blocks = readmeBlocks('js');

test('the README has runnable examples', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(3);
});

blocks.forEach((source, i) => {
  const title =
    source
      .split('\n')
      .find((l) => l.trim() && !l.startsWith('import'))
      ?.trim() ?? `block ${i}`;
  test(`README example ${i + 1}: ${title}`, async ({ page }) => {
    const { printed, expected } = await runExample(page, source);
    expect(printed).toEqual(expected);
  });
});
