// What the test pages have on `window`: the library under test.
declare const edge: typeof import('../../src/index.js');
/** Runs each case; how each failed (or 'no error'). Installed by openLibrary. */
declare function errorsOf(cases: Record<string, () => unknown>): Promise<Record<string, { code?: string; typed: boolean; message: string; field?: unknown }>>;
