/**
 * MLmodel read/write against what MLflow 3.17.2 and PyYAML 6.0.3 actually
 * wrote. Fixtures are regenerated with
 * `.venv/bin/python test/node/fixtures/mlmodel/generate.py`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import { FLAVOR_JS } from '../../../src/protocol.js';
import {
  loadableFlavor,
  onnxMLmodel,
  parseMLmodel,
  safeDumpYaml,
  safeLoadYaml,
  stringifyMLmodel,
  utcTimeCreated,
  type MLmodel,
} from '../../../src/models/mlmodel.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'mlmodel');
const read = (...parts: string[]) => readFileSync(join(FIXTURES, ...parts), 'utf8');
const MODEL_DIRS = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'MLmodel')));

interface PyYamlCase {
  name: string;
  yaml: string;
  value: unknown;
  options: { sortKeys?: boolean; allowUnicode?: boolean };
  input?: string;
  mlmodel?: boolean;
  lossy?: boolean;
}
const CASES = JSON.parse(read('pyyaml-cases.json')) as PyYamlCase[];

function expectInvalid(fn: () => unknown, ...fragments: (string | RegExp)[]): MlflowEdgeError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MlflowEdgeError);
  const error = caught as MlflowEdgeError;
  expect(error.code).toBe('INVALID_PARAMETER_VALUE');
  for (const fragment of fragments) expect(error.message).toMatch(fragment);
  return error;
}

describe('MLmodel files written by MLflow 3.17.2', () => {
  it('has the fixtures', () => {
    expect(MODEL_DIRS).toEqual(
      expect.arrayContaining([
        'logged_model',
        'models_from_code',
        'onnx_model',
        'pythonmodel_columns',
        'tensor_signature',
        'with_metadata',
      ]),
    );
  });

  it.each(MODEL_DIRS)('%s round-trips byte for byte', (dir) => {
    const text = read(dir, 'MLmodel');
    expect(stringifyMLmodel(parseMLmodel(text))).toBe(text);
  });

  it.each(MODEL_DIRS)('%s: the input example files it names are there and are JSON', (dir) => {
    const info = parseMLmodel(read(dir, 'MLmodel')).savedInputExampleInfo;
    if (info === undefined || dir === 'onnx_model') return; // the ONNX fixture has no model files
    for (const key of ['artifact_path', 'serving_input_path']) {
      const file = info[key];
      expect(typeof file).toBe('string');
      expect(() => JSON.parse(read(dir, file as string))).not.toThrow();
    }
  });

  it('reads a PythonModel with a column signature, params and a DataFrame example', () => {
    const model = parseMLmodel(read('pythonmodel_columns', 'MLmodel'));
    expect(model.flavors['python_function']).toMatchObject({
      loader_module: 'mlflow.pyfunc.model',
      python_model: 'python_model.pkl',
      env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
      code: null,
      streamable: false,
    });
    expect(model.mlflowVersion).toBe('3.17.2');
    expect(model.modelId).toBeNull();
    expect(model.modelUuid).toMatch(/^[0-9a-f]{32}$/);
    expect(model.runId).toBeUndefined();
    expect(model.artifactPath).toBeUndefined();
    expect(model.utcTimeCreated).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(model.modelSizeBytes).toBeGreaterThan(0);
    expect(model.savedInputExampleInfo).toEqual({
      artifact_path: 'input_example.json',
      pandas_orient: 'split',
      params: 'true',
      serving_input_path: 'serving_input_example.json',
      type: 'dataframe',
    });
    // The folded single-quoted JSON comes back as one JSON string.
    const inputs = JSON.parse(model.signature?.inputs ?? 'null') as { name: string }[];
    expect(inputs.map((c) => c.name)).toEqual(['sepal length (cm)', 'sepal width (cm)', 'species', 'count']);
    const params = JSON.parse(model.signature?.params ?? 'null') as { name: string; default: unknown }[];
    expect(params).toContainEqual({ name: 'factor', default: 2.0, shape: null, type: 'double' });
    expect(model.extra).toEqual({ is_signature_from_type_hint: false, type_hint_from_example: false, prompts: null });
  });

  it('reads a models-from-code pyfunc with model_config', () => {
    const model = parseMLmodel(read('models_from_code', 'MLmodel'));
    const pyfunc = model.flavors['python_function'] ?? {};
    expect(pyfunc['loader_module']).toBe('mlflow.pyfunc.loaders.code_model');
    expect(pyfunc['model_code_path']).toMatch(/\/my_model\.py$/);
    expect(pyfunc['python_model']).toBeUndefined();
    expect(pyfunc['config']).toEqual({
      max_tokens: 256,
      name: 'agent: v1',
      nested: { empty: {}, flag: true, list: [] },
      stop: ['\n', '###'],
      temperature: 0.1,
    });
    expect(model.savedInputExampleInfo?.['type']).toBe('json_object');
    expect(JSON.parse(read('models_from_code', 'input_example.json'))).toEqual(['hi', 'there']);
  });

  it('reads a tensor signature', () => {
    const model = parseMLmodel(read('tensor_signature', 'MLmodel'));
    expect(model.signature).toEqual({
      inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]',
      outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
      params: null,
    });
    expect(model.savedInputExampleInfo?.['type']).toBe('ndarray');
  });

  it('reads metadata with escaped unicode, quoted look-alikes and floats, and writes them back the same way', () => {
    const text = read('with_metadata', 'MLmodel');
    const model = parseMLmodel(text);
    expect(model.metadata).toMatchObject({
      owner: 'équipe données',
      version: '1.0',
      released: '2024-01-01',
      enabled: 'true',
      empty: '',
      none: null,
      tags: ['a', 'b: c', '# not a comment'],
      thresholds: { low: 0.25, high: 1, big: 1e20, tiny: 1e-7 },
    });
    expect(String(model.metadata?.['description'])).toMatch(/past eighty characters so PyYAML has to fold/);
    // `high: 1.0` is a Python float: it is still written as 1.0, not 1.
    expect(stringifyMLmodel(model)).toContain('    high: 1.0\n');
    expect(stringifyMLmodel(model)).toBe(text);
  });

  it('reads a logged model (artifact_path, run_id, model_id = model_uuid)', () => {
    const model = parseMLmodel(read('logged_model', 'MLmodel'));
    expect(model.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(model.modelId).toMatch(/^m-[0-9a-f]{32}$/);
    expect(model.modelUuid).toBe(model.modelId);
    expect(model.artifactPath).toContain(`/models/${model.modelId}/artifacts`);
  });

  it('keeps edits: a changed field is written, untouched ones stay', () => {
    const text = read('tensor_signature', 'MLmodel');
    const model = parseMLmodel(text);
    model.runId = '0123456789abcdef0123456789abcdef';
    model.metadata = { task: 'classification', threshold: 0.5 };
    const out = stringifyMLmodel(model);
    expect(out).toContain('\nrun_id: 0123456789abcdef0123456789abcdef\n');
    expect(out).toContain('\nmetadata:\n  task: classification\n  threshold: 0.5\nmlflow_version: 3.17.2\n');
    delete model.runId;
    delete model.metadata;
    expect(stringifyMLmodel(model)).toBe(text);
  });
});

describe('PyYAML safe_dump compatibility (cases dumped by PyYAML 6.0.3)', () => {
  const dumped = CASES.filter((c) => c.input === undefined && c.mlmodel !== true);
  const loaded = CASES.filter((c) => c.input !== undefined);
  const mlmodels = CASES.filter((c) => c.mlmodel === true);

  it('has enough cases', () => {
    expect(dumped.length).toBeGreaterThanOrEqual(30);
    expect(loaded.length).toBeGreaterThanOrEqual(10);
  });

  it.each(dumped.map((c) => [c.name, c] as const))('re-dumps what PyYAML wrote: %s', (_name, c) => {
    expect(safeDumpYaml(safeLoadYaml(c.yaml), c.options)).toBe(c.yaml);
  });

  it.each(dumped.filter((c) => c.lossy !== true).map((c) => [c.name, c] as const))(
    'dumps the same value as PyYAML: %s',
    (_name, c) => {
      expect(safeDumpYaml(c.value, c.options)).toBe(c.yaml);
      expect(safeLoadYaml(c.yaml)).toEqual(c.value);
    },
  );

  it.each(loaded.map((c) => [c.name, c] as const))('loads like yaml.safe_load: %s', (_name, c) => {
    expect(safeDumpYaml(safeLoadYaml(c.input as string), c.options)).toBe(c.yaml);
  });

  it.each(mlmodels.map((c) => [c.name, c] as const))('Model.from_dict(...).to_yaml(): %s', (_name, c) => {
    const model = parseMLmodel(c.yaml);
    expect(stringifyMLmodel(model)).toBe(c.yaml);
    expect(Object.keys(model.extra).sort()).toEqual([
      'databricks_runtime',
      'env_vars',
      'prompts',
      'resources',
      'some_future_key',
    ]);
    // Built by hand from the same content, it comes out the same.
    const value = c.value as Record<string, unknown>;
    const built: MLmodel = {
      flavors: value['flavors'] as MLmodel['flavors'],
      utcTimeCreated: value['utc_time_created'] as string,
      mlflowVersion: value['mlflow_version'] as string,
      modelUuid: value['model_uuid'] as string,
      modelId: null,
      extra: {
        prompts: null,
        resources: value['resources'],
        env_vars: value['env_vars'],
        databricks_runtime: value['databricks_runtime'],
        some_future_key: value['some_future_key'],
      },
    };
    if (value['metadata'] !== undefined) built.metadata = value['metadata'] as Record<string, unknown>;
    expect(stringifyMLmodel(built)).toBe(c.yaml);
  });

  // A readable subset of the rules (outputs checked against PyYAML above).
  it.each([
    ['1.0', "'1.0'"],
    ['true', "'true'"],
    ['yes', "'yes'"],
    ['y', 'y'],
    ['null', "'null'"],
    ['~', "'~'"],
    ['', "''"],
    ['2024-01-01', "'2024-01-01'"],
    ['1e5', '1e5'],
    ['017', "'017'"],
    ['3.11.7', '3.11.7'],
    ['3.10', "'3.10'"],
    ['a: b', "'a: b'"],
    ['a:b', 'a:b'],
    ['a #b', "'a #b'"],
    ['a#b', 'a#b'],
    ['#x', "'#x'"],
    ['- x', "'- x'"],
    ["it's", "it's"],
    ["'q'", "'''q'''"],
    ['é', '"\\xE9"'],
    ['😀', '"\\U0001F600"'],
    ['a\tb', '"a\\tb"'],
    ['a\nb', "'a\n\n  b'"],
    [' lead', "' lead'"],
    ['=', "'='"],
    ['<<', "'<<'"],
  ])('string %j is written as %s', (value, expected) => {
    expect(safeDumpYaml({ k: value })).toBe(`k: ${expected}\n`);
    expect(safeLoadYaml(`k: ${expected}\n`)).toEqual({ k: value });
  });

  it.each([
    [0.1, '0.1'],
    [1e-7, '1.0e-07'],
    [1e20, '1.0e+20'],
    [1.5e300, '1.5e+300'],
    [0.0001, '0.0001'],
    [0.00001, '1.0e-05'],
    [123456789.123, '123456789.123'],
    [5e-324, '5.0e-324'],
    [-0.5, '-0.5'],
    [42, '42'],
    [-7, '-7'],
    [2 ** 53 - 1, '9007199254740991'],
    [2 ** 60, '1.152921504606847e+18'],
    [NaN, '.nan'],
    [Infinity, '.inf'],
    [-Infinity, '-.inf'],
  ])('number %d is written as %s', (value, expected) => {
    expect(safeDumpYaml({ k: value })).toBe(`k: ${expected}\n`);
  });

  it('keeps integral floats read from YAML as floats, also after edits elsewhere', () => {
    const value = safeLoadYaml('a: 1.0\nb: 1\nc: [2.0, 2, -0.0]\nd: 1e5\n') as Record<string, unknown>;
    expect(value).toEqual({ a: 1, b: 1, c: [2, 2, -0], d: '1e5' });
    value['e'] = 3;
    expect(safeDumpYaml(value)).toBe('a: 1.0\nb: 1\nc:\n- 2.0\n- 2\n- -0.0\nd: 1e5\ne: 3\n');
  });

  it('writes shared and self-referencing objects with anchors, like PyYAML', () => {
    const self: Record<string, unknown> = {};
    self['self'] = self;
    expect(safeDumpYaml(self)).toBe('&id001\nself: *id001\n');
    const list: unknown[] = [];
    list.push(list);
    expect(safeDumpYaml({ l: list })).toBe('l: &id001\n- *id001\n');
  });

  it('skips undefined values, handles __proto__ keys, rejects values YAML cannot hold', () => {
    expect(safeDumpYaml({ a: undefined, b: 1 })).toBe('b: 1\n');
    const loaded = safeLoadYaml('__proto__:\n  a: 1\nx:\n- []\n') as Record<string, unknown>;
    expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);
    expect(Object.keys(loaded)).toEqual(['__proto__', 'x']);
    expect(safeDumpYaml(loaded)).toBe('__proto__:\n  a: 1\nx:\n- []\n');
    expectInvalid(() => safeDumpYaml({ when: new Date(0) }), /\(root\)\.when/, /Date/);
    expectInvalid(() => safeDumpYaml({ m: new Map() }), /Map/);
    expectInvalid(() => safeDumpYaml({ f: () => 1 }), /function/);
  });

  it('differs from PyYAML only where JavaScript cannot hold the value', () => {
    // Unquoted timestamps stay text (PyYAML builds a datetime and writes it unquoted).
    expect(safeLoadYaml('t: 2024-01-01\n')).toEqual({ t: '2024-01-01' });
    expect(safeDumpYaml(safeLoadYaml('t: 2024-01-01\n'))).toBe("t: '2024-01-01'\n");
    // Integers beyond 2^53 lose digits (Python writes 12345678901234567890), but stay ints.
    expect(safeDumpYaml(safeLoadYaml('big: 12345678901234567890\n'))).toBe('big: 12345678901234567168\n');
    // A string key '1' and an int key 1 are distinct in Python, one key in JavaScript.
    expect(safeLoadYaml("'1': a\n1: b\n")).toEqual({ 1: 'b' });
  });
});

describe('parseMLmodel errors', () => {
  it('rejects malformed YAML', () => {
    const error = expectInvalid(
      () => parseMLmodel('flavors: [unclosed\n'),
      /could not be read as YAML/,
      /line 2/,
      /`flavors` map/,
    );
    expect(error.details).toMatchObject({ reason: 'yaml' });
    expectInvalid(() => parseMLmodel('a: 1\n---\nb: 2\n'), /could not be read as YAML/, /more than one YAML document/);
    expectInvalid(() => parseMLmodel('flavors:\n  onnx: {}\n  bad: "unterminated\n'), /could not be read as YAML/);
    expectInvalid(() => parseMLmodel('flavors:\n\tonnx: {}\n'), /could not be read as YAML/);
  });

  it('rejects a document that is not a map', () => {
    const list = expectInvalid(() => parseMLmodel('- flavors\n- onnx\n'), /must be a YAML map/, /a list/, /`flavors`/);
    expect(list.details).toMatchObject({ reason: 'not_a_map' });
    expectInvalid(() => parseMLmodel('just text\n'), /must be a YAML map/, /the string "just text"/);
    expectInvalid(() => parseMLmodel(''), /must be a YAML map/, /empty/);
    expectInvalid(() => parseMLmodel('# only a comment\n'), /must be a YAML map/, /empty/);
  });

  it('rejects a missing flavors field', () => {
    const error = expectInvalid(
      () => parseMLmodel("utc_time_created: '2024-01-01 00:00:00'\nmlflow_version: 3.17.2\n"),
      /no `flavors` field/,
      /python_function, onnx/,
    );
    expect(error.details).toMatchObject({ reason: 'no_flavors' });
  });

  it('rejects flavors that are not a map, and flavor settings that are not maps', () => {
    expect(
      expectInvalid(() => parseMLmodel('flavors:\n- onnx\n'), /`flavors` must be a map/, /a list/).details,
    ).toMatchObject({
      reason: 'flavors_not_a_map',
    });
    expectInvalid(() => parseMLmodel('flavors: onnx\n'), /`flavors` must be a map/, /the string "onnx"/);
    expectInvalid(() => parseMLmodel('flavors:\n'), /`flavors` must be a map/, /empty/);
    const error = expectInvalid(() => parseMLmodel('flavors:\n  onnx: model.onnx\n'), /flavor 'onnx' must be a map/);
    expect(error.details).toMatchObject({ reason: 'flavor_not_a_map', flavor: 'onnx' });
  });

  it('rejects unsupported tags and a utc_time_created that is not a time', () => {
    expectInvalid(() => parseMLmodel('flavors: {}\nx: !!python/object:foo {}\n'), /tag/);
    expectInvalid(() => parseMLmodel('flavors: {}\nutc_time_created: [1]\n'), /utc_time_created/);
  });

  it('accepts what MLflow accepts: empty flavors, old files without optional fields', () => {
    const model = parseMLmodel("flavors: {}\nutc_time_created: '2024-01-01 00:00:00'\n");
    expect(model).toEqual({ flavors: {}, utcTimeCreated: '2024-01-01 00:00:00', extra: {} });
    expect(stringifyMLmodel(model)).toBe("flavors: {}\nutc_time_created: '2024-01-01 00:00:00'\n");
    // A missing utc_time_created is stamped now, as Model.from_dict does.
    expect(parseMLmodel('flavors: {}\n').utcTimeCreated).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    // Fields with an unexpected type stay in `extra`, verbatim.
    const odd = parseMLmodel(
      "flavors: {}\nutc_time_created: '2024-01-01 00:00:00'\nrun_id: null\nsignature: sig\nmodel_size_bytes: 1.0\n",
    );
    expect(odd.runId).toBeUndefined();
    expect(odd.extra).toEqual({ run_id: null, signature: 'sig', model_size_bytes: 1 });
    expect(stringifyMLmodel(odd)).toBe(
      "flavors: {}\nmodel_size_bytes: 1.0\nrun_id: null\nsignature: sig\nutc_time_created: '2024-01-01 00:00:00'\n",
    );
  });
});

describe('stringifyMLmodel', () => {
  const base: MLmodel = {
    flavors: { onnx: { data: 'model.onnx' } },
    utcTimeCreated: '2024-01-01 00:00:00',
    extra: {},
  };

  it('writes typed fields under their MLflow names, sorted, omitting absent ones', () => {
    const out = stringifyMLmodel({
      ...base,
      runId: 'r',
      artifactPath: 'model',
      modelUuid: null,
      modelId: null,
      mlflowVersion: '3.17.2',
      signature: { inputs: '[{"type": "string"}]', outputs: null },
      savedInputExampleInfo: { type: 'json_object', artifact_path: 'input_example.json' },
      metadata: {},
      modelSizeBytes: 10,
      extra: { zeta: 1, flavors: 'ignored: the typed field wins' },
    });
    expect(out).toBe(
      [
        'artifact_path: model',
        'flavors:',
        '  onnx:',
        '    data: model.onnx',
        'metadata: {}',
        'mlflow_version: 3.17.2',
        'model_id: null',
        'model_size_bytes: 10',
        'model_uuid: null',
        'run_id: r',
        'saved_input_example_info:',
        '  artifact_path: input_example.json',
        '  type: json_object',
        'signature:',
        '  inputs: \'[{"type": "string"}]\'',
        '  outputs: null',
        "utc_time_created: '2024-01-01 00:00:00'",
        'zeta: 1',
        '',
      ].join('\n'),
    );
  });

  it('drops mlflow_version when it is null, as Model.to_dict does', () => {
    expect(stringifyMLmodel({ ...base, mlflowVersion: null })).toBe(
      "flavors:\n  onnx:\n    data: model.onnx\nutc_time_created: '2024-01-01 00:00:00'\n",
    );
  });

  it('rejects a model without a flavors map', () => {
    expectInvalid(() => stringifyMLmodel({ ...base, flavors: [] as unknown as MLmodel['flavors'] }), /flavors/);
  });
});

describe('utcTimeCreated', () => {
  it.each([
    ['2025-11-20T10:11:12.123Z', '2025-11-20 10:11:12.123000'],
    ['2025-11-20T10:11:12.000Z', '2025-11-20 10:11:12'],
    ['2025-01-02T03:04:05.006Z', '2025-01-02 03:04:05.006000'],
    ['0999-12-31T23:59:59.999Z', '0999-12-31 23:59:59.999000'],
  ])('%s → %s', (iso, expected) => expect(utcTimeCreated(new Date(iso))).toBe(expected));

  it('rejects an invalid date', () => {
    expectInvalid(() => utcTimeCreated(new Date('nope')), /valid Date/);
  });
});

describe('loadableFlavor', () => {
  it('picks onnx, or our JS flavor first', () => {
    expect(loadableFlavor(parseMLmodel(read('onnx_model', 'MLmodel')))).toBe('onnx');
    const js: MLmodel = { flavors: { [FLAVOR_JS]: { entry: 'model.js' } }, utcTimeCreated: 'x', extra: {} };
    expect(loadableFlavor(js)).toBe(FLAVOR_JS);
    expect(loadableFlavor({ ...js, flavors: { onnx: {}, [FLAVOR_JS]: {}, python_function: {} } })).toBe(FLAVOR_JS);
    expect(FLAVOR_JS).toBe('mlflow_edge_js');
  });

  it('names the Python-only flavors and says how to make the model loadable', () => {
    const model = parseMLmodel(read('models_from_code', 'MLmodel'));
    const error = expectInvalid(() => loadableFlavor(model), /python_function/, /mlflow\.onnx\.log_model/, /browser/);
    expect(error.details).toEqual({ flavors: ['python_function'] });
    const two: MLmodel = { flavors: { sklearn: {}, python_function: {} }, utcTimeCreated: 'x', extra: {} };
    expectInvalid(() => loadableFlavor(two), /sklearn, python_function/);
    expectInvalid(() => loadableFlavor({ ...two, flavors: {} }), /no flavors/, /mlflow\.onnx\.log_model/);
  });
});

describe('onnxMLmodel', () => {
  const fixture = parseMLmodel(read('onnx_model', 'MLmodel'));
  const options = {
    runId: '0b8e54d1c7a94f3d8c2e1f6a9b7d3e21',
    modelId: 'm-6f1c2b0e9d8a4c1e9b7f3a2d5e4c6b10',
    artifactPath: 'mlflow-artifacts:/1/models/m-6f1c2b0e9d8a4c1e9b7f3a2d5e4c6b10/artifacts',
    onnxVersion: '1.17.0',
    mlflowVersion: '3.17.2',
    pythonVersion: '3.11.7',
    signature: { inputs: fixture.signature?.inputs ?? null, outputs: fixture.signature?.outputs ?? null },
    savedInputExampleInfo: {
      artifact_path: 'input_example.json',
      type: 'ndarray',
      serving_input_path: 'serving_input_example.json',
    },
    modelSizeBytes: 14873,
    now: new Date('2025-11-20T10:11:12.123Z'),
    onnxruntimeVersion: '1.20.1',
    pipVersion: '24.0',
    setuptoolsVersion: '65.5.0',
    wheelVersion: '0.42.0',
  };

  it('writes the MLmodel MLflow writes for the same model', () => {
    const { mlmodel } = onnxMLmodel(options);
    expect(stringifyMLmodel(mlmodel)).toBe(read('onnx_model', 'MLmodel'));
    expect(loadableFlavor(mlmodel)).toBe('onnx');
  });

  it('writes conda.yaml, python_env.yaml and requirements.txt as MLflow does', () => {
    const { files } = onnxMLmodel(options);
    expect(Object.keys(files).sort()).toEqual(['conda.yaml', 'python_env.yaml', 'requirements.txt']);
    for (const name of Object.keys(files)) expect(files[name]).toBe(read('onnx_model', name));
  });

  it('without run, id, signature or optional versions: a saved (not logged) model', () => {
    const { mlmodel, files } = onnxMLmodel({
      onnxVersion: '1.17.0',
      mlflowVersion: '3.17.2',
      pythonVersion: '3.10',
      now: new Date('2025-01-01T00:00:00Z'),
    });
    expect(mlmodel.modelId).toBeNull();
    expect(mlmodel.modelUuid).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    const text = stringifyMLmodel(mlmodel);
    expect(text).toBe(
      [
        'flavors:',
        '  onnx:',
        '    code: null',
        '    data: model.onnx',
        '    onnx_session_options: null',
        '    onnx_version: 1.17.0',
        '    providers:',
        '    - CUDAExecutionProvider',
        '    - CPUExecutionProvider',
        '  python_function:',
        '    data: model.onnx',
        '    env:',
        '      conda: conda.yaml',
        '      virtualenv: python_env.yaml',
        '    loader_module: mlflow.onnx',
        "    python_version: '3.10'",
        'mlflow_version: 3.17.2',
        'model_id: null',
        `model_uuid: ${mlmodel.modelUuid}`,
        'prompts: null',
        "utc_time_created: '2025-01-01 00:00:00'",
        '',
      ].join('\n'),
    );
    expect(stringifyMLmodel(parseMLmodel(text))).toBe(text);
    expect(files['requirements.txt']).toBe('mlflow==3.17.2\nonnx==1.17.0\nonnxruntime');
    expect(files['python_env.yaml']).toBe(
      "python: '3.10'\nbuild_dependencies:\n- pip\n- setuptools\n- wheel\ndependencies:\n- -r requirements.txt\n",
    );
    expect(files['conda.yaml']).toBe(
      'channels:\n- conda-forge\ndependencies:\n- python=3.10\n- pip\n- pip:\n  - mlflow==3.17.2\n  - onnx==1.17.0\n  - onnxruntime\nname: mlflow-env\n',
    );
    expect(onnxMLmodel({ onnxVersion: '1', mlflowVersion: '3', pythonVersion: '3.11.7' }).mlmodel.modelUuid).not.toBe(
      mlmodel.modelUuid,
    );
  });

  it('rejects missing versions', () => {
    expectInvalid(
      () => onnxMLmodel({ onnxVersion: '', mlflowVersion: '3.17.2', pythonVersion: '3.11.7' }),
      /onnxVersion/,
    );
    expectInvalid(
      () => onnxMLmodel({ onnxVersion: '1.17.0', mlflowVersion: '3.17.2', pythonVersion: '3.11.7', pipVersion: ' ' }),
      /pipVersion/,
    );
    expectInvalid(
      () =>
        onnxMLmodel({ onnxVersion: '1.17.0', mlflowVersion: '3.17.2', pythonVersion: '3.11.7', modelSizeBytes: -1 }),
      /modelSizeBytes/,
    );
  });
});
