import { describe, expect, it } from 'vitest';
import type { Run, RunStatus } from '../../../src/schema/entities.js';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import { compileFilter, compileOrderBy } from '../../../src/schema/search.js';

interface RunSpec {
  id: string;
  name: string;
  status: RunStatus;
  user: string;
  start: number;
  end?: number;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  metrics?: Record<string, number>;
  /** [name, digest, context?] */
  datasets?: [string, string, string?][];
}

function makeRun(spec: RunSpec): Run {
  const run: Run = {
    info: {
      runId: spec.id,
      runName: spec.name,
      experimentId: '1',
      experimentName: 'exp',
      status: spec.status,
      startTime: spec.start,
      lifecycleStage: 'active',
      userId: spec.user,
    },
    data: { params: spec.params ?? {}, tags: spec.tags ?? {}, metrics: spec.metrics ?? {} },
    inputs: {
      datasetInputs: (spec.datasets ?? []).map(([name, digest, context]) => ({
        tags: context === undefined ? {} : { 'mlflow.data.context': context },
        dataset: { name, digest, sourceType: 'code', source: '{"tags": {}}' },
      })),
      modelInputs: [],
    },
  };
  if (spec.end !== undefined) run.info.endTime = spec.end;
  return run;
}

const RUNS: Run[] = [
  makeRun({
    id: 'r1',
    name: 'alpha',
    status: 'FINISHED',
    user: 'ann',
    start: 1000,
    end: 2000,
    params: { lr: '0.01', model: 'cnn', 'a-b': 'x' },
    tags: { 'mlflow.runName': 'alpha', env: 'prod', 'my key': 'Hello World' },
    metrics: { acc: 0.9, loss: 0.2, 'val.loss': 0.3 },
    datasets: [
      ['iris', 'aaaa1111', 'training'],
      ['iris_eval', 'bbbb2222', 'eval'],
    ],
  }),
  makeRun({
    id: 'r2',
    name: 'beta',
    status: 'FAILED',
    user: 'bob',
    start: 3000,
    end: 3500,
    params: { lr: '0.1', model: 'rnn' },
    tags: { env: 'dev' },
    metrics: { acc: 0.7, loss: NaN },
    datasets: [['wine', 'cccc3333', 'training']],
  }),
  makeRun({
    id: 'r3',
    name: 'gamma',
    status: 'RUNNING',
    user: 'ann',
    start: 2000,
    params: { model: 'CNN_big' },
    tags: { env: 'prod', team: 'x_y' },
    metrics: { acc: 0.9, loss: -Infinity },
    datasets: [['iris', 'dddd4444']],
  }),
  makeRun({
    id: 'r4',
    name: 'delta',
    status: 'FINISHED',
    user: 'cat',
    start: 3000,
    end: 4000,
    params: { lr: '0.01', model: 'transformer' },
  }),
  makeRun({
    id: 'r5',
    name: 'epsilon',
    status: 'KILLED',
    user: 'bob',
    start: 500,
    end: 600,
    params: { lr: '1e-3', 'my param': 'v' },
    tags: { env: 'Prod' },
    metrics: { acc: 0.5, loss: 0, big: Infinity },
  }),
];

const ALL = ['r1', 'r2', 'r3', 'r4', 'r5'];

const matching = (filter: string | undefined): string[] => RUNS.filter(compileFilter(filter)).map((r) => r.info.runId);

const sorted = (orderBy: readonly string[] | undefined, runs: readonly Run[] = RUNS): string[] =>
  [...runs].sort(compileOrderBy(orderBy)).map((r) => r.info.runId);

function expectInvalid(fn: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MlflowEdgeError);
  expect((caught as MlflowEdgeError).code).toBe('INVALID_PARAMETER_VALUE');
  expect((caught as MlflowEdgeError).message).toMatch(message);
  expect(fn).toThrow(MlflowEdgeError);
}

