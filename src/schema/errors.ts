/**
 * Errors carry MLflow's error codes (mlflow/protos/databricks.proto) so code
 * written against MLflow's Python client can branch on the same names, and a
 * message that says what to do next.
 */
export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'RESOURCE_EXHAUSTED'
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'DATA_LOSS'
  | 'INTERNAL_ERROR';

export class MlflowEdgeError extends Error {
  override name = 'MlflowEdgeError';
  readonly code: ErrorCode;
  /** Extra, structured facts about the failure (e.g. the param key, old and new value). */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

export const invalidParameter = (message: string, details?: Record<string, unknown>) =>
  new MlflowEdgeError('INVALID_PARAMETER_VALUE', message, details);

export const doesNotExist = (message: string, details?: Record<string, unknown>) =>
  new MlflowEdgeError('RESOURCE_DOES_NOT_EXIST', message, details);

/** Plain data that survives postMessage; see `reviveError`. */
export interface SerializedError {
  name: string;
  message: string;
  code?: ErrorCode;
  details?: Record<string, unknown>;
  stack?: string;
}

/**
 * Any failure as an MlflowEdgeError: what reaches a caller always has an
 * MLflow code. A TypeError, DOMException or other error that escaped the
 * typed paths becomes INTERNAL_ERROR, keeping its name and message.
 */
export function typed(error: unknown): MlflowEdgeError {
  if (error instanceof MlflowEdgeError) return error;
  const { name, message, stack, isError } = failureParts(error);
  const out = new MlflowEdgeError('INTERNAL_ERROR', !isError || name === 'Error' ? message : `${name}: ${message}`, {
    name,
  });
  if (stack !== undefined) out.stack = stack;
  return out;
}

/** The name, message and stack of anything thrown (an Error, an error-like object, or any value). */
export function failureParts(error: unknown): { name: string; message: string; stack?: string; isError: boolean } {
  const e =
    error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)
      ? (error as Error)
      : undefined;
  if (e === undefined) return { name: 'Error', message: String(error), isError: false };
  const parts = { name: typeof e.name === 'string' ? e.name : 'Error', message: String(e.message), isError: true };
  return e.stack === undefined ? parts : { ...parts, stack: e.stack };
}

export function serializeError(error: unknown): SerializedError {
  const e = typed(error);
  const out: SerializedError = { name: e.name, message: e.message, code: e.code };
  if (e.details !== undefined) out.details = e.details;
  if (e.stack !== undefined) out.stack = e.stack;
  return out;
}

export function reviveError(data: SerializedError): Error {
  if (data.code !== undefined) {
    const error = new MlflowEdgeError(data.code, data.message, data.details);
    if (data.stack !== undefined) error.stack = data.stack;
    return error;
  }
  const error = new Error(data.message);
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}

/**
 * Any failure as an MlflowEdgeError, so callers can always branch on `code`:
 * typed errors pass through; anything else (an IndexedDB abort, a worker that
 * died) becomes INTERNAL_ERROR keeping its message, with `what` saying what
 * was not done.
 */
export function asEdgeError(error: unknown, what: string): MlflowEdgeError {
  if (error instanceof MlflowEdgeError) return error;
  const { name, message } = failureParts(error);
  return new MlflowEdgeError('INTERNAL_ERROR', `${what} (${name}: ${message}).`, { cause: name });
}
