import { describe, expect, it } from 'vitest';
import { MlflowEdgeError } from '../../../src/schema/errors.js';
import {
  normpath,
  stringifyValue,
  validateArtifactPath,
  validateKey,
  validateParamValue,
  validateTagValue,
} from '../../../src/schema/validation.js';

describe('normpath (posixpath.normpath)', () => {
  it.each([
    ['a', 'a'],
    ['a/b', 'a/b'],
    ['a//b', 'a/b'],
    ['a/', 'a'],
    ['./a', 'a'],
    ['a/./b', 'a/b'],
    ['a/../b', 'b'],
    ['..', '..'],
    ['../a', '../a'],
    ['', '.'],
    ['.', '.'],
    ['/a', '/a'],
    ['//a', '//a'],
    ['///a', '/a'],
    ['/..', '/'],
  ])('%j → %j', (input, expected) => expect(normpath(input)).toBe(expected));
});

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MlflowEdgeError);
    return (error as MlflowEdgeError).code;
  }
  return 'ok';
};

describe('metric, param and tag keys (MLflow _validate_metric_name & co.)', () => {
  it.each(['loss', 'val/loss', 'a.b-c_d e:f', 'épsilon', '損失', 'x1', 'a'.repeat(250)])('accepts %j', (key) =>
    expect(code(() => validateKey(key, 'metric'))).toBe('ok'),
  );

  it.each([
    ['a#b', /Names may only contain/],
    ['a\tb', /Names may only contain/],
    ['a*b', /Names may only contain/],
    ['', /must not resolve to other names/],
    ['.', /must not resolve/],
    ['..', /must not resolve/],
    ['../a', /must not resolve/],
    ['/a', /must not resolve/],
    ['a/', /must not resolve/],
    ['a//b', /would resolve to 'a\/b'/],
    ['./a', /must not resolve/],
    ['a/./b', /must not resolve/],
    ['a'.repeat(251), /maximum length of 250/],
  ])('refuses %j', (key, message) => {
    expect(() => validateKey(key, 'param')).toThrow(message);
    expect(code(() => validateKey(key, 'param'))).toBe('INVALID_PARAMETER_VALUE');
  });

  it.each([[undefined], [null], [1], [{}]])('refuses a non-string key %j', (key) => {
    expect(code(() => validateKey(key, 'tag'))).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('values', () => {
  it('stringifies like Python str()', () => {
    expect(stringifyValue('x', 'param', 'k')).toBe('x');
    expect(stringifyValue(0.1, 'param', 'k')).toBe('0.1');
    expect(stringifyValue(true, 'param', 'k')).toBe('True');
    expect(stringifyValue(false, 'tag', 'k')).toBe('False');
    expect(stringifyValue(null, 'param', 'k')).toBe('None');
    expect(stringifyValue(10n, 'param', 'k')).toBe('10');
    expect(stringifyValue(NaN, 'param', 'k')).toBe('nan');
  });
  it.each([[undefined], [{}], [[1]], [() => 1], [Symbol('s')]])('refuses %s', (value) => {
    expect(code(() => stringifyValue(value, 'param', 'k'))).toBe('INVALID_PARAMETER_VALUE');
  });
  it('applies MLflow lengths: params 6000, tags 8000', () => {
    expect(code(() => validateParamValue('k', 'x'.repeat(6000)))).toBe('ok');
    expect(code(() => validateParamValue('k', 'x'.repeat(6001)))).toBe('INVALID_PARAMETER_VALUE');
    expect(code(() => validateTagValue('k', 'x'.repeat(8000)))).toBe('ok');
    expect(code(() => validateTagValue('k', 'x'.repeat(8001)))).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('artifact paths (validate_path_is_safe and friends)', () => {
  it.each(['model.onnx', 'plots/loss.png', 'a b/c-d_e.txt', '.hidden', 'a..b'])('accepts %j', (p) =>
    expect(code(() => validateArtifactPath(p))).toBe('ok'),
  );
  it.each([
    ['', /non-empty/],
    ['../x', /'\.\.' segment/],
    ['a/../../x', /'\.\.' segment/],
    ['..', /'\.\.' segment/],
    ['/etc/passwd', /absolute/],
    ['C:/x', /absolute/],
    ['a#b', /'#'/],
    ['a\\b', /'\\'/],
    ['a\u0000b', /control character/],
    ['a\nb', /control character/],
    ['a//b', /empty or '\.' segment/],
    ['a/', /empty or '\.' segment/],
    ['./a', /empty or '\.' segment/],
  ])('refuses %j', (p, message) => {
    expect(() => validateArtifactPath(p)).toThrow(message);
    expect(code(() => validateArtifactPath(p))).toBe('INVALID_PARAMETER_VALUE');
  });
});