describe('compileFilter: valid filters', () => {
  it.each<[string | undefined, string[]]>([
    // empty filters
    [undefined, ALL],
    ['', ALL],
    ['   ', ALL],
    // metrics: numeric comparators, inner-join semantics
    ['metrics.acc > 0.8', ['r1', 'r3']],
    ['metric.acc >= 0.9', ['r1', 'r3']],
    ['metrics.acc = 0.7', ['r2']],
    ['metrics.acc != 0.9', ['r2', 'r5']],
    ['metrics.acc < 0.6', ['r5']],
    ['metrics.acc <= 0.7', ['r2', 'r5']],
    ['metrics.acc>0.5', ['r1', 'r2', 'r3']],
    ['metrics.acc > -1', ['r1', 'r2', 'r3', 'r5']],
    ['metrics.acc > .85', ['r1', 'r3']],
    ['metrics.acc < 9E-1', ['r2', 'r5']],
    ['metrics.missing != 1', []],
    // datasets: a run matches when any of its dataset inputs does (`_does_run_match_clause`)
    ["datasets.name = 'iris'", ['r1', 'r3']],
    ["dataset.digest = 'cccc3333'", ['r2']],
    ["datasets.context = 'eval'", ['r1']],
    ["datasets.context != 'training'", ['r1']],
    ["datasets.name != 'iris'", ['r1', 'r2']],
    ["datasets.name LIKE 'iris%'", ['r1', 'r3']],
    ["datasets.name ILIKE 'WINE'", ['r2']],
    ["datasets.name IN ('wine', 'iris_eval')", ['r1', 'r2']],
    ["datasets.name NOT IN ('iris')", ['r1', 'r2']],
    ["datasets.name = 'iris' AND datasets.context = 'training'", ['r1']],
    ["datasets.digest IN ('AAAA1111', 'dddd4444')", ['r3']],
    // NaN is stored as 0 and ±Infinity as ±max double by MLflow's SQL store
    ['metrics.loss = 0', ['r2', 'r5']],
    ['metrics.loss < -1e300', ['r3']],
    ['metrics.big > 1e308', ['r5']],
    ['metrics.big = 1.7976931348623157e308', ['r5']],
    // keys with dots, quoted or not
    ['metrics.val.loss < 0.5', ['r1']],
    ['metrics.`val.loss` < 0.5', ['r1']],
    ['`metrics`.`val.loss` < 0.5', ['r1']],
    // params
    ["params.lr = '0.01'", ['r1', 'r4']],
    ['params.lr = "0.01"', ['r1', 'r4']],
    ["param.lr != '0.01'", ['r2', 'r5']],
    ["parameters.model LIKE 'c%'", ['r1']],
    ["parameter.model ILIKE 'c%'", ['r1', 'r3']],
    ["params.model like '_nn'", ['r1', 'r2']],
    ["params.model LIKE 'CNN%big'", ['r3']],
    ["params.model LIKE 'cnn'", ['r1']],
    ["params.model LIKE '%.%'", []],
    ["params.`a-b` = 'x'", ['r1']],
    ['params."my param" = \'v\'', ['r5']],
    ["params.lr = '0.01' AND params.lr = '0.1'", []],
    ["params.constructor = 'x'", []],
    // tags
    ["tags.env = 'prod'", ['r1', 'r3']],
    ["tags.env ILIKE 'PROD'", ['r1', 'r3', 'r5']],
    ["tag.`my key` = 'Hello World'", ['r1']],
    ['tags."mlflow.runName" = \'alpha\'', ['r1']],
    ["tags.team LIKE 'x_y'", ['r3']],
    ["tags.team LIKE 'x__'", ['r3']],
    // IS NULL / IS NOT NULL (params and tags)
    ['tags.env IS NULL', ['r4']],
    ['tags.env IS NOT NULL', ['r1', 'r2', 'r3', 'r5']],
    ['params.lr is null', ['r3']],
    ['tags.__proto__ IS NULL', ALL],
    // attributes
    ["attributes.status = 'FINISHED'", ['r1', 'r4']],
    ["status != 'FINISHED'", ['r2', 'r3', 'r5']],
    ["attribute.status LIKE 'F%'", ['r1', 'r2', 'r4']],
    ["attributes.status = 'finished'", []],
    ["attr.user_id = 'ann'", ['r1', 'r3']],
    ["run.run_name = 'beta'", ['r2']],
    ["attributes.`Run name` ILIKE '%TA'", ['r2', 'r4']],
    ['attributes."run name" = \'gamma\'', ['r3']],
    ["run_id = 'r4'", ['r4']],
    ["attributes.run_id IN ('r1', 'r3')", ['r1', 'r3']],
    ['attributes.run_id IN ("r2",)', ['r2']],
    ["attributes.run_id NOT IN ('r1', 'r3')", ['r2', 'r4', 'r5']],
    ["attributes.run_id in ('r1', 'R2')", ['r1']],
    ["attributes.artifact_uri != 'x'", []],
    ['attributes.start_time >= 2000', ['r2', 'r3', 'r4']],
    ['attributes.created < 1000', ['r5']],
    ['Created = 500', ['r5']],
    ['attributes.end_time > 0', ['r1', 'r2', 'r4', 'r5']],
    ['attributes.end_time != 2000', ['r2', 'r4', 'r5']],
    // AND, in any case, and MLflow's tolerance of stray ANDs
    ["metrics.acc > 0.5 AND params.model = 'cnn'", ['r1']],
    ["metrics.acc > 0.5 and tags.env = 'prod' And attributes.status = 'RUNNING'", ['r3']],
    ['metrics.acc > 0.5 AND', ['r1', 'r2', 'r3']],
    ['AND metrics.acc > 0.5 AND AND metrics.acc < 0.8', ['r2']],
  ])('%s', (filter, expected) => {
    expect(matching(filter)).toEqual(expected);
  });
});

