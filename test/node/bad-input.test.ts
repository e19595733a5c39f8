/**
 * Input an MLflow server would mangle or refuse is refused at the call
 * (issue 9): text that is not well-formed Unicode, lengths past MLflow's
 * limits counted in code points as Python's len() counts them, artifact
 * paths that would be both a file and a directory, and path segments longer
 * than a file name can be. Each refusal is a typed INVALID_PARAMETER_VALUE,
 * stores nothing of its call and leaves everything logged before intact,
 * also after a reload (a new service on the same database).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/client/run.js';
import type { Tracker } from '../../src/client/tracker.js';
import type { FileInfo } from '../../src/schema/entities.js';
import type { MlflowEdgeError } from '../../src/schema/errors.js';
import type { TrackerService } from '../../src/worker/service.js';
import { openedPerTest } from './in-process.js';
import { rejection } from './typed-errors.js';
import { metricColumns } from '../metric-columns.js';

const HIGH = '\uD800';
const LOW = '\uDC00';
/** Two UTF-16 units, one code point, four bytes of UTF-8. */
const EMOJI = '😀';
/** U+1D49C MATHEMATICAL SCRIPT CAPITAL A: a letter (Python's `\w`) outside the BMP. */
const ASTRAL = '𝒜';
const CODE = "import { setModel } from 'mlflow-edge/model'; setModel({ predict(c, input) { return input; } });";

const opened = openedPerTest();
const tracker = (dbName?: string) => opened(dbName === undefined ? {} : { dbName });

/** What a test can see of the store: compared whole before and after a refused call. */
async function snapshot(t: Tracker, runId: string) {
  const run = await t.getRun(runId);
  return {
    params: run.data.params,
    tags: run.data.tags,
    metrics: run.data.metrics,
    history: await t.getMetricHistory(runId, 'before'),
    artifacts: await listAll(t, runId),
    artifactA: await (await t.readArtifact(runId, 'a')).text(),
    experiments: (await t.listExperiments()).map((e) => e.name).sort(),
    runs: (await t.searchRuns()).map((r) => r.info.runId).sort(),
    loggedModels: (await t.listLoggedModels()).length,
  };
}

async function listAll(t: Tracker, runId: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const f of (await t.listArtifacts(runId, dir)) as FileInfo[]) {
    if (f.isDir) out.push(...(await listAll(t, runId, f.path)));
    else out.push(f.path);
  }
  return out;
}

interface Baseline {
  t: Tracker;
  service: TrackerService;
  dbName: string;
  run: Run;
}

/** A run holding one of each kind of item: what every refusal must leave alone. */
async function baseline(): Promise<Baseline> {
  const { tracker: t, service, dbName } = await tracker();
  const run = await t.startRun({ experimentName: 'bad-input', runName: 'baseline' });
  run.logParam('before', 1);
  run.setTag('before', 'yes');
  run.logMetric('before', 1, { step: 0 });
  run.logMetric('before', 2, { step: 1 });
  await run.logArtifact('a', 'file a');
  await run.logArtifact('dir/b.txt', 'file b');
  await t.flush();
  return { t, service, dbName, run };
}

function expectBaseline(s: Awaited<ReturnType<typeof snapshot>>): void {
  expect(s.params).toEqual({ before: '1' });
  expect(s.tags).toMatchObject({ before: 'yes', 'mlflow.runName': 'baseline' });
  expect(s.metrics).toEqual({ before: 2 });
  expect(s.history.map((p) => p.value)).toEqual([1, 2]);
  expect(s.artifacts).toEqual(['a', 'dir/b.txt']);
  expect(s.artifactA).toBe('file a');
  expect(s.experiments).toEqual(['bad-input']);
  expect(s.runs).toHaveLength(1);
  expect(s.loggedModels).toBe(0);
}

/** Closes the tracker and opens another on the same database: what is on disk is all there is. */
async function reload(b: Baseline): Promise<Tracker> {
  await b.t.close();
  return (await tracker(b.dbName)).tracker;
}

