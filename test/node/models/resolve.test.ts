// Model loading never leaves a model's directory and never uses a stored file that changed
// since it was logged (issue 9). In process, over fake-indexeddb; code models cannot run in
// Node, so "nothing ran" is shown by what was read and by the error raised before any import.
import { tamperFile } from '../store-location.js';
import { describe, expect, it } from 'vitest';
import { ModelHost } from '../../../src/models/host.js';
import { openModel, type ModelSource } from '../../../src/models/resolve.js';
import { openedPerTest } from '../in-process.js';
import { rejection } from '../typed-errors.js';

const CODE = "import { setModel } from 'mlflow-edge/model'; setModel({ predict(c, input) { return input; } });";
const SHA = 'a'.repeat(64);
const OTHER_RUN = 'fedcba9876543210fedcba9876543210';

/** A model directory of the given MLmodel text; records every path read. */
function directory(mlmodel: string) {
  const read: string[] = [];
  const source: ModelSource = {
    loadedFrom: 'url',
    files: async (path) => {
      read.push(path);
      if (path === 'MLmodel') return new TextEncoder().encode(mlmodel);
      return new Uint8Array(0);
    },
  };
  return { read, host: new ModelHost(async () => source) };
}

const jsModel = (flavor: string) => `flavors:\n  mlflow_edge_js:\n${flavor}utc_time_created: '2025-01-01 00:00:00'\n`;

describe('paths an MLmodel names stay inside the model directory', () => {
  it.each([
    [
      'an ONNX data file with ..',
      'flavors:\n  onnx:\n    data: ../../m-fedcba9876543210fedcba9876543210/artifacts/model.onnx\nutc_time_created: x\n',
      'flavors.onnx.data',
    ],
    [
      'an ONNX data file, percent-encoded',
      'flavors:\n  onnx:\n    data: "%2e%2e/model.onnx"\nutc_time_created: x\n',
      'flavors.onnx.data',
    ],
    [
      'an absolute ONNX data file',
      'flavors:\n  onnx:\n    data: /model.onnx\nutc_time_created: x\n',
      'flavors.onnx.data',
    ],
    [
      'a code file with ..',
      jsModel(`    code: ../../${OTHER_RUN}/artifacts/model/model.js\n    sha256: ${SHA}\n`),
      'flavors.mlflow_edge_js.code',
    ],
    ['a code file with \\', jsModel(`    code: '..\\\\model.js'\n    sha256: ${SHA}\n`), 'flavors.mlflow_edge_js.code'],
    [
      'an artifact with ..',
      jsModel(`    artifacts:\n      data: artifacts/../../x.csv\n    code: model.js\n    sha256: ${SHA}\n`),
      'flavors.mlflow_edge_js.artifacts.data',
    ],
    [
      'an artifact with %2f',
      jsModel(`    artifacts:\n      data: ..%2fx.csv\n    code: model.js\n    sha256: ${SHA}\n`),
      'flavors.mlflow_edge_js.artifacts.data',
    ],
  ])('refuses %s before reading it', async (_, mlmodel, entry) => {
    const { read, host } = directory(mlmodel);
    const error = await rejection(host.load('https://example.invalid/model', { allowCode: true }));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.details).toMatchObject({ field: 'uri', entry });
    expect(error.message).toContain(entry);
    expect(read).toEqual(['MLmodel']);
  });

  it('refuses a code model naming a model URI that leads out of its run, before its code is read', async () => {
    const { read, host } = directory(
      jsModel(
        `    code: model.js\n    models:\n      inner: runs:/${'0'.repeat(32)}/../../${OTHER_RUN}/model\n    sha256: ${SHA}\n`,
      ),
    );
    const error = await rejection(host.load('https://example.invalid/model', { allowCode: true }));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.details).toMatchObject({ field: 'uri' });
    expect(read).toEqual(['MLmodel']);
  });

  it('refuses every read of a path out of a model directory, whatever asks, before fetching it', async () => {
    const fetched: string[] = [];
    const deps = {
      db: undefined as never,
      artifacts: undefined as never,
      remote: () => undefined,
      fetchUrl: async (_: string, path: string) => (fetched.push(path), new Uint8Array(0)),
    };
    const source = await openModel(
      deps,
      { kind: 'http', url: 'https://example.invalid/models/a' },
      'https://example.invalid/models/a',
    );
    for (const path of ['../b/model.js', '%2e%2e/b/model.js', '..\\b\\model.js', '/b/model.js', 'x/./model.js']) {
      const error = await rejection(source.files(path));
      expect(error.code).toBe('INVALID_PARAMETER_VALUE');
      expect(error.details).toMatchObject({ field: 'uri', path });
    }
    expect(fetched).toEqual([]);
  });
});

