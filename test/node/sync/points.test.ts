import { describe, expect, it } from 'vitest';
import { SeriesPoints } from '../../../src/sync/points.js';

const of = (points: [step: number, timestamp: number, value: number][]) => {
  const s = new SeriesPoints(2);
  for (const [step, timestamp, value] of points) s.add({ step, timestamp, value });
  s.seal();
  return s;
};

describe('SeriesPoints: distinct points as MLflow keys them, and which a server returned', () => {
  it('counts points equal under (timestamp, step, value, is_nan) once, in any logged order', () => {
    const s = of([
      [2, 20, 1],
      [1, 10, 0.5],
      [1, 10, 0.5], // logged twice
      [1, 10, NaN],
      [1, 10, NaN], // NaN is one value there
      [1, 10, 0], // NaN is stored as 0 with a flag: another point
      [1, 10, -0], // -0 arrives as 0
      [3, 30, Infinity],
      [3, 30, Number.MAX_VALUE], // +Infinity is stored as MAX_VALUE
      [3, 30, -Infinity],
      [0, 40, 1], // same step, another timestamp: another point
      [2, 40, 1],
    ]);
    expect(s.size).toBe(8);
    expect(s.missing).toBe(8);
  });

  it("matches the server's JSON (NaN as a string, ±Infinity as ±MAX_VALUE or strings) and ignores points it does not hold", () => {
    const s = of([
      [0, 1, NaN],
      [1, 2, Infinity],
      [2, 3, -Infinity],
      [3, 4, 0.1],
      [4, 5, 7],
    ]);
    s.see(1, 0, 'NaN');
    s.see('2', '1', 1.7976931348623157e308);
    s.see(3, 2, '-Infinity');
    s.see(4, 3, 0.1);
    s.see(4, 3, 0.1); // a server that keeps duplicates (MLflow's file store) counts once
    s.see(5, 4, 8); // another value: not ours
    s.see(6, 5, 7); // another client's point
    expect(s.missing).toBe(1);
    s.see(5, 4, 7);
    expect(s.missing).toBe(0);
  });

  it('a series logged in increasing order needs no sort and finds every point', () => {
    const n = 50_000;
    const s = new SeriesPoints(n);
    for (let i = 0; i < n; i++)
      s.add({ step: i, timestamp: 1_700_000_000_000 + Math.floor(i / 10), value: i % 13 === 0 ? NaN : 1 / (i + 1) });
    s.seal();
    expect(s.size).toBe(n);
    for (let i = n - 1; i >= 0; i--)
      s.see(1_700_000_000_000 + Math.floor(i / 10), i, i % 13 === 0 ? 'NaN' : 1 / (i + 1));
    expect(s.missing).toBe(0);
  });

  it("knows the last point in MLflow's order (timestamp, step, stored value; NaN as 0), whichever of equal values the server returns", () => {
    const s = of([
      [1, 10, 5],
      [7, 50, -Infinity],
      [7, 50, NaN],
      [7, 50, 0.5],
      [7, 50, Infinity],
    ]);
    expect(s.isLast(50, 7, 'Infinity')).toBe(true);
    expect(s.isLast(50, 7, Number.MAX_VALUE)).toBe(true); // as MLflow stores it
    expect(s.isLast(50, 7, 0.5)).toBe(false);
    expect(s.isLast(50, 7, 'NaN')).toBe(false);
    expect(s.isLast(10, 1, 5)).toBe(false);
    const tie = of([
      [1, 10, 5],
      [2, 20, NaN],
      [2, 20, 0],
    ]);
    expect(tie.isLast(20, 2, 'NaN')).toBe(true); // NaN and 0 are both 0 in MLflow's order
    expect(tie.isLast(20, 2, 0)).toBe(true);
    expect(tie.isLast('20', '2', '0')).toBe(true); // as JSON may carry them
    expect(of([]).isLast(0, 0, 0)).toBe(false);
  });
});