/** Runs `check` on the open tracker, then again after a reload. */
async function beforeAndAfterReload(b: Baseline, check: (t: Tracker) => Promise<void>): Promise<void> {
  await check(b.t);
  await check(await reload(b));
}

interface BadCase {
  name: string;
  /** Logged before the snapshot, so it belongs to what must survive. */
  setup?: (b: Baseline) => Promise<unknown>;
  call: (b: Baseline) => unknown;
  hint: RegExp;
  details?: Record<string, unknown>;
}

const badCases: BadCase[] = [
  // Lone surrogates: the server stores an empty value (and drops the rest of the batch) or refuses.
  {
    name: 'a metric key with a lone surrogate',
    call: ({ run }) => run.logMetric(`loss${HIGH}`, 1),
    hint: /metric key "loss\\ud800" is not well-formed Unicode.*lone surrogate \(U\+D800\)/,
  },
  {
    name: 'logMetrics with one key holding a lone surrogate (none stored)',
    call: ({ run }) => run.logMetrics({ ok: 1, [`acc${LOW}`]: 2 }),
    hint: /not well-formed Unicode/,
  },
  {
    name: 'a param key with a lone surrogate',
    call: ({ run }) => run.logParam(`lr${HIGH}`, 0.1),
    hint: /param key .* not well-formed Unicode/,
  },
  {
    name: 'a tag key with a lone surrogate',
    call: ({ run }) => run.setTag(`${LOW}note`, 'x'),
    hint: /tag key .* not well-formed Unicode.*U\+DC00/,
  },
  {
    name: 'a param value with a lone surrogate',
    call: ({ run }) => run.logParam('lr', `0.1${HIGH}`),
    hint: /Param value for key 'lr' is not well-formed Unicode.*index 3/,
    details: { key: 'lr', index: 3 },
  },
  {
    name: 'logParams with an emoji cut in half (none stored)',
    call: ({ run }) => run.logParams({ good: 'g', text: (EMOJI + EMOJI).slice(0, 3) }),
    hint: /Param value for key 'text' is not well-formed.*toWellFormed/,
  },
  {
    name: 'a tag value with a lone low surrogate',
    call: ({ run }) => run.setTag('note', `${LOW}x`),
    hint: /Tag value for key 'note' is not well-formed/,
  },
  {
    name: 'setTags with a reversed surrogate pair (none stored)',
    call: ({ run }) => run.setTags({ ok: 'fine', bad: '\uDE00\uD83D' }),
    hint: /Tag value for key 'bad' is not well-formed/,
  },
  {
    name: 'a startRun tag value with a lone surrogate (no run)',
    call: ({ t }) => t.startRun({ experimentName: 'bad-input', tags: { note: HIGH } }),
    hint: /Tag value for key 'note' is not well-formed/,
  },
  {
    name: 'an experiment name with a lone surrogate (no experiment)',
    call: ({ t }) => t.startRun({ experimentName: `exp${HIGH}` }),
    hint: /Experiment name .* not well-formed Unicode/,
  },
  {
    name: 'a run name with a lone surrogate (no run)',
    call: ({ t }) => t.startRun({ runName: `run${LOW}` }),
    hint: /Run name .* not well-formed Unicode/,
  },
  {
    name: 'an artifact path with a lone surrogate',
    call: ({ run }) => run.logArtifact(`plots/${HIGH}.png`, 'x'),
    hint: /artifact path .* not well-formed Unicode/,
  },
  {
    name: 'a logged model name with a lone surrogate (no model)',
    call: ({ run }) => run.logModel(`model${HIGH}`, { code: CODE }),
    hint: /model name .* not well-formed Unicode/,
  },
  {
    name: 'a registered model name with a lone surrogate (no model logged)',
    call: ({ run }) => run.logModel('m', { code: CODE }, { registeredModelName: `reg${HIGH}` }),
    hint: /registered model name .* not well-formed Unicode/,
  },
  {
    name: 'registerModel under a name with a lone surrogate',
    call: ({ t }) => t.registerModel('models:/m-0123', `reg${LOW}`),
    hint: /registered model name .* not well-formed Unicode/,
  },
  {
    name: 'an alias with a lone surrogate',
    call: ({ t }) => t.setModelAlias('reg', `champion${HIGH}`, 1),
    hint: /alias .* not well-formed Unicode/,
  },

  // Lengths in code points, reported in code points.
  {
    name: 'a metric key of 251 astral letters',
    call: ({ run }) => run.logMetric(ASTRAL.repeat(251), 1),
    hint: /maximum length of 250 characters \(metric key of 251 characters\)/,
    details: { length: 251, limit: 250 },
  },
  {
    name: 'a param key of 250 astral letters and one more',
    call: ({ run }) => run.logParam('p' + ASTRAL.repeat(250), 1),
    hint: /param key of 251 characters/,
    details: { length: 251 },
  },
  {
    name: 'a param value of 6001 emoji',
    call: ({ run }) => run.logParam('text', EMOJI.repeat(6001)),
    hint: /maximum length of 6000 characters \(got 6001\)/,
    details: { length: 6001, limit: 6000 },
  },
  {
    name: 'a tag value of 8001 emoji',
    call: ({ run }) => run.setTag('text', EMOJI.repeat(8001)),
    hint: /maximum length of 8000 characters \(got 8001\)/,
    details: { length: 8001 },
  },
  {
    name: 'a run name of 251 emoji (no run)',
    call: ({ t }) => t.startRun({ runName: EMOJI.repeat(251) }),
    hint: /Run name exceeds the maximum length of 250 characters \(got 251\)/,
  },
  {
    name: 'an experiment name of 501 astral letters (no experiment)',
    call: ({ t }) => t.startRun({ experimentName: ASTRAL.repeat(501) }),
    hint: /maximum length of 500 characters \(got 501\)/,
  },

  // A path cannot be both a file and a directory.
  {
    name: "'a/b' where 'a' is a file",
    call: ({ run }) => run.logArtifact('a/b', 'x'),
    hint: /Artifact path 'a\/b' collides with the artifact 'a': 'a' is already a file/,
    details: { path: 'a/b', existing: 'a' },
  },
  {
    name: "'a/b/c' where 'a' is a file",
    call: ({ run }) => run.logArtifact('a/b/c', 'x'),
    hint: /collides with the artifact 'a'.*another path/,
    details: { existing: 'a' },
  },
  {
    name: "'dir' where 'dir/b.txt' is a file",
    call: ({ run }) => run.logArtifact('dir', 'x'),
    hint: /'dir' is already a directory .* \(it holds 'dir\/b.txt'\)/,
    details: { existing: 'dir/b.txt' },
  },
  {
    name: "'dir/b.txt/c' where 'dir/b.txt' is a file",
    call: ({ run }) => run.logArtifact('dir/b.txt/c', 'x'),
    hint: /collides with the artifact 'dir\/b.txt'/,
  },
  {
    name: "'x/y' after 'x/y/z'",
    setup: ({ run }) => run.logArtifact('x/y/z', 'z'),
    call: ({ run }) => run.logArtifact('x/y', 'x'),
    hint: /'x\/y' is already a directory/,
    details: { existing: 'x/y/z' },
  },
  {
    name: "'x/y/z' after 'x/y'",
    setup: ({ run }) => run.logArtifact('x/y', 'y'),
    call: ({ run }) => run.logArtifact('x/y/z', 'x'),
    hint: /'x\/y' is already a file/,
  },

  // A path segment is a file name: at most 255 bytes of UTF-8.
  {
    name: 'a file name of 256 ASCII bytes',
    call: ({ run }) => run.logArtifact('plots/' + 'a'.repeat(256), 'x'),
    hint: /is 256 bytes in UTF-8.*over 255 bytes/,
  },
  {
    name: "a file name of 128 'é' (256 bytes)",
    call: ({ run }) => run.logArtifact('é'.repeat(128), 'x'),
    hint: /is 256 bytes in UTF-8/,
  },
  {
    name: "a directory name of 86 '€' (258 bytes)",
    call: ({ run }) => run.logArtifact('€'.repeat(86) + '/f.txt', 'x'),
    hint: /is 258 bytes in UTF-8.*Shorten/,
  },
  {
    name: 'a directory name of 64 emoji (256 bytes)',
    call: ({ run }) => run.logArtifact(EMOJI.repeat(64) + '/f.txt', 'x'),
    hint: /is 256 bytes in UTF-8/,
  },
];

