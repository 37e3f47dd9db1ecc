/**
 * The engine as the CLI and the Node tests use it: the same VidletEngine the web page runs,
 * with onnxruntime-web's wasm backend and a local folder store. In Node the wasm thread count
 * must be set explicitly before the first session (ORT would otherwise pick its own default).
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-web';
import { MAX_WASM_THREADS } from '../engine/backend';
import { VidletEngine } from '../engine/engine';
import type { Ort } from '../engine/sessions';
import { NodeFolderStore } from '../store/node-store';

/** The thread count the CLI uses by default: as the browser with cross-origin isolation would. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, availableParallelism()));
}

export function createNodeEngine(threads: number = defaultThreads()): { engine: VidletEngine; ort: Ort; threads: number } {
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  return { engine: new VidletEngine(new NodeFolderStore(), ort as unknown as Ort), ort: ort as unknown as Ort, threads };
}