describe('compileFilter: invalid filters', () => {
  it.each<[string, string | RegExp]>([
    ["metrics.acc > 0.5 OR params.lr = '0.1'", /does not support OR/],
    ["metrics.acc > 'x'", "Expected numeric value type for metric. Found 'x'"],
    ['metrics.acc > "1"', 'Expected numeric value type for metric. Found "1"'],
    ['metrics.acc IN (1)', 'Expected numeric value type for metric. Found (1)'],
    ['params.lr = 0.01', "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.01"],
    ['tags.env = 1', 'Expected a quoted string value for tag'],
    ['params.lr = abc', 'Parameter value is either not quoted or unidentified quote types used for string value abc'],
    ['attributes.status = FINISHED', 'not quoted'],
    ["tags.env > 'a'", /^Invalid comparator '>' not one of/],
    ['metrics.acc LIKE 1', "Invalid comparator 'LIKE' not one of"],
    ['metrics.acc == 1', "Invalid comparator '=='"],
    ['metrics.acc <> 1', "Invalid comparator '<>'"],
    ["params.model NOT LIKE 'c%'", "Invalid comparator 'NOT LIKE'"],
    ["params.model IN ('cnn')", 'Expected a quoted string value for parameter'],
    ['metrics.acc IS NULL', /Invalid comparator 'IS NULL'.*params and tags only/],
    ['attributes.end_time IS NOT NULL', "Invalid comparator 'IS NOT NULL'"],
    ["attributes.start_time = 'x'", "Expected numeric value type for numeric attribute: start_time. Found 'x'"],
    ['attributes.start_time LIKE 1', "Invalid comparator 'LIKE'"],
    ["attributes.foo = 'x'", "Invalid attribute key 'foo' specified. Valid keys are"],
    ["foo = 'x'", /Invalid attribute key 'foo'.*metrics\.foo/],
    ["attributes.lifecycle_stage = 'active'", /Invalid attribute key 'lifecycle_stage'.*run view type/],
    ["foo.bar = 'x'", "Invalid entity type 'foo'. Valid values are"],
    ['Metrics.acc > 1', "Invalid entity type 'Metrics'"],
    ['"metrics".acc > 1', `Invalid entity type '"metrics"'`],
    ["attributes.status IN ('FINISHED')", "Only the 'run_id' attribute supports comparison with a list"],
    ['attributes.run_id IN ()', 'but got empty list'],
    ['attributes.run_id IN (1, 2)', 'but got different type in list: (1, 2)'],
    ['attributes.run_id IN (r1)', 'ill-formed list'],
    ["attributes.run_id IN ('r1' 'r2')", 'ill-formed list'],
    ["attributes.run_id IN 'r1'", /Invalid clause\(s\).*parenthesized list/],
    ["attributes.run_id = ('r1')", /Invalid comparator '='.*IN or NOT IN/],
    ['metrics.acc >', 'Invalid clause(s) in filter string'],
    ['metrics.acc', 'Invalid clause(s) in filter string'],
    ['(metrics.acc > 1)', 'Invalid clause(s) in filter string'],
    ['NOT metrics.acc > 1', 'Invalid clause(s) in filter string'],
    ['metrics.acc > 1 metrics.loss < 2', "Invalid clause(s) in filter string: 'metrics.loss < 2'"],
    ["params.lr IS 'x'", 'Invalid clause(s) in filter string'],
    ['params.lr = NULL', 'Invalid clause(s) in filter string'],
    ["metrics.acc > 1; params.a = 'b'", 'Search filter contained multiple expression'],
    ["params.lr = 'unterminated", /Invalid filter .*Could not be parsed/],
    ["params.a-b = 'x'", /Could not be parsed.*backticks/],
    ['metrics.acc > 1e', 'Could not be parsed'],
    ['metrics. > 1', 'Could not be parsed'],
    ["datasets.name > 'x'", "Invalid comparator '>' not one of"],
    ['datasets.name IS NULL', 'Invalid comparator'],
    ['datasets.name = 1', 'Expected a quoted string value for dataset attributes'],
    ["datasets.foo = 'x'", "Invalid dataset key 'foo'"],
  ])('%s', (filter, message) => {
    expectInvalid(() => compileFilter(filter), message);
  });

  it('checks every clause shape before any identifier, like MLflow', () => {
    expectInvalid(() => compileFilter("foo.x = 1 AND params.a = 'b' OR"), /does not support OR/);
  });

  it('checks values of all clauses before comparators', () => {
    expectInvalid(
      () => compileFilter('metrics.a LIKE 1 AND params.b = 2'),
      'Expected a quoted string value for parameter',
    );
  });

  it('carries the filter and the clause in details', () => {
    let caught: unknown;
    try {
      compileFilter("params.a = 'b' AND metrics.acc > x");
    } catch (error) {
      caught = error;
    }
    expect((caught as MlflowEdgeError).details).toMatchObject({
      filter: "params.a = 'b' AND metrics.acc > x",
      clause: 'metrics.acc > x',
    });
  });

  it('rejects a non-string filter', () => {
    expectInvalid(() => compileFilter(42 as unknown as string), 'a filter must be a string');
  });
});

