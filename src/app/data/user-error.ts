/**
 * Turns any error that reaches the page (engine errors rebuilt by the worker client, store and
 * media errors, browser errors) into what the user reads: what happened and what to do next.
 * Engine and store errors already carry messages written for people (STYLE.md); we add a
 * title and an action per known class name, and keep the original message as the detail.
 */
export interface UserError {
  /** Error class name, e.g. 'ModelDownloadError'. */
  name: string;
  title: string;
  detail: string;
  action: string;
}

interface Advice {
  title: string;
  action: string;
}

// Keyed by error `name`; the classes live in src/engine/errors.ts and src/store/. Matching by
// name (not instanceof) works for errors rebuilt after crossing the worker boundary.
const ADVICE: Record<string, Advice> = {
  // src/engine/errors.ts
  CancelledError: { title: 'Generation cancelled', action: 'Change the settings if you like and press Generate again.' },
  NoBackendError: { title: 'This browser cannot run the model', action: 'Use a recent Chrome, Edge or Firefox with WebAssembly enabled.' },
  ModelFormatError: { title: 'The model package is not usable', action: 'Re-export the model or pick another one.' },
  ModelLoadError: { title: 'The model could not be started', action: 'Reload the page; if it happens again, delete the cached model and retry.' },
  DeviceLostError: { title: 'The graphics device was lost', action: 'Probably out of GPU memory: close other tabs and press Generate again.' },
  ModelNotLoadedError: { title: 'No model is loaded', action: 'Wait for the model to finish loading, then press Generate.' },
  InvalidRequestError: { title: 'These settings cannot be used', action: 'Fix the setting named above and press Generate again.' },
  BusyError: { title: 'Still working on the previous request', action: 'Wait for it to finish or press Cancel, then try again.' },
  InferenceError: { title: 'The model failed while generating', action: 'Try again with other settings; if it keeps failing, reload the page.' },
  // src/store/errors.ts
  ManifestError: { title: 'The model package is not usable', action: 'Check the model URL or pick another model.' },
  IntegrityError: { title: 'A model file was damaged in transfer', action: 'Press Generate to download it again.' },
  SizeMismatchError: { title: 'A model file has the wrong size', action: 'Press Generate to download it again; if it repeats, the server copy is broken.' },
  FileUnavailableError: { title: 'The model could not be downloaded', action: 'Check your connection and press Generate to retry; finished files are kept.' },
  StorageFullError: { title: 'Not enough storage for the model', action: 'Make room as the message says (nothing was deleted: your History is kept), then press Generate to go on from the files already stored.' },
  AbortError: { title: 'Download stopped', action: 'Press Generate to continue where it stopped.' },
  // src/media/errors.ts
  CodecUnavailableError: { title: 'This format cannot be written in this browser', action: 'Export as GIF or PNG frames instead.' },
  // src/engine/adapters/errors.ts (the detail names the file, tensor or field)
  AdapterError: { title: 'This adapter cannot be used with this model', action: 'Fix what the message names: use an adapter made for this model (its .json names the base model), or change which adapters are enabled.' },
  SafetensorsError: { title: 'The adapter file is damaged or not a .safetensors file', action: 'Export or download the adapter again, then drop its .safetensors again (with its .json, if it has one).' },
  ScheduleError: { title: 'The adapter schedule cannot be used', action: 'Fix the curve or switch the blend back to constant.' },
  // src/app/data/adapter-library.ts, adapter-store.ts
  AdapterFilesError: { title: 'These files do not make an adapter', action: 'Drop the .safetensors file, together with its .json description (same name) if it has one; your other adapters and settings are unchanged.' },
  AdapterStorageFullError: { title: 'Not enough storage to keep the adapter', action: 'Free some disk space, delete old adapters or history, then drop it again to keep it.' },
  // src/worker/engine-client.ts
  WorkerCrashedError: { title: 'The generator stopped unexpectedly', action: 'Reload the page to start it again; your history is kept.' },
};

const FALLBACK: Advice = {
  title: 'Something went wrong',
  action: 'Try again; if it keeps happening, reload the page (your history is kept).',
};

export function toUserError(error: unknown): UserError {
  const name = error instanceof Error || isErrorLike(error) ? String(error.name || 'Error') : 'Error';
  const detail =
    error instanceof Error || isErrorLike(error) ? String(error.message) : typeof error === 'string' ? error : JSON.stringify(error);
  const advice = ADVICE[name] ?? FALLBACK;
  return { name, title: advice.title, detail, action: advice.action };
}

export function isCancellation(error: unknown): boolean {
  return (error instanceof Error || isErrorLike(error)) && error.name === 'CancelledError';
}

function isErrorLike(value: unknown): value is { name: string; message: string } {
  return typeof value === 'object' && value !== null && 'message' in value && 'name' in value;
}
