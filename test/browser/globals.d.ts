// What the test pages have on `window`: the library under test.
declare const edge: typeof import('../../src/index.js');
/** Runs each case; how each failed (or 'no error'). Installed by openLibrary. */
declare function errorsOf(
  cases: Record<string, () => unknown>,
): Promise<Record<string, { code?: string; typed: boolean; message: string; field?: unknown }>>;
/** Calls tracker.sync() until it succeeds, retrying only TEMPORARILY_UNAVAILABLE; the number of calls. Installed by openLibrary. */
declare function syncRetrying(tracker: { sync(): Promise<void> }, maxTries: number): Promise<number>;
