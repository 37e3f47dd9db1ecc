/**
 * What the worker exposes with comlink: the Engine interface with callbacks as separate
 * (proxied) function arguments, every failure converted to a SerializedError, the model
 * cache's usage and deletion for the model panel, and a small diagnostics call for tests.
 */
import * as Comlink from 'comlink';
import type {
  AdapterInfo,
  AdapterSettings,
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
  TextEncoderParts,
} from '../engine/types';
import type { CachedModel, ModelCache, StorageEstimate } from '../store/cache';
import { chooseBackend, probeEnvironment, type EnvironmentProbe } from '../engine/backend';
import { planLoad, weightsInMemory, type ComponentPlan } from '../engine/load-plan';
import { bufferLimits, oneSize, type AttentionSize, type BufferLimits } from '../package/attention-fit';
import { presetSummary } from '../package/presets';
import { parseManifest } from '../store/manifest';
import { importPackageFiles, type ImportedPackage, type ImportProgress, type ImportTarget, type LocalFile } from '../store/local-import';
import { listedBytes } from '../store/package-files';
import { serializeError } from './error-transport';
import { BUILD_VERSION } from '../build-info';
import { GENERATE_MEASURES, generateMeasures, loadMeasures, measureSince, timelineNow, type MeasureEntry } from '../store/load-marks';

/** What the model panel shows: bytes cached per model and the origin's usage and quota. */
export interface CacheUsage {
  models: CachedModel[];
  /** null where the browser gives no estimate. */
  estimate: StorageEstimate | null;
}

/** The parts of the worker's ModelCache that the page may reach (listing, deleting, importing a folder). */
export type CacheAccess = Pick<ModelCache, 'listModels' | 'estimate' | 'deleteModel'> & ImportTarget;

/**
 * What loading a package would take on this device, known before any weight is fetched: the
 * variant of each component this backend would load and its bytes (load-plan.ts, the rule
 * loadModel follows), and the storage estimate. The page's fit rule (src/app/data/model-fit.ts) judges it.
 */
export interface PackagePlan {
  name: string;
  displayName: string;
  backend: ModelInfo['backend']['backend'];
  backendDescription: string;
  components: ComponentPlan[];
  /** Bytes a load downloads (the chosen variants' files). */
  downloadBytes: number;
  /** Bytes of every file the manifest lists (what importing a folder stores). */
  listedBytes: number;
  estimate: StorageEstimate | null;
  /**
   * The package's clip sizes with their attention scores' bytes where the manifest gives them: its
   * presets, or its one size (attention-fit.ts oneSize); and what bounds one buffer on this device
   * (absent when the GPU's limits are unknown): the page refuses a package none of whose sizes fits
   * (src/app/data/model-fit.ts, by src/package/attention-fit.ts).
   */
  sizes: AttentionSize[];
  bufferLimits?: BufferLimits;
  /** A text encoder in parts: whether the load would keep its sessions (LoadOptions.keepTextEncoder) and their bytes. */
  textEncoderParts?: TextEncoderParts;
}

/** EngineHost.diagnostics(): the worker's state as tests and scripts/page-timings.ts read it. */
export interface EngineDiagnostics {
  generations: number;
  crossOriginIsolated: boolean;
  /** navigator.hardwareConcurrency as the worker sees it (0 where there is none). */
  hardwareConcurrency: number;
  timeOrigin: number;
  loadMeasures: MeasureEntry[];
  /** The last generation's measures on this worker's timeline (load-marks.ts GENERATE_MEASURES). */
  generateMeasures: MeasureEntry[];
}

export interface EngineHostOptions {
  /** Replaces navigator.gpu probing in planPackage (tests). */
  probe?: () => Promise<EnvironmentProbe>;
}

/** One group of decoded video frames (GenerateCallbacks.onFrames). */
export type DecodedFrames = Parameters<NonNullable<GenerateCallbacks['onFrames']>>[0];

type Callback<T> = ((value: T) => void) & Partial<{ [Comlink.releaseProxy]: () => void }>;

