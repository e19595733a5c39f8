// Logged models and the local model registry, in process (fake-indexeddb).
import { describe, expect, it } from 'vitest';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import { validateAlias, validateLoggedModelName } from '../../../src/schema/registry.js';
import { openedPerTest } from '../in-process.js';
import { rejection } from '../typed-errors.js';

const CODE = "import { setModel } from 'mlflow-edge/model'; setModel({ predict(c, input) { return input; } });";

const opened = openedPerTest();
const tracker = async () => (await opened()).tracker;
describe('name rules (MLflow utils/validation.py)', () => {
  it.each(['champion', 'prod-2', 'a_b', 'x'.repeat(255)])('alias %s is valid', (alias) => {
    expect(() => validateAlias(alias)).not.toThrow();
  });
  it.each(['', 'latest', 'LATEST', 'v1', 'V12', 'a b', 'a.b', 'x'.repeat(256)])('alias %j is refused', (alias) => {
    expect(() => validateAlias(alias)).toThrow(MlflowEdgeError);
  });
  it.each(['model', 'iris-v2', 'my_model'])('logged model name %s is valid', (name) => {
    expect(() => validateLoggedModelName(name)).not.toThrow();
  });
  it.each(['', 'a/b', 'a:b', 'a.b', 'a%b', 'a"b', "a'b"])('logged model name %j is refused', (name) => {
    expect(() => validateLoggedModelName(name)).toThrow(/Invalid model name/);
  });
});

describe('logged models and the registry', () => {
  it('logs a model as an MLflow 3 logged model, registers versions and moves aliases', async () => {
    const t = await tracker();
    const run = await t.startRun({ experimentName: 'reg' });
    const first = await run.logModel('m', { code: CODE }, { registeredModelName: 'reg-model' });
    expect(first.modelUri).toBe(`models:/${first.modelId}`);
    expect(first.modelId).toMatch(/^m-[0-9a-f]{32}$/);
    expect(first.registeredModelVersion).toBe('1');
    const second = await run.logModel('m', { code: CODE });
    const v2 = await t.registerModel(`runs:/${run.runId}/m`, 'reg-model');
    // runs:/<run>/<name> names the newest model of that name in the run.
    expect(v2).toMatchObject({
      name: 'reg-model',
      version: '2',
      modelId: second.modelId,
      source: `models:/${second.modelId}`,
      runId: run.runId,
      aliases: [],
    });
    await t.setModelAlias('reg-model', 'champion', 1);
    await t.setModelAlias('reg-model', 'champion', '2'); // upsert
    await t.setModelAlias('reg-model', 'old', 1);
    await t.deleteModelAlias('reg-model', 'old');
    await t.deleteModelAlias('reg-model', 'never-set'); // no error, as in MLflow
    const registered = await t.getRegisteredModel('reg-model');
    expect(registered.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    expect(registered.latestVersions.map((v) => [v.version, v.aliases])).toEqual([['2', ['champion']]]);
    expect((await t.searchModelVersions('reg-model')).map((v) => v.modelId)).toEqual([first.modelId, second.modelId]);
    expect((await t.listLoggedModels()).map((m) => m.name)).toEqual(['m', 'm']);
    expect((await t.listLoggedModelArtifacts(first.modelId)).map((f) => f.path)).toEqual(['MLmodel', 'model.js']);
    // Model files are the model's, not the run's (MLflow 3).
    expect(await t.listArtifacts(run.runId)).toEqual([]);
  });

  it('refuses what MLflow refuses, with typed errors, and keeps what was stored', async () => {
    const t = await tracker();
    const run = await t.startRun();
    const info = await run.logModel('ok', { code: CODE });
    await t.registerModel(info.modelUri, 'named');
    expect((await rejection(t.setModelAlias('named', 'champion', 5))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.setModelAlias('missing', 'champion', 1))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.setModelAlias('named', 'champion', 'one'))).code).toBe('INVALID_PARAMETER_VALUE');
    expect((await rejection(t.registerModel(`runs:/${run.runId}/nope`, 'named'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.registerModel('https://example.invalid/model', 'named'))).code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect((await rejection(t.getRegisteredModel('missing'))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await rejection(t.listLoggedModelArtifacts(`m-${'0'.repeat(32)}`))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    await expect(t.setModelAlias('named', 'v3', 1)).rejects.toThrow(/reserved/);
    expect((await t.searchModelVersions('named')).map((v) => v.version)).toEqual(['1']);
  });
});
