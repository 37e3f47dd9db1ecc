/**
 * Errors crossing the worker boundary. Comlink keeps only an Error's name, message and stack,
 * so the worker throws the engine's plain SerializedEngineError record instead, and the client
 * rebuilds an instance of the original class (CancelledError, IntegrityError, …) with its
 * fields, so `instanceof`, `error.name` and `toUserError` work on the page as in the worker.
 */
import { deserializeEngineError, serializeEngineError, type SerializedEngineError } from '../engine/errors';

const MARK = 'vidletSerializedError';

export type WireError = SerializedEngineError & { [MARK]: true };

export function serializeError(error: unknown): WireError {
  return { ...serializeEngineError(error), [MARK]: true };
}

export function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[MARK] === true;
}

export function deserializeError(value: unknown): Error {
  if (isWireError(value)) {
    const error = deserializeEngineError(value);
    if (value.stack) error.stack = `${value.stack}\n    (thrown in the engine worker)`;
    return error;
  }
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}
