/** normalizeInput: serving payloads MLflow's scoring server refuses. */
import { describe, it } from 'vitest';
import { normalizeInput } from '../../../../src/schema/signature.js';
import { expectInvalid, ABC, UNNAMED2 } from './fixtures.js';

describe('normalizeInput: malformed serving payloads', () => {
  it.each<[string, unknown, string, string]>([
    ['two data keys', { inputs: [1], instances: [1] }, 'instances', 'exactly one of the input fields'],
    [
      'dataframe_split without data',
      { dataframe_split: { columns: ['a'], rows: [] } },
      'rows',
      "must have 'data' field",
    ],
    [
      'dataframe_split row of the wrong width',
      { dataframe_split: { columns: ['a', 'b'], data: [[1]] } },
      'dataframe_split',
      '2 columns passed, passed data had 1 columns',
    ],
    [
      'dataframe_records as a dict',
      { dataframe_records: { a: [1] } },
      'dataframe_records',
      'must be a list of records. Got dictionary',
    ],
    [
      'params not a dict',
      { inputs: ['x'], params: [1] },
      'params',
      "Parameters must be a dictionary. Got type 'list'.",
    ],
    [
      'inputs with another key',
      { inputs: ['x'], extra: 1 },
      'extra',
      'One of "instances" and "inputs" must be specified',
    ],
    ['dict for an unnamed signature', { inputs: { a: [1] } }, 'inputs', 'un-named  model signature'],
    [
      'instance missing a required column',
      { instances: [{ a: 1, b: 2 }, { b: 3 }] },
      'a',
      'The length of values for each input/column name are not the same',
    ],
  ])('%s', (_label, payload, field, message) => {
    const signature = _label === 'dict for an unnamed signature' ? UNNAMED2 : ABC;
    expectInvalid(() => normalizeInput(payload, signature), field, message);
  });
});
