/** The engine as the CLI and bench build it in Node: onnxruntime-web (wasm) over a folder store. */
import { resolve } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { VidletEngine, type VidletEngineOptions } from '../engine/engine';
import type { Ort } from '../engine/sessions';
import type { LoadProgress, ModelInfo } from '../engine/types';
import { NodeFolderStore } from '../store/node-store';
import type { CommonOptions } from './args';

export async function loadNodeEngine(
  opts: CommonOptions,
  onProgress?: (p: LoadProgress) => void,
  ort: Ort = ortWeb,
  engineOptions: VidletEngineOptions = {},
): Promise<{ engine: VidletEngine; info: ModelInfo }> {
  ort.env.logLevel = 'error'; // onnxruntime's graph-optimizer warnings would drown the progress lines
  const engine = new VidletEngine(new NodeFolderStore(), ort, engineOptions);
  const info = await engine.loadModel(
    { base: resolve(opts.model) },
    { backend: opts.backend, variant: opts.variant, numThreads: opts.threads, keepTextEncoder: opts.keepTextEncoder },
    onProgress,
  );
  return { engine, info };
}
