import { describe, expect, it } from 'vitest';
import { parseModelUri } from '../../src/models/model-uri.js';
import { MlflowEdgeError } from '../../src/schema/errors.js';

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
    expect((error as Error).message).toContain("models:/<name>@<alias>");
  });
});
