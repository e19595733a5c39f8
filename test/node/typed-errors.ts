// Assertions that a call failed with a typed MlflowEdgeError, returning it for checks on code and message.
import { expect } from 'vitest';
import { MlflowEdgeError } from '../../src/schema/errors.js';

export async function rejection(promise: Promise<unknown>): Promise<MlflowEdgeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MlflowEdgeError);
    return error as MlflowEdgeError;
  }
  throw new Error('expected a rejection');
}

export function thrown(fn: () => unknown): MlflowEdgeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MlflowEdgeError);
    return error as MlflowEdgeError;
  }
  throw new Error('expected a throw');
}