export class EngineHost {
  readonly #engine: Engine;
  readonly #cache: CacheAccess | undefined;
  readonly #probe: () => Promise<EnvironmentProbe>;
  #generations = 0;

  /**
   * `cache` is the one the engine's store downloads into: the page asks the worker about it
   * instead of opening the same IndexedDB database beside a writer it cannot see.
   */
  constructor(engine: Engine, cache?: CacheAccess, options: EngineHostOptions = {}) {
    this.#engine = engine;
    this.#cache = cache;
    this.#probe = options.probe ?? probeEnvironment;
  }

  /** Parses a manifest (ManifestError names the field) and plans its load on this device; fetches nothing. */
  planPackage(manifestJson: unknown, options?: LoadOptions): Promise<PackagePlan> {
    return guard(async () => {
      const manifest = parseManifest(manifestJson);
      const backend = chooseBackend(await this.#probe(), options);
      const plan = planLoad(manifest, backend, options?.variant ?? 'auto', 'auto', options?.keepTextEncoder === true);
      const limits = bufferLimits(backend.backend, backend.gpuLimits, weightsInMemory(plan.components));
      return {
        name: manifest.name,
        displayName: manifest.displayName,
        backend: backend.backend,
        backendDescription: backend.description,
        components: plan.components,
        downloadBytes: plan.bytes,
        listedBytes: listedBytes(manifest),
        estimate: (await this.#cache?.estimate()) ?? null,
        sizes: manifest.presets ? manifest.presets.sizes.map(presetSummary) : [oneSize(manifest.name, manifest.video)],
        ...(limits ? { bufferLimits: limits } : {}),
        ...(plan.textEncoderParts ? { textEncoderParts: plan.textEncoderParts } : {}),
      };
    });
  }

  /**
   * Stores a package given as files (a picked folder; File objects are structured-cloned, not
   * read, on the way here) in the model cache, each file sha256-checked; it then loads from
   * `vidlet-local://<name>/` offline. PackageFilesError / IntegrityError name the file; a failure
   * leaves nothing of the package stored.
   */
  importLocalPackage(files: LocalFile[], onProgress?: Callback<ImportProgress>): Promise<ImportedPackage> {
    return guard(async () => {
      try {
        return await importPackageFiles(this.#requireCache(), files, onProgress ? (p) => void onProgress(p) : undefined);
      } finally {
        release(onProgress);
      }
    });
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

  prepareText(request: Parameters<NonNullable<Engine['prepareText']>>[0]): Promise<void> {
    return guard(async () => this.#engine.prepareText?.(request));
  }

  /** The build this worker's script came from (the page compares it with its own: one deployment, not a mix). */
  buildVersion(): string {
    return BUILD_VERSION;
  }

  /** Adds a user adapter; AdapterError / SafetensorsError cross as themselves (see guard). */
  addAdapter(weights: Uint8Array, description: unknown, source?: string): Promise<AdapterInfo> {
    return guard(async () => {
      const engine = this.#engine;
      if (!engine.addAdapter) throw new Error('This engine cannot add adapters.');
      return engine.addAdapter(weights, description, source);
    });
  }

  generate(request: GenerateRequest & AdapterSettings, onStep?: Callback<StepPreview>, onFrames?: Callback<DecodedFrames>): Promise<GenerateResult> {
    return guard(async () => {
      const delivering: unknown[] = [];
      try {
        const result = await this.#engine.generate(request, {
          // Fire-and-forget: the page renders the preview while the next step runs.
          onStep: onStep
            ? (preview) => {
                const posting = timelineNow();
                void onStep(preview);
                measureSince(GENERATE_MEASURES.postStep, posting, { step: preview.step });
              }
            : undefined,
          // The engine keeps no reference to a group's frames (GenerateCallbacks.onFrames), so
          // they are handed over, not copied: a long clip's groups would otherwise double in memory.
          ...(onFrames ? { onFrames: (p: DecodedFrames) => void delivering.push(onFrames(Comlink.transfer(p, uniqueTransferable([p.frames.data.buffer])))) } : {}),
        });
        // The groups travel on the callback's own port, the result on the worker's; each call
        // through the proxy settles once the page's callback returned. Without this wait the
        // result could reach the page before the last group, which the page then drops (its run
        // is finishing), so the decoding display would skip the clip's end.
        await Promise.allSettled(delivering);
        this.#generations++;
        // The frames are handed over, not copied: the worker keeps no reference to them.
        const buffers = [result.video.data.buffer];
        if (result.motion) buffers.push(result.motion.data.buffer);
        return Comlink.transfer(result, uniqueTransferable(buffers));
      } finally {
        release(onStep);
        release(onFrames);
      }
    });
  }

  /** Scores takes of one prompt with the model's reward model (NoRewardModelError crosses as itself). */
  scoreTakes(takes: FramesRGBA[], prompt: string): Promise<TakeScore[]> {
    return guard(async () => {
      const engine = this.#engine;
      if (!engine.scoreTakes) throw new Error('This engine cannot score takes.');
      return engine.scoreTakes(takes, prompt);
    });
  }

  /** Best-of-N; every take's frames are handed over, as generate's are, and so are its decoded groups. */
  generateBestOf(
    request: GenerateRequest & AdapterSettings,
    options: BestOfOptions,
    onStep?: Callback<StepPreview>,
    onTake?: Callback<{ index: number; count: number; seed: number }>,
    onFrames?: Callback<DecodedFrames>,
  ): Promise<BestOfResult> {
    return guard(async () => {
      const engine = this.#engine;
      if (!engine.generateBestOf) throw new Error('This engine cannot run best-of-N.');
      const delivering: unknown[] = [];
      try {
        const result = await engine.generateBestOf(request, options, {
          onStep: onStep ? (preview) => void onStep(preview) : undefined,
          onTake: onTake ? (take) => void onTake(take) : undefined,
          // As in generate: handed over, and the result waits until the page had every group.
          ...(onFrames ? { onFrames: (p: DecodedFrames) => void delivering.push(onFrames(Comlink.transfer(p, uniqueTransferable([p.frames.data.buffer])))) } : {}),
        });
        await Promise.allSettled(delivering);
        this.#generations += result.takes.length;
        const buffers = result.takes.flatMap((t) => [t.result.video.data.buffer, ...(t.result.motion ? [t.result.motion.data.buffer] : [])]);
        return Comlink.transfer(result, uniqueTransferable(buffers));
      } finally {
        release(onStep);
        release(onTake);
        release(onFrames);
      }
    });
  }

  cancel(): Promise<void> {
    return guard(() => this.#engine.cancel());
  }

  unload(): Promise<void> {
    return guard(() => this.#engine.unload());
  }

  cacheUsage(): Promise<CacheUsage> {
    return guard(async () => {
      const cache = this.#requireCache();
      const [models, estimate] = await Promise.all([cache.listModels(), cache.estimate()]);
      return { models, estimate };
    });
  }

  /**
   * Deletes every stored file of model `name`. Unload the engine first (the page's
   * EngineSession does), or a download still running would store chunks again.
   */
  deleteCachedModel(name: string): Promise<void> {
    return guard(() => this.#requireCache().deleteModel(name));
  }

  #requireCache(): CacheAccess {
    if (!this.#cache) throw new Error('This engine worker keeps no model cache (it reads models from elsewhere).');
    return this.#cache;
  }

  /**
   * How many generations finished in this worker (tests read it to tell a reload from a reuse),
   * and where the last model load's and generation's time went (src/store/load-marks.ts): their measures on this
   * worker's timeline, which starts at `timeOrigin` (ms since the epoch, as the page's
   * performance.timeOrigin), so the page can place them on its own.
   */
  diagnostics(): EngineDiagnostics {
    const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
    return {
      generations: this.#generations,
      crossOriginIsolated: g.crossOriginIsolated === true,
      hardwareConcurrency: g.navigator?.hardwareConcurrency ?? 0,
      timeOrigin: performance.timeOrigin,
      loadMeasures: loadMeasures(),
      generateMeasures: generateMeasures(),
    };
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
