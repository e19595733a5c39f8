/** enforceParams: MLflow's `_enforce_params_schema`, what it accepts and its messages for what it refuses. */
import { describe, expect, it } from 'vitest';
import { enforceParams } from '../../../../src/schema/signature.js';
import { expectInvalid, PARAMS } from './fixtures.js';

describe('enforceParams accepts', () => {
  const defaults = { k: 5, t: 0.5, s: ['a'], d: new Date(Date.UTC(2024, 0, 1)), b: false, f: 1, cfg: { a: 1 } };
  it.each<[string, Record<string, unknown> | undefined, Record<string, unknown>]>([
    ['no params → defaults (datetime default as Date)', undefined, defaults],
    ['int for double (allowed widening)', { t: 1 }, { ...defaults, t: 1 }],
    ['1.0 for long (JS has no float/int split)', { k: 1.0 }, { ...defaults, k: 1 }],
    ['BigInt for long', { k: 2n ** 60n }, { ...defaults, k: 2n ** 60n }],
    [
      'ISO string for datetime',
      { d: '2024-02-03T04:05:06' },
      { ...defaults, d: new Date(Date.UTC(2024, 1, 3, 4, 5, 6)) },
    ],
    [
      'offset string for datetime (np.datetime64 converts to UTC)',
      { d: '2024-02-03T04:05:06+02:00' },
      { ...defaults, d: new Date(Date.UTC(2024, 1, 3, 2, 5, 6)) },
    ],
    ['1-D list', { s: ['x', 'y'] }, { ...defaults, s: ['x', 'y'] }],
    ['object param', { cfg: { a: 2, b: ['z'] } }, { ...defaults, cfg: { a: 2, b: ['z'] } }],
    ['null value stays null (MLflow passes None)', { k: null }, { ...defaults, k: null }],
  ])('%s', (_label, params, expected) => {
    const { params: out, warnings } = enforceParams(params, PARAMS);
    expect(out).toEqual(expected);
    expect(warnings).toEqual([]);
  });

  it('drops unknown params with MLflow warning', () => {
    const { params, warnings } = enforceParams({ zz: 1, k: 3 }, PARAMS);
    expect(params.k).toBe(3);
    expect(params).not.toHaveProperty('zz');
    expect(warnings[0]).toMatch(
      /^Unrecognized params \['zz'\] are ignored for inference\. Supported params are: \{'b', 'cfg', 'd', 'f', 'k', 's', 't'\}\./,
    );
  });

  it('drops all params when the signature has no params schema', () => {
    expect(enforceParams({ a: 1 }, null)).toEqual({
      params: {},
      warnings: [
        "`params` can only be specified at inference time if the model signature defines a params schema. This model does not define a params schema. Ignoring provided params: ['a']",
      ],
    });
    expect(enforceParams(undefined, null)).toEqual({ params: {}, warnings: [] });
  });
});

describe('enforceParams refuses (MLflow messages)', () => {
  it.each<[string, unknown, string, string]>([
    [
      'fraction for long',
      { k: 1.5 },
      'k',
      "Can not safely convert `<class 'float'>` to `DataType.long` for value `1.5`",
    ],
    [
      'boolean for long',
      { k: true },
      'k',
      "Can not safely convert `<class 'bool'>` to `DataType.long` for value `True`",
    ],
    ['string for long', { k: '5' }, 'k', "Can not safely convert `<class 'str'>` to `DataType.long` for value `5`"],
    ['list for a scalar', { k: [5] }, 'k', 'Value must be a scalar for type `DataType.long`, got `[5]`'],
    [
      'scalar for a 1-D list',
      { s: 'x' },
      's',
      "Value must be a 1D array with shape (-1,) for param 's': string (default: ['a']) (shape: (-1,)), received str with ndim 0",
    ],
    ['2-D list', { s: [['x']] }, 's', 'received list with ndim 2'],
    [
      'wrong element in a list',
      { s: ['x', 1] },
      's',
      "Can not safely convert `<class 'int'>` to `DataType.string` for value `1`",
    ],
    [
      'number for datetime',
      { d: 5 },
      'd',
      "Failed to convert value `5` from type `<class 'int'>` to `DataType.datetime`",
    ],
    [
      'bad datetime string',
      { d: 'nope' },
      'd',
      "Failed to convert value `nope` from type `<class 'str'>` to `DataType.datetime`",
    ],
    [
      'string for boolean',
      { b: 'true' },
      'b',
      "Can not safely convert `<class 'str'>` to `DataType.boolean` for value `true`",
    ],
    ['object param missing a property', { cfg: { b: ['x'] } }, 'cfg', "Missing required properties: {'a'}"],
    ['params not a dict', [1], 'params', "Parameters must be a dictionary. Got type 'list'."],
  ])('%s', (_label, params, field, message) => {
    const error = expectInvalid(() => enforceParams(params as Record<string, unknown>, PARAMS), field, message);
    if (field !== 'params') expect(error.message).toMatch(/^Invalid parameters found: \{\('/);
  });

  it('lists every bad param, field = the first one', () => {
    const error = expectInvalid(() => enforceParams({ k: 'x', t: 'y' }, PARAMS), 'k');
    expect(error.details?.errors).toHaveLength(2);
    expect(error.message).toBe(
      "Invalid parameters found: {('k', \"Failed to validate type and shape for 'k': long (default: 5), error: Can not safely convert `<class 'str'>` to `DataType.long` for value `x`\"), ('t', \"Failed to validate type and shape for 't': double (default: 0.5), error: Can not safely convert `<class 'str'>` to `DataType.double` for value `y`\")}",
    );
  });
});
