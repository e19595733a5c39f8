import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';

/** The README's fenced blocks with this info string (`js`, `js remote`). */
export function readmeBlocks(info: string): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  return [...readme.matchAll(new RegExp('```' + info + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/**
 * Runs a README example in the page against the built library and returns
 * what it printed and what its `console.log(…); // text` comments promise.
 */
export async function runExample(
  page: Page,
  source: string,
  replace: Record<string, string> = {},
): Promise<{ printed: string[]; expected: string[] }> {
  const expected = [...source.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
  let body = source.replace(
    /^import \{([^}]*)\} from 'mlflow-edge(?:\/(\w+))?';$/gm,
    (_, names: string, entry?: string) => `const {${names}} = await import('/dist/${entry ?? 'index'}.js');`,
  );
  for (const [from, to] of Object.entries(replace)) body = body.replaceAll(from, to);
  const printed = (await page.evaluate(`(async () => {
    const printed = [];
    const console = { ...globalThis.console, log: (...args) => printed.push(args.map(String).join(' ')) };
    ${body}
    return printed;
  })()`)) as string[];
  return { printed, expected };
}