const opened = openedPerTest();
async function tracker() {
  const { tracker: t, dbName } = await opened();
  return { t, dbName };
}

async function tamper(dbName: string, owner: string, path: string, text: string) {
  await tamperFile(dbName, owner, path, text);
}

describe('models logged here are read only while their files match the recorded sha256', () => {
  it('refuses a changed code file with DATA_LOSS before its code is imported', async () => {
    const { t, dbName } = await tracker();
    const run = await t.startRun();
    const info = await run.logModel('m', { code: CODE });
    await tamper(dbName, info.modelId, 'model.js', 'globalThis.ran = true;');
    for (const uri of [info.modelUri, `runs:/${run.runId}/m`]) {
      const error = await rejection(t.loadModel(uri, { allowCode: true }));
      expect(error.code).toBe('DATA_LOSS');
      expect(error.details).toMatchObject({ field: 'uri', path: 'model.js' });
      expect(error.message).toMatch(
        /'model\.js' of .* was changed or damaged since it was logged.*Log the model again/,
      );
    }
  });

  it('refuses a changed MLmodel whose code sha256 was changed to match new code', async () => {
    const { t, dbName } = await tracker();
    const run = await t.startRun();
    const info = await run.logModel('m', { code: CODE });
    const mlmodel = await (await t.readLoggedModelArtifact(info.modelId, 'MLmodel')).text();
    const evil = 'globalThis.ran = true;';
    const { sha256Hex } = await import('../../../src/schema/digest.js');
    await tamper(
      dbName,
      info.modelId,
      'MLmodel',
      mlmodel.replace(/sha256: [0-9a-f]{64}/, `sha256: ${sha256Hex(new TextEncoder().encode(evil))}`),
    );
    await tamper(dbName, info.modelId, 'model.js', evil);
    const error = await rejection(t.loadModel(info.modelUri, { allowCode: true }));
    expect(error.code).toBe('DATA_LOSS');
    expect(error.details).toMatchObject({ field: 'uri', path: 'MLmodel' });
  });

  it('refuses a changed file of a model logged as run artifacts', async () => {
    const { t, dbName } = await tracker();
    const run = await t.startRun();
    const info = await run.logModel('m', { code: CODE });
    await run.logArtifact('copy/MLmodel', await t.readLoggedModelArtifact(info.modelId, 'MLmodel'));
    await run.logArtifact('copy/model.js', CODE);
    await tamper(dbName, run.runId, 'copy/model.js', 'globalThis.ran = true;');
    const error = await rejection(t.loadModel(`runs:/${run.runId}/copy`, { allowCode: true }));
    expect(error.code).toBe('DATA_LOSS');
    expect(error.details).toMatchObject({ field: 'uri', path: 'copy/model.js' });
  });
});

describe("a logged model's files are read and listed inside its directory only", () => {
  it.each([
    ['../m-fedcba9876543210fedcba9876543210/model.js'],
    ['%2e%2e/model.js'],
    ['%2E%2e%2fmodel.js'],
    ['..%5cmodel.js'],
    ['artifacts\\..\\..\\MLmodel'],
    ['/MLmodel'],
    ['./MLmodel'],
  ])('refuses %s', async (path) => {
    const { t } = await tracker();
    const run = await t.startRun();
    const info = await run.logModel('m', { code: CODE });
    const read = await rejection(t.readLoggedModelArtifact(info.modelId, path));
    expect(read.code).toBe('INVALID_PARAMETER_VALUE');
    expect(read.details).toMatchObject({ field: 'path', path });
    const list = await rejection(t.listLoggedModelArtifacts(info.modelId, path));
    expect(list.code).toBe('INVALID_PARAMETER_VALUE');
    expect(list.details).toMatchObject({ field: 'dir', path });
  });

  it('refuses, when a code model is logged, artifact names and model URIs that lead out of it', async () => {
    const { t } = await tracker();
    const run = await t.startRun();
    for (const name of ['../../x', '..', '%2e%2e', 'a\\b', 'a//b', '/x', '#x']) {
      const error = await rejection(run.logModel('m', { code: CODE, artifacts: { [name]: 'data' } }));
      expect(error.code).toBe('INVALID_PARAMETER_VALUE');
      expect(error.details).toMatchObject({ field: 'artifacts', key: name });
    }
    const error = await rejection(
      run.logModel('m', { code: CODE, models: { inner: `runs:/${run.runId}/../../${OTHER_RUN}/m` } }),
    );
    expect(error.details).toMatchObject({ field: 'uri' });
    expect(await t.listLoggedModels()).toEqual([]);
  });
});
