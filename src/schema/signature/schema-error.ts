/** The one error signature checks throw: MLflow's INVALID_PARAMETER_VALUE, with what was expected and received. */
import { MlflowEdgeError } from '../errors.js';
import { pyRepr } from '../python.js';

/** INVALID_PARAMETER_VALUE with `details = { field, expected, received, ...extra }`. */
export function schemaError(
  message: string,
  field: string,
  expected: unknown,
  received: unknown,
  extra?: Record<string, unknown>,
): MlflowEdgeError {
  return new MlflowEdgeError('INVALID_PARAMETER_VALUE', message, { field, expected, received, ...extra });
}

/** MLflow's message for inputs a signature requires and the input lacks. */
export function describeMissing(missing: string[], extra: string[]): string {
  let message = `Model is missing inputs ${pyRepr(missing)}.`;
  if (extra.length > 0) message += ` Note that there were extra inputs: ${pyRepr(extra)}.`;
  return message;
}
