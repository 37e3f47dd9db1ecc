/**
 * What the worker exposes with comlink: the Engine interface with callbacks as separate
 * (proxied) function arguments, every failure converted to a SerializedError, and a small
 * diagnostics call for tests.
 */
import * as Comlink from 'comlink';
import type {
  AdapterInfo,
  AdapterSettings,
  Engine,
  GenerateRequest,
  GenerateResult,
  LoadOptions,
  LoadProgress,
  ModelInfo,
  ModelSource,
  PromptAnalysis,
  StepPreview,
} from '../engine/types';
import { serializeError } from './error-transport';

type Callback<T> = ((value: T) => void) & Partial<{ [Comlink.releaseProxy]: () => void }>;

export class EngineHost {
  readonly #engine: Engine;
  #generations = 0;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  loadModel(source: ModelSource, options?: LoadOptions, onProgress?: Callback<LoadProgress>): Promise<ModelInfo> {
    return guard(async () => {
      try {
        return await this.#engine.loadModel(source, options, onProgress ? (p) => void onProgress(p) : undefined);
      } finally {
        release(onProgress);
      }
    });
  }

  analyzePrompt(prompt: string): Promise<PromptAnalysis> {
    return guard(() => this.#engine.analyzePrompt(prompt));
  }

  /** Adds a user adapter; AdapterError / SafetensorsError cross as themselves (see guard). */
  addAdapter(weights: Uint8Array, description: unknown, source?: string): Promise<AdapterInfo> {
    return guard(async () => {
      const engine = this.#engine;
      if (!engine.addAdapter) throw new Error('This engine cannot add adapters.');
      return engine.addAdapter(weights, description, source);
    });
  }

  generate(request: GenerateRequest & AdapterSettings, onStep?: Callback<StepPreview>): Promise<GenerateResult> {
    return guard(async () => {
      try {
        const result = await this.#engine.generate(request, {
          // Fire-and-forget: the page renders the preview while the next step runs.
          onStep: onStep ? (preview) => void onStep(preview) : undefined,
        });
        this.#generations++;
        // The frames are handed over, not copied: the worker keeps no reference to them.
        const buffers = [result.video.data.buffer];
        if (result.motion) buffers.push(result.motion.data.buffer);
        return Comlink.transfer(result, uniqueTransferable(buffers));
      } finally {
        release(onStep);
      }
    });
  }

  cancel(): Promise<void> {
    return guard(() => this.#engine.cancel());
  }

  unload(): Promise<void> {
    return guard(() => this.#engine.unload());
  }

  /** How many generations finished in this worker (tests read it to tell a reload from a reuse). */
  diagnostics(): { generations: number; crossOriginIsolated: boolean } {
    return { generations: this.#generations, crossOriginIsolated: self.crossOriginIsolated === true };
  }
}

/** Runs `task`, rethrowing any failure as a SerializedError so its type survives postMessage. */
async function guard<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    throw serializeError(error);
  }
}

/** Comlink keeps a MessagePort open for each proxied callback until it is released. */
function release(callback: Callback<never> | undefined): void {
  callback?.[Comlink.releaseProxy]?.();
}

function uniqueTransferable(buffers: ArrayBufferLike[]): ArrayBuffer[] {
  // SharedArrayBuffers cannot be transferred; a view over shared memory is cloned instead.
  return [...new Set(buffers)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
