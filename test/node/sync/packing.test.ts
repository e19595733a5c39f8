import { describe, expect, it } from 'vitest';
import {
  ackOf,
  encodeDouble,
  logBatchBody,
  MAX_BATCH_BYTES,
  packBatches,
  type MetricItem,
  type TextItem,
} from '../../../src/sync/packing.js';

const text = (n: number, kind: 'param' | 'tag' | 'mixed', valueLength = 3): TextItem[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: kind === 'mixed' ? (i % 3 === 0 ? 'tag' : 'param') : kind,
    key: `k${i}`,
    value: 'v'.repeat(valueLength),
    seq: i + 1,
  }));
const series = (key: string, n: number): MetricItem[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'metric', key, value: i, step: i, timestamp: 1000 + i, index: i }));

function checkLimits(batches: ReturnType<typeof packBatches>) {
  for (const b of batches) {
    const count = (k: string) => b.filter((i) => i.kind === k).length;
    expect(count('param')).toBeLessThanOrEqual(100);
    expect(count('tag')).toBeLessThanOrEqual(100);
    expect(count('metric')).toBeLessThanOrEqual(1000);
    expect(b.length).toBeLessThanOrEqual(1000);
    expect(new TextEncoder().encode(JSON.stringify(logBatchBody('r', b))).length).toBeLessThan(1_000_000);
  }
}

describe('log-batch packing', () => {
  it.each([
    ['nothing', [], [], 0],
    ['one metric', [], [series('a', 1)], 1],
    ['1000 metrics fit one batch', [], [series('a', 1000)], 1],
    ['1001 metrics need two', [], [series('a', 1001)], 2],
    ['100k metrics over 3 series', [], [series('a', 50_000), series('b', 30_000), series('c', 20_000)], 100],
    ['250 params', text(250, 'param'), [], 3],
    ['200 params + 100 tags mixed', text(300, 'mixed'), [], 2],
    ['100 params + 900 metrics share a batch', text(100, 'param'), [series('a', 900)], 1],
    ['100 params + 901 metrics', text(100, 'param'), [series('a', 901)], 2],
    ['100 params of 6000 chars fit (600 kB)', text(100, 'param', 6000), [], 1],
    [
      'then 100 tags of 8000 chars pass 1 MB',
      [
        ...text(100, 'param', 6000),
        ...text(100, 'tag', 8000).map((t) => ({ ...t, key: `t${t.key}`, seq: t.seq + 100 })),
      ],
      [],
      2,
    ],
    ['multi-byte text counted in bytes', text(100, 'tag', 4000).map((t) => ({ ...t, value: '€'.repeat(4000) })), [], 2],
  ])('%s', (_, t, s, expected) => {
    const batches = packBatches(t, s);
    expect(batches).toHaveLength(expected);
    checkLimits(batches);
    // Everything goes out once, each kind in order.
    const flat = batches.flat();
    expect(flat.filter((i) => i.kind !== 'metric')).toEqual(t);
    for (const one of s) expect(flat.filter((i) => i.kind === 'metric' && i.key === one[0]!.key)).toEqual(one);
  });

  it('acknowledges prefixes: seq watermark and per-series counts', () => {
    const batches = packBatches(text(150, 'param'), [series('a', 10), series('b', 2000)]);
    const params = text(150, 'param');
    expect(ackOf(batches[0]!)).toEqual({
      syncedSeq: 100,
      counts: new Map([
        ['a', 10],
        ['b', 890],
      ]),
      text: params.slice(0, 100),
    });
    expect(ackOf(batches[1]!)).toEqual({ syncedSeq: 150, counts: new Map([['b', 1840]]), text: params.slice(100) });
    expect(ackOf(batches[2]!)).toEqual({ counts: new Map([['b', 2000]]), text: [] });
    expect(MAX_BATCH_BYTES).toBeLessThan(1_000_000);
  });

  it('encodes NaN and infinities as MLflow reads them', () => {
    expect([NaN, Infinity, -Infinity, 1.5].map(encodeDouble)).toEqual(['NaN', 'Infinity', '-Infinity', 1.5]);
    const body = logBatchBody('rid', [
      { kind: 'metric', key: 'm', value: NaN, step: 2, timestamp: 3, index: 0 },
      { kind: 'param', key: 'p', value: '1', seq: 1 },
      { kind: 'tag', key: 't', value: 'x', seq: 2 },
    ]);
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      run_id: 'rid',
      params: [{ key: 'p', value: '1' }],
      tags: [{ key: 't', value: 'x' }],
      metrics: [{ key: 'm', value: 'NaN', timestamp: 3, step: 2 }],
    });
  });
});
