import { describe, expect, it } from 'vitest';
import { modelFilePath, parseModelUri } from '../../../src/models/model-uri.js';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import { thrown } from '../typed-errors.js';

const RUN = '0123456789abcdef0123456789abcdef';
const MID = 'm-0123456789abcdef0123456789abcdef';

describe('model URIs', () => {
  it.each([
    [`runs:/${RUN}/model`, { kind: 'run', runId: RUN, path: 'model' }],
    [`runs:/${RUN}/nested/dir/model/`, { kind: 'run', runId: RUN, path: 'nested/dir/model' }],
    ['models:/iris/3', { kind: 'version', name: 'iris', version: '3', path: '' }],
    ['models:/iris/03/MLmodel', { kind: 'version', name: 'iris', version: '3', path: 'MLmodel' }],
    ['models:/iris@champion', { kind: 'alias', name: 'iris', alias: 'champion', path: '' }],
    ['models:/my@model@prod', { kind: 'alias', name: 'my@model', alias: 'prod', path: '' }],
    ['models:/iris@champion/model.onnx', { kind: 'alias', name: 'iris', alias: 'champion', path: 'model.onnx' }],
    ['models:/iris/latest', { kind: 'latest', name: 'iris', path: '' }],
    ['models:/iris/LATEST', { kind: 'latest', name: 'iris', path: '' }],
    [`models:/${MID}`, { kind: 'logged-model', modelId: MID, path: '' }],
    [`models:/${MID}/model.onnx`, { kind: 'logged-model', modelId: MID, path: 'model.onnx' }],
    // A trailing '/' names the same directory, as in MLflow; 'runs:///' is 'runs:/' with an empty netloc.
    [`runs:/${RUN}/model//`, { kind: 'run', runId: RUN, path: 'model' }],
    [`runs:///${RUN}/model`, { kind: 'run', runId: RUN, path: 'model' }],
    ['models:/iris/3/', { kind: 'version', name: 'iris', version: '3', path: '' }],
    [`models:/${MID}/`, { kind: 'logged-model', modelId: MID, path: '' }],
    // Only '%2e', '%2f', '%5c', '%25' and control characters are refused; other escapes are literal, as in MLflow.
    ['models:/my%20model/1', { kind: 'version', name: 'my%20model', version: '1', path: '' }],
    ['https://example.com/models/iris/', { kind: 'http', url: 'https://example.com/models/iris' }],
    ['http://127.0.0.1:8000/m', { kind: 'http', url: 'http://127.0.0.1:8000/m' }],
  ])('%s', (uri, expected) => expect(parseModelUri(uri)).toEqual(expected));

  it.each([
    [''],
    [42],
    ['s3://bucket/model'],
    ['runs:/'],
    [`runs:/${RUN}`],
    [`runs:/${RUN}/`],
    ['runs:/bad id/model'],
    ['models:/'],
    ['models:/iris'],
    ['models:/iris/Production'],
    ['models:/@alias'],
    ['models:/iris@'],
    ['models:/m-xyz'],
  ])('refuses %j with a typed error naming the forms', (uri) => {
    let error: unknown;
    try {
      parseModelUri(uri);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MlflowEdgeError);
    expect((error as MlflowEdgeError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((error as Error).message).toContain('models:/<name>@<alias>');
  });
});

const OTHER = 'fedcba9876543210fedcba9876543210';

describe('model URIs that lead out of their run or model', () => {
  it.each([
    [`runs:/${RUN}/../${OTHER}/model`, "'..' segment"],
    [`runs:/${RUN}/../../${OTHER}/artifacts/model`, "'..' segment"],
    [`runs:/${RUN}/model/../../${OTHER}/model`, "'..' segment"],
    [`runs:/${RUN}/model/..`, "'..' segment"],
    [`runs:/${RUN}/%2e%2e/${OTHER}/model`, "'%2e'"],
    [`runs:/${RUN}/%2E%2e/${OTHER}/model`, "'%2E'"],
    [`runs:/${RUN}/.%2E/${OTHER}/model`, "'%2E'"],
    [`runs:/${RUN}/..%2f${OTHER}%2fmodel`, "'%2f'"],
    [`runs:/${RUN}/model%2F..%2F..%2F${OTHER}`, "'%2F'"],
    [`runs:/${RUN}/..%5c${OTHER}%5cmodel`, "'%5c'"],
    [`runs:/${RUN}/%252e%252e/${OTHER}/model`, "'%25'"],
    [`runs:/${RUN}/model%00`, "'%00'"],
    [`runs:/${RUN}/..\\${OTHER}\\model`, "'\\'"],
    [`runs:/${RUN}\\..\\${OTHER}\\model`, "'\\'"],
    [`runs:/${RUN}/./model`, "'.' segment"],
    [`runs:/${RUN}//model`, 'empty segment'],
    [`runs:/${RUN}/a//model`, 'empty segment'],
    [`runs:/${RUN}/model/%2e`, "'%2e'"],
    [`runs://${RUN}/model`, 'Databricks profile'],
    [`runs:////${RUN}/model`, "Write one '/'"],
    [`runs:${RUN}/model`, "Write one '/'"],
    [`models:/${MID}/../m-fedcba9876543210fedcba9876543210`, "'..' segment"],
    [`models:/${MID}/../../${OTHER}/artifacts/model.js`, "'..' segment"],
    [`models:/${MID}/%2e%2e/m-fedcba9876543210fedcba9876543210/MLmodel`, "'%2e'"],
    ['models:/iris/1/../../other/2', "'..' segment"],
    ['models:/iris@champion/../../other@prod', "'..' segment"],
    ['models:/../iris/1', "'..' segment"],
    ['models:/iris/latest/%2E%2E/MLmodel', "'%2E'"],
    ['models:/iris/./1', "'.' segment"],
    ['models:/iris//1', 'empty segment'],
    ['models:/iris\\1', "'\\'"],
    ['models://iris/1', 'Databricks profile'],
  ])('refuses %s', (uri, why) => {
    const error = thrown(() => parseModelUri(uri));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.details).toMatchObject({ field: 'uri', received: uri });
    expect(error.message).toContain(why);
    // Says what to write instead.
    expect(error.message).toMatch(/Write |Remove it|runs:\/<run_id>\/model|models:\/<name>/);
  });
});

describe('file paths an MLmodel names', () => {
  it.each(['model.onnx', 'artifacts/data.csv', 'a/b/c.bin', 'my model.js', '%20x'])(
    '%s is a file of the model directory',
    (path) => {
      expect(modelFilePath(path, 'flavors.onnx.data')).toBe(path);
    },
  );
  it.each([
    ['../model.onnx', "'..' segment"],
    ['../../m-fedcba9876543210fedcba9876543210/artifacts/model.js', "'..' segment"],
    ['artifacts/../../x', "'..' segment"],
    ['%2e%2e/model.js', "'%2e'"],
    ['..%2Fmodel.js', "'%2F'"],
    ['..\\model.js', "'\\'"],
    ['/etc/model.onnx', 'absolute'],
    ['C:/model.onnx', 'absolute'],
    ['./model.onnx', "'.' segment"],
    ['a//model.onnx', 'empty segment'],
    ['model.onnx/', 'empty segment'],
    ['', 'must name a file'],
    [42, 'must name a file'],
  ])('refuses %j', (path, why) => {
    const error = thrown(() => modelFilePath(path, 'flavors.onnx.data'));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.details).toMatchObject({ field: 'uri', entry: 'flavors.onnx.data' });
    expect(error.message).toContain(why);
    expect(error.message).toContain('flavors.onnx.data');
  });
});
