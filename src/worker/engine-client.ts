/**
 * The page-side Engine: the same interface as VidletEngine, forwarding each call to the engine
 * worker with comlink. Callbacks cross as Comlink proxies; errors come back as the typed
 * records of error-transport.ts and are rebuilt here. If the worker dies (out of memory, a
 * crash in wasm), every pending call fails with a WorkerCrashedError instead of hanging.
 */
import * as Comlink from 'comlink';
import type {
  AdapterInfo,
  AdapterSettings,
  BestOfCallbacks,
  BestOfOptions,
  BestOfResult,
  Engine,
  FramesRGBA,
  GenerateCallbacks,
  GenerateRequest,
  GenerateResult,
  LoadOptions,
  LoadProgress,
  ModelInfo,
  ModelSource,
  PromptAnalysis,
  StepPreview,
  TakeScore,
} from '../engine/types';
import type { ImportedPackage, ImportProgress, LocalFile } from '../store/local-import';
import type { CacheUsage, DecodedFrames, EngineDiagnostics, EngineHost, PackagePlan } from './engine-host';
import { deserializeError } from './error-transport';

export class WorkerCrashedError extends Error {
  constructor(detail: string) {
    super(`The engine worker stopped: ${detail}. Reload the page to start it again.`);
    this.name = 'WorkerCrashedError';
  }
}

export class EngineClient implements Engine {
  readonly #worker: Worker;
  readonly #remote: Comlink.Remote<EngineHost>;
  readonly #crashed: Promise<never>;

  constructor(worker?: Worker) {
    this.#worker = worker ?? new Worker(new URL('./engine-worker.ts', import.meta.url), { type: 'module', name: 'vidlet-engine' });
    this.#remote = Comlink.wrap<EngineHost>(this.#worker);
    this.#crashed = new Promise<never>((_, reject) => {
      this.#worker.addEventListener('error', (event) => {
        event.preventDefault();
        reject(new WorkerCrashedError(event.message || 'it could not start or threw outside a call'));
      });
      this.#worker.addEventListener('messageerror', () => reject(new WorkerCrashedError('a message could not be read')));
    });
    this.#crashed.catch(() => {}); // observed per call below; avoid an unhandled rejection
  }

  loadModel(source: ModelSource, options?: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    return this.#call(() => this.#remote.loadModel(source, options, onProgress ? Comlink.proxy(onProgress) : undefined));
  }

  /** The build the worker's script came from (src/build-info.ts). */
  buildVersion(): Promise<string> {
    return this.#call(() => this.#remote.buildVersion());
  }

  analyzePrompt(prompt: string): Promise<PromptAnalysis> {
    return this.#call(() => this.#remote.analyzePrompt(prompt));
  }

  prepareText(request: Parameters<NonNullable<Engine['prepareText']>>[0]): Promise<void> {
    return this.#call(() => this.#remote.prepareText(request));
  }

  /**
   * Adds a user adapter to the loaded model (the bytes are copied to the worker; the caller keeps
   * its own, e.g. to store them). Rejects with the engine's AdapterError / SafetensorsError.
   */
  addAdapter(weights: Uint8Array, description: unknown, source?: string): Promise<AdapterInfo> {
    return this.#call(() => this.#remote.addAdapter(weights, description, source));
  }

  generate(request: GenerateRequest & AdapterSettings, callbacks?: GenerateCallbacks): Promise<GenerateResult> {
    const { onStep, onFrames } = callbacks ?? {};
    return this.#call(() =>
      this.#remote.generate(
        request,
        onStep ? Comlink.proxy((p: StepPreview) => onStep(p)) : undefined,
        // Only when asked: the worker then converts and sends every decoded group of frames.
        onFrames ? Comlink.proxy((p: DecodedFrames) => onFrames(p)) : undefined,
      ),
    );
  }

  /**
   * Scores finished takes of one prompt with the loaded model's reward model, in the takes' order
   * (the frames are copied to the worker; the caller keeps its own). Rejects with the engine's
   * NoRewardModelError when the model has none (ModelInfo.reward is then absent).
   */
  scoreTakes(takes: FramesRGBA[], prompt: string): Promise<TakeScore[]> {
    return this.#call(() => this.#remote.scoreTakes(takes, prompt));
  }

  /** N takes from seeds request.seed, +1, …, scored and ranked best first (Engine.generateBestOf). */
  generateBestOf(request: GenerateRequest & AdapterSettings, options: BestOfOptions, callbacks?: BestOfCallbacks): Promise<BestOfResult> {
    const { onStep, onTake, onFrames } = callbacks ?? {};
    return this.#call(() =>
      this.#remote.generateBestOf(
        request,
        options,
        onStep ? Comlink.proxy((p: StepPreview) => onStep(p)) : undefined,
        onTake ? Comlink.proxy((t: { index: number; count: number; seed: number }) => onTake(t)) : undefined,
        // Only when asked, as in generate: each take's decoded groups, from frame 0 again.
        onFrames ? Comlink.proxy((p: DecodedFrames) => onFrames(p)) : undefined,
      ),
    );
  }

  cancel(): Promise<void> {
    return this.#call(() => this.#remote.cancel());
  }

  unload(): Promise<void> {
    return this.#call(() => this.#remote.unload());
  }

  /** The model cache's contents and the browser's storage estimate, read in the worker. */
  cacheUsage(): Promise<CacheUsage> {
    return this.#call(() => this.#remote.cacheUsage());
  }

  /** Deletes model `name` from the cache, in the worker; unload() it first. */
  deleteCachedModel(name: string): Promise<void> {
    return this.#call(() => this.#remote.deleteCachedModel(name));
  }

  /** The load plan of a manifest on this device (EngineHost.planPackage); rejects with ManifestError. */
  planPackage(manifestJson: unknown, options?: LoadOptions): Promise<PackagePlan> {
    return this.#call(() => this.#remote.planPackage(manifestJson, options));
  }

  /** Stores a picked folder's package in the worker's model cache (EngineHost.importLocalPackage). */
  importLocalPackage(files: LocalFile[], onProgress?: (p: ImportProgress) => void): Promise<ImportedPackage> {
    return this.#call(() => this.#remote.importLocalPackage(files, onProgress ? Comlink.proxy(onProgress) : undefined));
  }

  diagnostics(): Promise<EngineDiagnostics> {
    return this.#call(() => this.#remote.diagnostics());
  }

  terminate(): void {
    this.#remote[Comlink.releaseProxy]();
    this.#worker.terminate();
  }

  async #call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await Promise.race([send(), this.#crashed]);
    } catch (error) {
      throw deserializeError(error);
    }
  }
}
