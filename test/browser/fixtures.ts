import { chromium, expect, test as base, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, PAGE } from '../../playwright.config.js';

export { expect };
export const BLANK = `${PAGE}/test/browser/blank.html`;
export const PAGE_ORIGIN = new URL(PAGE).origin;

/** Collects console errors and uncaught page errors; a test passes only with none. */
export function watchErrors(page: Page, allowed: RegExp[] = []): string[] {
  const errors: string[] = [];
  const keep = (text: string) => {
    if (!allowed.some((re) => re.test(text))) errors.push(text);
  };
  page.on('console', (m) => {
    if (m.type() === 'error') keep(m.text());
  });
  page.on('pageerror', (e) => keep(String(e)));
  return errors;
}

/**
 * Opens the blank page with the library loaded as `window.edge`, and
 * `window.errorsOf(cases)`: runs each case and reports how it failed.
 */
export async function openLibrary(page: Page, from = '/dist/index.js', blank = BLANK): Promise<void> {
  await page.goto(blank);
  await page.evaluate(async (src) => {
    const edge = await import(src);
    const errorsOf = async (cases: Record<string, () => unknown>) => {
      const out: Record<string, { code?: string | undefined; typed: boolean; message: string; field?: unknown }> = {};
      for (const [name, fn] of Object.entries(cases)) {
        try {
          await fn();
          out[name] = { typed: false, message: 'no error' };
        } catch (e) {
          const err = e as { code?: string; message: string; details?: { field?: unknown } };
          out[name] = {
            code: err.code,
            typed: e instanceof edge.MlflowEdgeError,
            message: err.message,
            field: err.details?.field,
          };
        }
      }
      return out;
    };
    // Calls tracker.sync() until it succeeds, retrying only TEMPORARILY_UNAVAILABLE; returns the number of calls.
    const syncRetrying = async (tracker: { sync(): Promise<void> }, maxTries: number) => {
      for (let tries = 1; ; tries++) {
        try {
          await tracker.sync();
          return tries;
        } catch (error) {
          if ((error as { code?: string }).code !== 'TEMPORARILY_UNAVAILABLE' || tries >= maxTries) throw error;
        }
      }
    };
    Object.assign(window, { edge, errorsOf, syncRetrying });
  }, from);
}

/** `page` has the library loaded; every test fails on a console error or an uncaught page error. */
export const test = base.extend({
  page: async ({ page }, use) => {
    const errors = watchErrors(page);
    await openLibrary(page);
    await use(page);
    expect(errors, 'console errors').toEqual([]);
  },
});

/** A Chromium with an on-disk profile: IndexedDB and OPFS survive closing it. */
export class Profile {
  readonly dir = mkdtempSync(join(tmpdir(), 'mlflow-edge-profile-'));

  launch(): Promise<BrowserContext> {
    return chromium.launchPersistentContext(this.dir, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      headless: true,
    });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
