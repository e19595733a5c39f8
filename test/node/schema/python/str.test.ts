/**
 * Params and tags logged as numbers, booleans or null are stored as Python's
 * str() prints the value they stand for. The expected strings are Python's own
 * output: regenerate with
 * `/work/main/.venv/bin/python test/node/fixtures/py-str/make_py_str.py`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pyNumberStr } from '../../../../src/schema/python.js';
import { stringifyValue } from '../../../../src/schema/validation.js';

interface Case {
  js: string;
  kind: 'number' | 'bigint' | 'boolean' | 'null';
  python: string;
  str: string;
}

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'py-str', 'py-str.json'), 'utf8'),
) as { cases: Case[] };

function jsValue(c: Case): unknown {
  switch (c.kind) {
    case 'number':
      return c.js === 'nan' ? NaN : c.js === 'inf' ? Infinity : c.js === '-inf' ? -Infinity : Number(c.js);
    case 'bigint':
      return BigInt(c.js);
    case 'boolean':
      return c.js === 'true';
    case 'null':
      return null;
  }
}

describe("param and tag values print as Python's str()", () => {
  it('the fixture holds at least 100 numbers', () => {
    expect(fixture.cases.filter((c) => c.kind === 'number').length).toBeGreaterThanOrEqual(100);
  });

  it.each(fixture.cases.map((c) => [c.js, c.python, c.str, c] as const))(
    '%s (Python %s) → %s',
    (_js, _python, expected, c) => {
      expect(stringifyValue(jsValue(c), 'param', 'k')).toBe(expected);
      expect(stringifyValue(jsValue(c), 'tag', 'k')).toBe(expected);
    },
  );

  it('reads each number back to the same double (nothing is rounded away)', () => {
    for (const c of fixture.cases) {
      if (c.kind !== 'number') continue;
      const value = jsValue(c) as number;
      const back = Number(pyNumberStr(value).replace(/^(-?)inf$/, '$1Infinity'));
      expect(Object.is(back, value) || (Number.isNaN(back) && Number.isNaN(value))).toBe(true);
    }
  });
});
