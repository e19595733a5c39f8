/**
 * The house rules of DESIGN.md, read from the source: no import cycles, and
 * arrows that point one way (`client → protocol ← worker → {ingest, sync,
 * models} → {remote, store} → schema`). Static imports (type-only ones too)
 * count for cycles; every import, lazy ones included, counts for layers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

interface Import {
  /** Path of the imported module relative to src/, or the bare package name. */
  target: string;
  lazy: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Comments removed, so an import named in a comment does not count. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function importsOf(file: string): Import[] {
  const text = code(readFileSync(file, 'utf8'));
  const found: Import[] = [];
  const add = (specifier: string, lazy: boolean) => {
    const target = specifier.startsWith('.')
      ? relative(SRC, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts')
      : specifier;
    found.push({ target, lazy });
  };
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/gm)) add(m[1]!, false);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) add(m[1]!, false);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1]!, true);
  return found;
}

const graph = new Map(sourceFiles(SRC).map((file) => [relative(SRC, file), importsOf(file)]));

/** Every cycle's first closing path, found by depth-first search over static imports. */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const { target, lazy } of graph.get(node) ?? []) {
      if (lazy || !graph.has(target)) continue;
      if (state.get(target) === 'open') found.push([...stack.slice(stack.indexOf(target)), target]);
      else if (state.get(target) === undefined) visit(target);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  return found;
}

/** A module of folder `area` (or its index `area.ts`), or the package `area` and its subpaths. */
const inside = (path: string, area: string) => path === area || path === `${area}.ts` || path.startsWith(`${area}/`);

/** `file → target` for every import from a module in `from` of one in `forbidden`. */
function crossings(from: string, forbidden: string[]): string[] {
  return [...graph]
    .filter(([file]) => inside(file, from))
    .flatMap(([file, imports]) =>
      imports
        .filter(({ target }) => forbidden.some((area) => inside(target, area)))
        .map(({ target }) => `${file} → ${target}`),
    );
}

describe('imports', () => {
  it('finds the modules and their imports', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('worker/entry.ts')?.map((i) => i.target)).toContain('worker/service.ts');
  });

  it('form no cycle', () => {
    expect(cycles().map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('protocol imports only schema/', () => {
    expect(crossings('protocol', ['client', 'worker', 'ingest', 'sync', 'models', 'remote', 'store'])).toEqual([]);
    const outside = [...graph]
      .filter(([file]) => inside(file, 'protocol'))
      .flatMap(([file, imports]) =>
        imports
          .filter(({ target }) => !inside(target, 'schema') && !inside(target, 'protocol'))
          .map(({ target }) => `${file} → ${target}`),
      );
    expect(outside).toEqual([]);
  });

  it('schema/ imports nothing of ours outside schema/', () => {
    expect(
      crossings('schema', ['client', 'worker', 'ingest', 'sync', 'models', 'remote', 'store', 'protocol']),
    ).toEqual([]);
  });

  it('client/ never imports worker/, store/, sync/, remote/, models/ or onnxruntime', () => {
    expect(
      crossings('client', [
        'worker',
        'store',
        'sync',
        'remote',
        'models',
        'ingest',
        'onnxruntime-web',
        'onnxruntime-node',
      ]),
    ).toEqual([]);
  });

  it('worker/ never imports client/', () => {
    expect(crossings('worker', ['client'])).toEqual([]);
  });

  it('store/ never imports sync/, models/ or remote/; models/ never imports sync/', () => {
    expect(crossings('store', ['sync', 'models', 'remote'])).toEqual([]);
    expect(crossings('models', ['sync'])).toEqual([]);
  });
});
