/**
 * Typed engine errors. Each message says what happened and what to do next (STYLE.md); the facts
 * behind it are `details` (JSON-safe) so the UI can show them without parsing the message.
 *
 * Across comlink only name + message (+ stack) survive a structured clone, so
 * `serializeEngineError` / `deserializeEngineError` carry `{name, message, details}` and rebuild
 * an instance of the same class on the other side (`instanceof CancelledError` keeps working).
 * Store errors (ManifestError, IntegrityError, StorageFullError, …) travel the same way.
 */
import {
  DownloadAbortedError, FileUnavailableError, IntegrityError, ManifestError, SizeMismatchError, StorageFullError,
} from '../store/errors';
import { AdapterError, SafetensorsError, ScheduleError } from './adapters/errors';

export { StorageFullError, ManifestError, IntegrityError };

export type ErrorDetails = Record<string, string | number | boolean | null | string[] | number[]>;

/** Base class: every engine error has a stable `name` and JSON-safe `details`. */
export class EngineError extends Error {
  override name = 'EngineError';
  readonly details: ErrorDetails;
  constructor(message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.details = details;
  }
}

/** The user cancelled; not a failure to report. */
export class CancelledError extends EngineError {
  override name = 'CancelledError';
  constructor(message = 'Generation cancelled.', details: ErrorDetails = {}) {
    super(message, details);
  }
}

/** Neither WebGPU nor WebAssembly can run here (or a forced backend is unavailable). */
export class NoBackendError extends EngineError {
  override name = 'NoBackendError';
}

/** The model files are not what the manifest promises (missing ONNX inputs, wrong shapes, bad graph). */
export class ModelFormatError extends EngineError {
  override name = 'ModelFormatError';
}

/** A model file could not be read or turned into an onnxruntime session. */
export class ModelLoadError extends EngineError {
  override name = 'ModelLoadError';
}

/** The GPU device was lost twice in one step (first loss is recovered by recreating sessions). */
export class DeviceLostError extends EngineError {
  override name = 'DeviceLostError';
}

/** generate/analyzePrompt before loadModel finished (name matches src/app/data/user-error.ts). */
export class ModelNotLoadedError extends EngineError {
  override name = 'ModelNotLoadedError';
  constructor(message = 'No model is loaded: call loadModel (wait for it to finish) before generating.') {
    super(message);
  }
}

/** A request setting is out of range (name matches src/app/data/user-error.ts). */
export class InvalidRequestError extends EngineError {
  override name = 'InvalidRequestError';
}

/**
 * Scoring (scoreTakes, best-of-N) asked of a model package that ships no reward model
 * (manifest components.rewardModel + reward, docs/model-package.md).
 */
export class NoRewardModelError extends EngineError {
  override name = 'NoRewardModelError';
}

/** A second generate/loadModel while one is running. */
export class BusyError extends EngineError {
  override name = 'BusyError';
}

/** A generation failed after it started (bad numbers from a component, a failed run). */
export class GenerationError extends EngineError {
  override name = 'GenerationError';
}

/** An onnxruntime run failed for a reason other than a lost device. */
export class InferenceError extends GenerationError {
  override name = 'InferenceError';
}

/** Plain, structured-clonable form of any error. */
export interface SerializedEngineError {
  name: string;
  message: string;
  details: ErrorDetails;
  stack?: string;
}

const CLASSES: Record<string, { prototype: Error }> = {
  EngineError, CancelledError, NoBackendError, ModelFormatError, ModelLoadError, DeviceLostError,
  ModelNotLoadedError, InvalidRequestError, NoRewardModelError, BusyError, GenerationError, InferenceError,
  ManifestError, IntegrityError, SizeMismatchError, FileUnavailableError, StorageFullError,
  AbortError: DownloadAbortedError, AdapterError, SafetensorsError, ScheduleError,
};

export function serializeEngineError(error: unknown): SerializedEngineError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), details: {} };
  const details: ErrorDetails = {};
  const own = error instanceof EngineError ? { ...error.details } : {};
  // Store errors keep their facts as own fields (field, path, expected, …): carry the JSON-safe ones.
  for (const [k, v] of Object.entries(error)) {
    if (k === 'details' || k === 'name' || k === 'message' || k === 'stack') continue;
    if (isJsonScalar(v) || (Array.isArray(v) && v.every(isJsonScalar))) details[k] = v as ErrorDetails[string];
  }
  return { name: error.name, message: error.message, details: { ...details, ...own }, stack: error.stack };
}

/** Rebuilds an instance of the original class (by name) without running its constructor. */
export function deserializeEngineError(s: SerializedEngineError): Error {
  const proto = (CLASSES[s.name] ?? Error).prototype;
  const err = Object.create(proto) as Error & { details?: ErrorDetails };
  Object.defineProperty(err, 'message', { value: s.message, writable: true, configurable: true });
  Object.defineProperty(err, 'name', { value: s.name, writable: true, configurable: true, enumerable: true });
  if (s.stack) Object.defineProperty(err, 'stack', { value: s.stack, writable: true, configurable: true });
  if (proto instanceof EngineError || proto === EngineError.prototype) err.details = { ...s.details };
  else Object.assign(err, s.details);
  return err;
}

function isJsonScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Short names (as the engine brief calls them); the worker's error-transport.ts marks them for the wire. */
export const serializeError = serializeEngineError;
export const deserializeError = deserializeEngineError;