async function refusal(call: () => unknown): Promise<MlflowEdgeError> {
  return rejection((async () => call())());
}

describe('refused at the call: nothing of it stored, everything before intact after a reload', () => {
  it.each(badCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const b = await baseline();
    await c.setup?.(b);
    const before = await snapshot(b.t, b.run.runId);
    const error = await refusal(() => c.call(b));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toMatch(c.hint);
    if (c.details !== undefined) expect(error.details).toMatchObject(c.details);
    await b.t.flush();
    expect(await snapshot(b.t, b.run.runId)).toEqual(before);
    if (c.setup === undefined) expectBaseline(before);
    const again = await reload(b);
    expect(await snapshot(again, b.run.runId)).toEqual(before);
  });
});

describe('accepted as MLflow accepts it, and kept across a reload', () => {
  it('keys of 126 astral letters (252 UTF-16 units)', async () => {
    const b = await baseline();
    const key = ASTRAL.repeat(126);
    b.run.logMetric(key, 0.5);
    b.run.logParam(key, 1);
    b.run.setTag(key, 'x');
    await b.t.flush();
    await beforeAndAfterReload(b, async (t) => {
      const run = await t.getRun(b.run.runId);
      expect(run.data.metrics[key]).toBe(0.5);
      expect(run.data.params[key]).toBe('1');
      expect(run.data.tags[key]).toBe('x');
      expect((await t.getMetricHistory(b.run.runId, key)).map((p) => p.value)).toEqual([0.5]);
    });
  });

  it('param values of 3000 and 6000 emoji, a tag value of 8000 emoji, well-formed pairs', async () => {
    const b = await baseline();
    b.run.logParams({ p3000: EMOJI.repeat(3000), p6000: EMOJI.repeat(6000), pair: `a${EMOJI}b` });
    b.run.setTag('t8000', EMOJI.repeat(8000));
    await b.t.flush();
    await beforeAndAfterReload(b, async (t) => {
      const run = await t.getRun(b.run.runId);
      expect(run.data.params).toMatchObject({
        p3000: EMOJI.repeat(3000),
        p6000: EMOJI.repeat(6000),
        pair: `a${EMOJI}b`,
      });
      expect(run.data.tags.t8000).toBe(EMOJI.repeat(8000));
    });
  });

  it('a run name of 250 emoji in an experiment named by 500 astral letters', async () => {
    const b = await baseline();
    const run = await b.t.startRun({ experimentName: ASTRAL.repeat(500), runName: EMOJI.repeat(250) });
    await beforeAndAfterReload(b, async (t) => {
      const stored = await t.getRun(run.runId);
      expect(stored.info.runName).toBe(EMOJI.repeat(250));
      expect(stored.info.experimentName).toBe(ASTRAL.repeat(500));
    });
  });

  it('path segments of exactly 255 bytes of UTF-8', async () => {
    const b = await baseline();
    const names = ['a'.repeat(255), '€'.repeat(85), EMOJI.repeat(63) + 'abc'];
    for (const name of names) await b.run.logArtifact(`long/${name}`, name);
    await beforeAndAfterReload(b, async (t) => {
      for (const name of names) expect(await (await t.readArtifact(b.run.runId, `long/${name}`)).text()).toBe(name);
    });
  });

  it('replacing a file at the same path, and neighbours that share only a prefix', async () => {
    const b = await baseline();
    await b.run.logArtifact('a', 'file a, again');
    for (const path of ['ab/c', 'a.txt', 'dir/c.txt', 'dir2', 'di/r']) await b.run.logArtifact(path, path);
    await beforeAndAfterReload(b, async (t) => {
      expect(await listAll(t, b.run.runId)).toEqual(['a', 'a.txt', 'ab/c', 'di/r', 'dir/b.txt', 'dir/c.txt', 'dir2']);
      expect(await (await t.readArtifact(b.run.runId, 'a')).text()).toBe('file a, again');
    });
  });
});