describe('compileOrderBy', () => {
  it.each<[readonly string[] | undefined, string[]]>([
    // default: start_time DESC, then run_id ASC (r2 and r4 share start_time 3000)
    [undefined, ['r2', 'r4', 'r3', 'r1', 'r5']],
    [[], ['r2', 'r4', 'r3', 'r1', 'r5']],
    // metrics: ties (r1, r3 at 0.9) break on start_time DESC; missing last either way
    [['metrics.acc DESC'], ['r3', 'r1', 'r2', 'r5', 'r4']],
    [['metrics.acc desc'], ['r3', 'r1', 'r2', 'r5', 'r4']],
    [['metrics.acc'], ['r5', 'r2', 'r3', 'r1', 'r4']],
    [['metric.acc ASC'], ['r5', 'r2', 'r3', 'r1', 'r4']],
    // NaN after numbers, before missing, in both directions; -Infinity is a number
    [['metrics.loss ASC'], ['r3', 'r5', 'r1', 'r2', 'r4']],
    [['metrics.loss DESC'], ['r1', 'r5', 'r3', 'r2', 'r4']],
    [['metrics.`val.loss` DESC'], ['r1', 'r2', 'r4', 'r3', 'r5']],
    [['metrics.val.loss'], ['r1', 'r2', 'r4', 'r3', 'r5']],
    // params compare as strings
    [['params.lr DESC'], ['r5', 'r2', 'r4', 'r1', 'r3']],
    [['params.lr'], ['r4', 'r1', 'r2', 'r5', 'r3']],
    [['params.model'], ['r3', 'r1', 'r2', 'r4', 'r5']],
    [
      ['params.lr', 'attributes.run_id DESC'],
      ['r4', 'r1', 'r2', 'r5', 'r3'],
    ],
    // tags, quoted keys
    [['tags.`my key` DESC'], ['r1', 'r2', 'r4', 'r3', 'r5']],
    [['`tags`.`my key` DESC'], ['r1', 'r2', 'r4', 'r3', 'r5']],
    [['tags."my key"'], ['r1', 'r2', 'r4', 'r3', 'r5']],
    [['tags.env DESC'], ['r3', 'r1', 'r2', 'r5', 'r4']],
    // attributes
    [['attributes.start_time ASC'], ['r5', 'r1', 'r3', 'r2', 'r4']],
    [['start_time DESC'], ['r2', 'r4', 'r3', 'r1', 'r5']],
    [['created DESC'], ['r2', 'r4', 'r3', 'r1', 'r5']],
    [['attributes.end_time DESC'], ['r4', 'r2', 'r1', 'r5', 'r3']],
    [['end_time ASC'], ['r5', 'r1', 'r2', 'r4', 'r3']],
    [['attributes.run_name'], ['r1', 'r2', 'r4', 'r5', 'r3']],
    [['run_id DESC'], ['r5', 'r4', 'r3', 'r2', 'r1']],
    [
      ['user_id', 'run_name DESC'],
      ['r3', 'r1', 'r5', 'r2', 'r4'],
    ],
    [
      ['status DESC', 'metrics.acc DESC'],
      ['r3', 'r5', 'r1', 'r4', 'r2'],
    ],
    [['attributes.artifact_uri'], ['r2', 'r4', 'r3', 'r1', 'r5']],
  ])('%j', (orderBy, expected) => {
    expect(sorted(orderBy)).toEqual(expected);
  });

  it('orders strings by code point, as SQL does', () => {
    const runs = [
      makeRun({ id: 'x1', name: 'n', status: 'FINISHED', user: 'u', start: 1, params: { p: 'a\u{1F600}' } }),
      makeRun({ id: 'x2', name: 'n', status: 'FINISHED', user: 'u', start: 1, params: { p: 'a\uFFFF' } }),
      makeRun({ id: 'x3', name: 'n', status: 'FINISHED', user: 'u', start: 1, params: { p: 'a' } }),
    ];
    expect(sorted(['params.p'], runs)).toEqual(['x3', 'x2', 'x1']);
  });

  it.each<[readonly string[], string | RegExp]>([
    [['metrics.acc UP'], "Invalid ordering key in order_by clause 'metrics.acc UP'."],
    [['metrics.acc DESC ASC'], "Invalid order_by clause 'metrics.acc DESC ASC'. Could not be parsed."],
    [[''], "Invalid order_by clause ''. Could not be parsed."],
    [['metrics.acc > 1'], 'Could not be parsed'],
    [['metrics.acc, params.lr'], 'Could not be parsed'],
    [['attributes.foo'], "Invalid attribute key 'foo' specified"],
    [['attributes.`Run name`'], "Invalid attribute key 'Run name'"],
    [['lifecycle_stage'], "Invalid attribute key 'lifecycle_stage'"],
    [['foo.bar DESC'], "Invalid entity type 'foo'"],
    [['dataset.name'], "Invalid identifier type 'dataset'"],
    [['metrics.acc', 'metric.acc DESC'], '`order_by` contains duplicate fields'],
    [['start_time', 'created DESC'], '`order_by` contains duplicate fields'],
  ])('rejects %j', (orderBy, message) => {
    expectInvalid(() => compileOrderBy(orderBy), message);
  });

  it('rejects an order_by that is not a list of strings', () => {
    expectInvalid(() => compileOrderBy('metrics.acc' as unknown as string[]), 'must be a list');
    expectInvalid(() => compileOrderBy([1] as unknown as string[]), 'must be a string');
  });
});
