/**
 * The README's facts that code can check: the storage schema version and
 * the entry points (package.json exports, the files vite builds them from).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/store/schema.js';

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string }>;
  bin?: Record<string, string>;
};
// The library's entry points, and the browser's worker built on its own.
const VITE = ['vite.config.ts', 'vite.worker.config.ts'].map((f) => readFileSync(resolve(ROOT, f), 'utf8')).join('\n');

/** The text of a `## ` section of the README, without its heading. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  expect(start, `README section "${title}"`).toBeGreaterThan(-1);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

/** Rows of the entry-point table: import name, built file, source file. */
function entryPoints(): { name: string; file: string; source: string }[] {
  return [...section('API').matchAll(/^\| `(mlflow-edge[^`]*)` +\| `([^`]+)` +\| `([^`]+)` +\|/gm)].map(
    ([, name, file, source]) => ({
      name: name!,
      file: file!,
      source: source!,
    }),
  );
}

/** Rows of the entry-point table for package.json's bin: command name, built file, source file. */
function commands(): { name: string; file: string; source: string }[] {
  return [...section('API').matchAll(/^\| `([^`]+)` \(command\) +\| `([^`]+)` +\| `([^`]+)` +\|/gm)].map(
    ([, name, file, source]) => ({ name: name!, file: file!, source: source! }),
  );
}

describe('README', () => {
  it('states the schema version the store opens', () => {
    const stated = [...section('Storage').matchAll(/schema version (\d+)/g)].map((m) => Number(m[1]));
    expect(stated.length).toBeGreaterThan(0);
    for (const version of stated) expect(version).toBe(SCHEMA_VERSION);
  });

  it('lists every entry point package.json exports, with the file it builds to', () => {
    const listed = entryPoints();
    const exported = Object.entries(PACKAGE.exports).filter(([key]) => key !== './package.json');
    expect(listed.map((e) => e.name).sort()).toEqual(
      exported.map(([key]) => (key === '.' ? 'mlflow-edge' : `mlflow-edge/${key.slice(2)}`)).sort(),
    );
    for (const [key, target] of exported) {
      const entry = listed.find((e) => e.name === (key === '.' ? 'mlflow-edge' : `mlflow-edge/${key.slice(2)}`));
      expect(`./${entry?.file}`).toBe(typeof target === 'string' ? target : target.import);
    }
  });

  it('names the source each entry point is built from (vite.config.ts or vite.worker.config.ts, and the types tsc writes)', () => {
    for (const { name, file, source } of entryPoints()) {
      const chunk = /^dist\/(.+)\.js$/.exec(file)?.[1];
      expect(VITE, name).toMatch(new RegExp(`\\b${chunk}: '${source.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`));
      const key = name === 'mlflow-edge' ? '.' : `./${name.slice('mlflow-edge/'.length)}`;
      const target = PACKAGE.exports[key];
      if (typeof target === 'object')
        expect(target.types).toBe(`./dist/types/${source.slice('src/'.length).replace(/\.ts$/, '.d.ts')}`);
    }
  });

  it('lists every command package.json installs (bin), with the file it builds to and its source', () => {
    const listed = commands();
    expect(listed.map((c) => c.name).sort()).toEqual(Object.keys(PACKAGE.bin ?? {}).sort());
    for (const { name, file, source } of listed) {
      expect(PACKAGE.bin?.[name]).toBe(`./${file}`);
      const chunk = /^dist\/(.+)\.js$/.exec(file)?.[1];
      expect(VITE, name).toMatch(new RegExp(`\\b${chunk}: '${source.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`));
    }
  });
});