describe('the worker refuses what bypassed the page checks', () => {
  const startTime = 1_700_000_000_000;

  it.each([
    [
      'a param value with a lone surrogate',
      { params: [['lr', `0.1${HIGH}`]] as [string, string][] },
      /Param value for key 'lr' is not well-formed/,
    ],
    ['a param value of 6001 emoji', { params: [['text', EMOJI.repeat(6001)]] as [string, string][] }, /\(got 6001\)/],
    [
      'a tag value with a lone surrogate',
      { tags: [['note', LOW]] as [string, string][] },
      /Tag value for key 'note' is not well-formed/,
    ],
    [
      'a tag key with a lone surrogate',
      { tags: [[`n${HIGH}`, 'x']] as [string, string][] },
      /tag key .* not well-formed/,
    ],
    [
      'a metric key with a lone surrogate',
      { metrics: metricColumns({ keys: [`m${HIGH}`], values: [1], steps: [0], timestamps: [startTime] }) },
      /metric key .* not well-formed/,
    ],
  ])('logBatch: %s', async (_, items, hint) => {
    const b = await baseline();
    const before = await snapshot(b.t, b.run.runId);
    const result = await b.service.logBatch({ runs: [{ runId: b.run.runId, ...items }] });
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect(result.rejected[0]!.message).toMatch(hint);
    expect(await snapshot(b.t, b.run.runId)).toEqual(before);
    expect(await snapshot(await reload(b), b.run.runId)).toEqual(before);
  });

  const good = (n: number) =>
    metricColumns({
      keys: Array(n).fill('m'),
      values: Array.from({ length: n }, (_, i) => i / 2),
      steps: Array.from({ length: n }, (_, i) => i),
      timestamps: Array(n).fill(startTime),
    });
  it.each([
    ['plain arrays instead of typed columns', { ...good(3), values: [0, 0.5, 1] }],
    ['a key index past the keys', { ...good(3), keyIndexes: Uint32Array.of(0, 1, 0) }],
    ['columns of different lengths', { ...good(3), steps: Float64Array.of(0, 1) }],
    ['no keys', { ...good(3), keys: 'm' }],
  ])(
    'logBatch: metric columns with %s are refused whole with BAD_REQUEST; params and tags of the run are kept',
    async (_, metrics) => {
      const b = await baseline();
      const before = await snapshot(b.t, b.run.runId);
      const result = await b.service.logBatch({
        runs: [{ runId: b.run.runId, metrics: metrics as never, tags: [['kept', 'yes']] }],
      });
      expect(result.rejected).toEqual([expect.objectContaining({ code: 'BAD_REQUEST' })]);
      const after = await snapshot(b.t, b.run.runId);
      expect(after).not.toEqual(before);
      expect((await b.t.getRun(b.run.runId)).data.tags.kept).toBe('yes');
      expect(await b.t.getMetricHistory(b.run.runId, 'm')).toEqual([]);
    },
  );

  it('logBatch: a point with a fractional step or a negative timestamp is refused alone; the rest of its run of points is stored', async () => {
    const b = await baseline();
    const m = good(5);
    m.steps[1] = 1.5;
    m.timestamps[3] = -1;
    const result = await b.service.logBatch({ runs: [{ runId: b.run.runId, metrics: m }] });
    expect(result.rejected.map((e) => e.code)).toEqual(['INVALID_PARAMETER_VALUE', 'INVALID_PARAMETER_VALUE']);
    expect(result.rejected[0]!.message).toMatch(/invalid step 1.5/);
    expect(result.rejected[1]!.message).toMatch(/invalid timestamp -1/);
    expect((await b.t.getMetricHistory(b.run.runId, 'm')).map((p) => p.step)).toEqual([0, 2, 4]);
  });

  it.each([
    [
      'an experiment name with a lone surrogate',
      { experimentName: `exp${HIGH}` },
      /Experiment name .* not well-formed/,
    ],
    ['an experiment name of 501 astral letters', { experimentName: ASTRAL.repeat(501) }, /\(got 501\)/],
    ['a run name with a lone surrogate', { runName: `r${LOW}` }, /Run name .* not well-formed/],
    ['a run name of 251 emoji', { runName: EMOJI.repeat(251) }, /\(got 251\)/],
    ['a tag key with a lone surrogate', { tags: { [`k${HIGH}`]: 'v' } }, /tag key .* not well-formed/],
    ['a tag value with a lone surrogate', { tags: { k: HIGH } }, /Tag value for key 'k' is not well-formed/],
  ])('startRun: %s', async (_, request, hint) => {
    const b = await baseline();
    const before = await snapshot(b.t, b.run.runId);
    const error = await rejection(b.service.startRun({ startTime, ...request }));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toMatch(hint);
    expect(await snapshot(b.t, b.run.runId)).toEqual(before);
    expect(await snapshot(await reload(b), b.run.runId)).toEqual(before);
  });

  it.each([
    [
      'logArtifact with a 256-byte segment',
      (s: TrackerService, runId: string) => s.logArtifact(runId, 'a'.repeat(256), 'x'),
      /256 bytes in UTF-8/,
    ],
    [
      'logArtifact under a file',
      (s: TrackerService, runId: string) => s.logArtifact(runId, 'a/b', 'x'),
      /collides with the artifact 'a'/,
    ],
    [
      'logModel named with a lone surrogate',
      (s: TrackerService, runId: string) => s.logModel(runId, `m${HIGH}`, { code: CODE }, {}),
      /model name .* not well-formed/,
    ],
    [
      'setModelAlias with a lone surrogate',
      (s: TrackerService) => s.setModelAlias('reg', `a${HIGH}`, 1),
      /alias .* not well-formed/,
    ],
    [
      'registerModel under a name with a lone surrogate',
      (s: TrackerService) => s.registerModel('models:/m-0123', `r${HIGH}`),
      /registered model name .* not well-formed/,
    ],
  ])('%s', async (_, call, hint) => {
    const b = await baseline();
    const before = await snapshot(b.t, b.run.runId);
    const error = await rejection(call(b.service, b.run.runId));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toMatch(hint);
    expect(await snapshot(b.t, b.run.runId)).toEqual(before);
    expect(await snapshot(await reload(b), b.run.runId)).toEqual(before);
  });

  it("two writers racing 'r' and 'r/s' into one run: exactly one is stored", async () => {
    const b = await baseline();
    const results = await Promise.allSettled([
      b.service.logArtifact(b.run.runId, 'r', 'r'),
      b.service.logArtifact(b.run.runId, 'r/s', 's'),
    ]);
    const stored = results.flatMap((r, i) => (r.status === 'fulfilled' ? [['r', 'r/s'][i]!] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as MlflowEdgeError] : []));
    expect(stored).toHaveLength(1);
    expect(refused.map((e) => e.code)).toEqual(['INVALID_PARAMETER_VALUE']);
    await beforeAndAfterReload(b, async (t) =>
      expect(await listAll(t, b.run.runId)).toEqual(['a', 'dir/b.txt', ...stored]),
    );
  });
});
