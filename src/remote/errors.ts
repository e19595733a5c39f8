/**
 * The one translation of a REST failure into what callers see: an
 * MlflowEdgeError with MLflow's code and a message that says what to do.
 */
import { failureParts, MlflowEdgeError, type ErrorCode } from '../schema/errors.js';
import { RestError } from './rest.js';

const KNOWN: ReadonlySet<string> = new Set<ErrorCode>([
  'INVALID_PARAMETER_VALUE',
  'RESOURCE_DOES_NOT_EXIST',
  'RESOURCE_ALREADY_EXISTS',
  'INVALID_STATE',
  'RESOURCE_EXHAUSTED',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'TEMPORARILY_UNAVAILABLE',
  'DATA_LOSS',
  'INTERNAL_ERROR',
]);

/** The code a caller branches on: auth → UNAUTHENTICATED/PERMISSION_DENIED, transport → TEMPORARILY_UNAVAILABLE, a refusal → MLflow's own. */
function codeOf(error: RestError): ErrorCode {
  if (error.kind === 'auth') return error.status === 403 ? 'PERMISSION_DENIED' : 'UNAUTHENTICATED';
  if (error.kind === 'retry') return 'TEMPORARILY_UNAVAILABLE';
  if (error.errorCode !== undefined && KNOWN.has(error.errorCode)) return error.errorCode as ErrorCode;
  return error.status === 404 ? 'RESOURCE_DOES_NOT_EXIST' : 'BAD_REQUEST';
}

/**
 * `error` as an MlflowEdgeError. `what` says what was being done
 * ("Sync to the MLflow server", "Loading models:/x/1"); `advice` is added per
 * kind. Anything that is not an Error becomes INTERNAL_ERROR, never a bare
 * TypeError or DOMException.
 */
export function toMlflowError(
  error: unknown,
  what: string,
  advice: Partial<Record<RestError['kind'], string>> = {},
  details: Record<string, unknown> = {},
): MlflowEdgeError {
  if (error instanceof MlflowEdgeError) return error;
  if (error instanceof RestError) {
    const tail = advice[error.kind];
    return new MlflowEdgeError(codeOf(error), `${what} failed: ${error.message}${tail ? ` ${tail}` : ''}`, {
      ...details,
      status: error.status,
      ...(error.errorCode ? { errorCode: error.errorCode } : {}),
    });
  }
  const { name, message } = failureParts(error);
  return new MlflowEdgeError(
    'INTERNAL_ERROR',
    `${what} failed: ${name}: ${message}. This is a bug in mlflow-edge or damaged local data; nothing was dropped.`,
    details,
  );
}
