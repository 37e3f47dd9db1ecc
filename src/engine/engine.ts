/**
 * VidletEngine: the one Engine implementation (src/engine/types.ts). It runs in the Web Worker
 * (onnxruntime-web's bundle for the chosen backend, src/worker/ort-bundle.ts) and in Node (CLI,
 * tests; onnxruntime-web's wasm backend). It
 * knows nothing of the DOM, fetch or IndexedDB: files come through a ModelFileStore.
 *
 * One job at a time: loadModel and generate refuse to overlap (BusyError); a failed or cancelled
 * generation leaves the loaded model usable. cancel() during a load stops its download (the store
 * keeps the finished chunks, so the next load resumes after them); once every file is read, the
 * load runs to the end, since building the sessions cannot be interrupted. A lost GPU device (told by the error's words,
 * or by the device's own `lost` promise when the words do not say it) recreates the sessions on a new device and
 * retries the failing call once. The scene denoiser's session (components.sceneDenoiser, only for
 * plans denoiserFor sends to it) and the reward model's are created on first use, not at load (#13);
 * a warm start does not read or hash the scene denoiser's files either (the store checks them when
 * they are first read). A text encoder in parts (src/package/parts.ts) has no session at load: each
 * call reads, runs and releases its parts one at a time (parts.ts), so no more than one part is in
 * memory; the text cache spares a repeat prompt that work. LoadOptions.keepTextEncoder keeps each
 * part's session after its first run instead, where that takes nothing away (parts-residency.ts),
 * so a new prompt reads no file either; the kept sessions go with the model, like the others. WebGPU
 * failing such a part at run time moves that component to WebAssembly for the rest of the load
 * (parts-fallback.ts, partsOnWasm), its kept WebGPU sessions released.
 */
import { DECODE_NOISE_ROLE, packageFeatures, requiredRoles, type DenoiserName } from '../package/components';
import { planSceneRun } from './scene-request';
import { parseManifest, variantFiles } from '../store/manifest';
import type { FileProgress, Manifest, ModelFileStore, PackageFile } from '../store/types';
import { chooseBackend, chooseVariant, probeEnvironment, type EnvironmentProbe } from './backend';
import { FileUnavailableError, formatBytes } from '../store/errors';
import {
  chooseVaeGraphs, loadMemory, partsFacts, planSessions, RUNTIME_COMPONENTS, sessionFiles, weightsInMemory, type RuntimeComponent, type SessionKey, type SessionSpec, type VaeDecodeOptions,
} from './load-plan';
import { decodeLatent, type F32, type VaeDecodePlan, type VaeGraphs } from './vae-decode';
import { chooseTiling } from './vae-tiles';
import { cacheRole, tilingProblems } from '../package/vae-decode';
import { gaussianNoise, NoiseStream } from './noise';
import { BusyError, CancelledError, DeviceLostError, InvalidRequestError, ModelFormatError, ModelLoadError, ModelNotLoadedError } from './errors';
import { runBestOf } from './best-of';
import { checkTakes, requireReward, scoreTakesWith, type RewardFeeds } from './reward-scores';
import { LoraSlots } from './lora-slots';
import { conditioningTexts, planRequest, runPipeline, type DecodedVideo, type DenoiserBatch, type PipelineComponents, type PipelineConfig } from './pipeline';
import {
  configureOrt, createComponentSession, isDeviceLost, openSession, releaseSessions, runComponent,
  type ComponentSession, type FileBytes, type Ort, type OrtForBackend, type OrtTensor,
} from './sessions';
import { KeptParts, runParts, type PartsRun } from './parts';
import { partsResidency, type TextEncoderParts } from './parts-residency';
import { isWebGpuFailure, withComponentOnWasm } from './parts-fallback';
import { splitParts } from '../package/parts';
import { PromptTokenizer } from './tokenizer';
import { parseLexicon, rewritePrompt, type PromptLexicon } from './prompt-lexicon';
import { contrastPrompt, parseContrastTable, type ContrastTable } from './prompt-contrast';
import { clearGenerateMeasures, clearLoadMeasures, GENERATE_MEASURES, LOAD_MEASURES, measured, measureSince, timelineNow } from '../store/load-marks';
import { deviceWasLost, requestFreshWebGpuDevice } from './webgpu-device';
import { AdapterShelf, adapterInfo } from './adapter-choice';
import {
  ADAPTER_STRENGTH, BLEND_MODES, OPTIONAL_REQUEST_LIMITS, REQUEST_LIMITS, SAMPLER_NAMES, isBlendMode, isSamplerName, limitProblem,
  type LimitedField, type OptionalLimitedField,
} from '../package/request';
import type { TakeScore } from '../package/reward';
import { fixedSteps, stepsProblem } from '../package/schedule';
import { describeSize, latentSizes, presetSize, presetSummary, wholeClipDecodes, type ClipSize, type SizeChoice } from '../package/presets';
import { attentionProblem, bufferLimits, oneSize, sizeRefusal, type BufferLimits } from '../package/attention-fit';
import type { Variant } from '../package/variants';
import type {
  AdapterInfo, AdapterSettings, BackendInfo, BestOfCallbacks, BestOfOptions, BestOfResult, ColourReading, Engine, FramesRGBA, GenerateCallbacks, GenerateRequest,
  GenerateResult, LoadOptions, LoadProgress, ModelInfo, ModelSource, PromptAnalysis,
} from './types';

export { RUNTIME_COMPONENTS };

interface Loaded {
  base: string;
  manifest: Manifest;
  backend: BackendInfo;
  /** The onnxruntime module this load's sessions were made with (tensors for them come from it too). */
  ort: Ort;
  variants: Record<RuntimeComponent, Variant>;
  /** What each session made at load is made from (the VAE as the whole-clip graph or the frame pair). */
  specs: SessionSpec[];
  sessions: Partial<Record<SessionKey, ComponentSession>>;
  /**
   * Components in parts (the text encoder only, src/package/parts.ts): no session is kept for them;
   * each call makes, runs and releases their parts' sessions one at a time (run, parts.ts). Their
   * files are made sure of at load, as the scene denoiser's, and read from the store at each call.
   */
  parted: Partial<Record<SessionKey, SessionSpec>>;
  /**
   * The part sessions of a component in parts that this load keeps after their first run
   * (LoadOptions.keepTextEncoder, parts-residency.ts), on the load's backend; absent: per call.
   */
  kept: Partial<Record<SessionKey, KeptParts>>;
  /** The load's LoadOptions.keepTextEncoder, for a component that moves backend (partsOnWasm). */
  keepTextEncoder: boolean;
  /**
   * A component in parts that WebGPU failed at run time (parts-fallback.ts) and that runs on
   * WebAssembly since: that module, its BackendInfo, the spec it runs (the same variant where
   * it runs there), and its kept sessions there when kept. Absent: the load's backend.
   */
  partedOn: Partial<Record<SessionKey, { ort: Ort; backend: BackendInfo; spec: SessionSpec; kept?: KeptParts }>>;
  /**
   * The WebAssembly backend such a component may move to: only when the load chose WebGPU itself
   * and WebAssembly is there, as for the load's own fall-back (a forced WebGPU still fails).
   */
  wasmFallback: BackendInfo | null;
  /**
   * The scene denoiser's spec, when the package has one. Its session is made on the first request
   * that runs on it (sceneSession): a plain prompt never pays for it (#13). At load its files are
   * only made sure of (ModelFileStore.ensureStored: downloaded and verified on a first visit, so a
   * scene plan works offline later; not read or hashed when already stored); the store verifies
   * their sha256 when sceneSession reads them, before the session is made.
   */
  sceneSpec: SessionSpec | undefined;
  /** That session once asked for; null until then, and again after a failed creation or a device loss. */
  scene: Promise<ComponentSession> | null;
  /** Which VAE graphs decode, and over which spatial tiles (vae-decode.ts), at the package's own (default) size. */
  vae: VaeDecodePlan;
  /** The same per latent size a request may ask for (sizeKey; presets' tiles differ with their size). */
  vaeBySize: Map<string, VaeDecodePlan>;
  tokenizer: PromptTokenizer;
  /** The package's colour lexicon (text.lexicon): every text is rewritten with it before the text encoder. */
  lexicon: PromptLexicon | null;
  /** The package's object nouns (text.contrast), for the contrast pass's reading; null: no contrast pass. */
  contrast: ContrastTable | null;
  lora: LoraSlots;
  bytes: number;
  info: ModelInfo;
  /** Recent text-encoder results by batch of texts (see VidletEngineOptions.cacheText). */
  textCache: Map<string, { hidden: Float32Array; mask: Float32Array }>;
  /** Shipped and user-added adapters, put into the LoRA slots per request. */
  adapters: AdapterShelf;
  /** The load's variant option, for the reward model's variant when it loads. */
  variantOption: Variant | 'auto';
  /**
   * The reward model's session, created on the first scoring call (not at load: only best-of-N and
   * votes need it, and every load would otherwise read and verify its files); null until then.
   */
  reward: Promise<ComponentSession> | null;
}

export interface VidletEngineOptions {
  /** Replaces navigator.gpu probing (tests, Node). */
  probe?: () => Promise<EnvironmentProbe>;
  /**
   * Extra onnxruntime session options, e.g. to run the same engine on onnxruntime-node for the
   * bench: `{ executionProviders: ['cpu'], intraOpNumThreads: n }`.
   */
  sessionOptions?: (backend: BackendInfo) => Record<string, unknown>;
  /** A new GPUDevice after a device loss (default: requestFreshWebGpuDevice; tests inject one). */
  newGpuDevice?: () => Promise<unknown | null>;
  /**
   * Reuse text-encoder outputs for a batch of texts seen in the last few generations (default
   * true: re-rolling the seed of a prompt skips the text encoder). The bench turns it off.
   */
  cacheText?: boolean;
  /** How the VAE decodes: whole clip or frame by frame, and spatial tiling (load-plan.ts VaeDecodeOptions). */
  vaeDecode?: VaeDecodeOptions;
}

/**
 * How long a failed WebGPU call waits for its device's `lost` promise (webgpu-device.ts deviceWasLost):
 * only failed calls wait, and a failed call already ends the generation unless the device was lost.
 */
const DEVICE_LOST_WAIT_MS = 1000;

/** Text-encoder batches kept (each is n·L·hidden floats for its n texts: up to 3·64·384·4 B ≈ 300 KB for vidlet-tiny). */
const TEXT_CACHE_ENTRIES = 4;

export class VidletEngine implements Engine {
  private loaded: Loaded | null = null;
  private busy: 'load' | 'generate' | 'score' | null = null;
  /** prepareText's text-encoder call while it runs (never rejects): jobs wait for it before theirs. */
  private preparing: Promise<void> | null = null;
  private cancelRequested = false;
  /** Aborts the running load's downloads (see cancel()). */
  private loadAbort: AbortController | null = null;
  /** Wasm threads each onnxruntime module was initialised with (absent until its first load). */
  private readonly ortThreads = new Map<Ort, number>();
  private readonly ortFor: OrtForBackend;
  private lastDecodeMs: number | undefined;
  /** The GPUDevice that replaced onnxruntime-web's after a device loss (null: use ORT's own). */
  private gpuDevice: unknown | null = null;
  /** Errors thrown while a part's session was made (partsRun), for isWebGpuFailure. */
  private readonly openFailures = new WeakSet<object>();

  /**
   * `ort`: one onnxruntime module for every backend (Node, tests), or the module for a backend,
   * asked for once the load has chosen it (the page's worker: ort-bundle.ts).
   */
  constructor(
    private readonly store: ModelFileStore,
    ort: Ort | OrtForBackend,
    private readonly options: VidletEngineOptions = {},
  ) {
    this.ortFor = typeof ort === 'function' ? ort : async () => ort;
  }

  /** LoRA slot tensors of the loaded model (adapters write into them). */
  get loraSlots(): LoraSlots {
    if (!this.loaded) throw new ModelNotLoadedError();
    return this.loaded.lora;
  }

  get manifest(): Manifest | null {
    return this.loaded?.manifest ?? null;
  }

  async loadModel(source: ModelSource, options: LoadOptions = {}, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    this.claim('load');
    // Where the load's time goes, on this context's performance timeline (src/store/load-marks.ts).
    clearLoadMeasures();
    return measured(LOAD_MEASURES.load, () => this.#load(source, options, onProgress));
  }

  async #load(source: ModelSource, options: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    await this.preparing; // its sessions may be the ones this load replaces
    const abort = new AbortController();
    this.loadAbort = abort;
    // A view of the store for this load only: aborting it leaves this.store (used later for
    // adapters and device-loss recovery) untouched.
    const store = this.store.withSignal?.(abort.signal) ?? this.store;
    try {
      onProgress?.({ phase: 'manifest', loadedBytes: 0, totalBytes: 0 });
      const manifest = parseManifest(await measured(LOAD_MEASURES.manifest, () => store.readManifest(source.base)));
      const env = await measured(LOAD_MEASURES.probe, () => (this.options.probe ?? probeEnvironment)());
      const { tokenizer, lexicon, contrast } = await measured(LOAD_MEASURES.tokenizer, () => this.readTokenizer(store, source.base, manifest));
      const chosen = chooseBackend(env, options);
      let ort = await this.ortFor(chosen.backend);
      let backend = this.withActualThreads(chosen, ort);
      // The wasm thread count ORT starts with, whichever backend runs the graphs.
      const wasmThreads = backend.backend === 'wasm' ? backend.threads : env.wasm ? chooseBackend({ ...env, webgpu: null }, { ...options, backend: 'wasm' }).threads : 0;
      let prepared;
      try {
        prepared = await this.prepare(store, abort.signal, ort, source.base, manifest, backend, wasmThreads, options, onProgress);
      } catch (e) {
        // WebGPU picked automatically but the graphs do not run there (missing kernel, adapter
        // limits), or its variants cannot be fetched (offline, on a model stored while this
        // browser ran WebAssembly: WebGPU wants fp32/fp16 files the int8 load never downloaded):
        // fall back to wasm rather than fail, and say why. A forced WebGPU still fails.
        const auto = (options.backend ?? 'auto') === 'auto';
        const unavailable = e instanceof FileUnavailableError;
        if (!auto || backend.backend !== 'webgpu' || !env.wasm || !(unavailable || e instanceof ModelLoadError || e instanceof ModelFormatError || e instanceof DeviceLostError)) throw e;
        // On the wasm backend's own module: in the page that is the plain bundle, the one the
        // service worker precaches, so this also covers a WebGPU runtime not fetched yet offline.
        const wasmChoice = chooseBackend({ ...env, webgpu: null }, { ...options, backend: 'wasm' });
        ort = await this.ortFor(wasmChoice.backend);
        const wasm = this.withActualThreads(wasmChoice, ort);
        const why = unavailable ? `WebGPU's weights could not be downloaded (${e.message.slice(0, 200)})` : `WebGPU could not run this model (${e.message.slice(0, 200)})`;
        backend = { ...wasm, reason: `${why}; using WebAssembly. ${wasm.reason}` };
        prepared = await this.prepare(store, abort.signal, ort, source.base, manifest, backend, wasmThreads, options, onProgress);
      }
      const { variants, specs, sceneSpec, parted, sessions, vae, vaeBySize, totalBytes, memoryBytes, textEncoderParts } = prepared;
      // What a preset's attention scores must fit on the backend the load ended on (src/package/attention-fit.ts).
      const limits = bufferLimits(backend.backend, backend.gpuLimits, memoryBytes);
      const wasmFallback = (options.backend ?? 'auto') === 'auto' && backend.backend === 'webgpu' && env.wasm
        ? chooseBackend({ ...env, webgpu: null }, { ...options, backend: 'wasm' })
        : null;
      const lora = new LoraSlots(manifest.lora);
      const adapters = new AdapterShelf(this.store, source.base, manifest);
      const listing = await measured(LOAD_MEASURES.adapters, () => adapters.describe());
      const info: ModelInfo = {
        name: manifest.name,
        displayName: manifest.displayName,
        video: { ...manifest.video },
        variant: variants.denoiser,
        bytes: totalBytes,
        hasMotion: manifest.motion !== undefined,
        hasContrast: contrast !== null,
        defaults: {
          steps: manifest.schedule.defaultSteps,
          guidance: manifest.schedule.defaultGuidance,
          innerGuidance: manifest.schedule.defaultInnerGuidance,
          contrast: manifest.schedule.defaultContrast,
          sampler: manifest.schedule.defaultSampler,
        },
        ...(manifest.schedule.sigmas ? { fixedSteps: fixedSteps(manifest.schedule) } : {}),
        adapters: listing.adapters,
        ...(listing.blender ? { blender: listing.blender } : {}),
        ...(listing.blenderProblem ? { blenderProblem: listing.blenderProblem } : {}),
        ...(manifest.scenes ? { scenes: { ...manifest.scenes } } : {}),
        lora: { slots: manifest.lora.slots.slice(), depth: manifest.lora.depth },
        backend,
        vaeDecode: { graphs: vae.mode, tiling: vae.tiling && { tile: vae.tiling.tile, overlap: vae.tiling.overlap } },
        ...(manifest.presets ? {
          presets: manifest.presets.sizes.map(presetSummary),
          defaultPreset: manifest.presets.default,
        } : {}),
        ...(limits ? { bufferLimits: limits } : {}),
        ...(manifest.reward ? { reward: { dimensions: [...manifest.reward.dimensions], features: manifest.reward.features, tieTheta: manifest.reward.tieTheta, video: { ...manifest.reward.video } } } : {}),
        ...(textEncoderParts ? { textEncoderParts } : {}),
      };
      const kept: Loaded['kept'] = textEncoderParts?.kept ? { textEncoder: new KeptParts() } : {};
      const previous = this.loaded;
      this.loaded = {
        base: source.base, manifest, backend, ort, variants, specs, sceneSpec, scene: null, sessions, parted, kept, keepTextEncoder: options.keepTextEncoder === true, partedOn: {}, wasmFallback, vae, vaeBySize, tokenizer, lexicon, contrast, lora, bytes: totalBytes, info, textCache: new Map(), adapters,
        variantOption: options.variant ?? 'auto', reward: null,
      };
      this.lastDecodeMs = undefined;
      if (previous) await releaseAll(previous);
      // Only now, with this version in use: the store may delete what earlier versions left.
      await measured(LOAD_MEASURES.prune, async () => this.store.packageLoaded?.(source.base, manifest));
      return info;
    } catch (e) {
      // Aborted before any model file was under way (manifest, tokenizer): nothing to keep.
      if (abort.signal.aborted && isAbort(e)) throw new CancelledError('Model load cancelled before the download started.');
      throw e;
    } finally {
      this.loadAbort = null;
      this.busy = null;
    }
  }

  /**
   * Adds an adapter (e.g. dropped .safetensors + .json, or a lone .safetensors with `description`
   * undefined) to the loaded model, checked against its LoRA slots; afterwards requests can name it
   * in `adapters`. Throws AdapterError/SafetensorsError.
   */
  async addAdapter(weights: Uint8Array, description: unknown, source?: string): Promise<AdapterInfo> {
    const m = this.loaded;
    if (!m) throw new ModelNotLoadedError();
    const added = await m.adapters.add(weights, description, source);
    return adapterInfo(added.description, added.noDescription);
  }

  /** Tokens and unknown words of the prompt as the text encoder reads it (after the colour lexicon), and its contrast reading. */
  async analyzePrompt(prompt: string): Promise<PromptAnalysis> {
    if (!this.loaded) throw new ModelNotLoadedError();
    const { text, substitutions } = readPrompt(this.loaded, prompt);
    return { ...this.loaded.tokenizer.analyze(text), colourNames: substitutions, contrastReading: contrastReading(this.loaded, { prompt }) };
  }

  /**
   * Encodes the text a generation of `request` would start with, into the text cache, so that its
   * Generate begins at the denoiser (#13 first preview: the text encoder is ~120 ms of it). The page
   * calls this when typing pauses; the batch is the one generate encodes (pipeline.ts
   * conditioningTexts), so the clip is the same bit for bit. Only a hint: nothing happens while a
   * job runs, for a scene plan, or without the text cache, and a failure is left to the generation
   * to report. A job that starts meanwhile waits for it (tens of ms) and then finds the cache filled.
   */
  async prepareText(request: Pick<GenerateRequest, 'prompt' | 'negativePrompt' | 'guidance' | 'innerGuidance' | 'contrast' | 'scenes'>): Promise<void> {
    const m = this.loaded;
    if (!m || this.busy || this.preparing || request.scenes || this.options.cacheText === false) return;
    if (!Number.isFinite(request.guidance) || !Number.isFinite(request.innerGuidance) || !Number.isFinite(request.contrast ?? 0)) return;
    const reading = contrastReading(m, request);
    const plan = planRequest(request, m.manifest.motion !== undefined, reading);
    this.preparing = this.encodeText(m, conditioningTexts(plan, request, reading)).then(
      () => undefined,
      () => undefined,
    );
    try {
      await this.preparing;
    } finally {
      this.preparing = null;
    }
  }

  async generate(request: GenerateRequest & AdapterSettings, callbacks: GenerateCallbacks = {}): Promise<GenerateResult> {
    const m = this.loaded;
    if (!m) throw new ModelNotLoadedError();
    checkRequest(request);
    const size = requestSize(m, request);
    this.claim('generate');
    this.cancelRequested = false;
    // Where the generation's time goes, on this context's timeline (src/store/load-marks.ts).
    clearGenerateMeasures();
    const started = timelineNow();
    try {
      await this.preparing;
      const { manifest } = m;
      // Before any work: a plan this package cannot make is refused here (InvalidRequestError).
      const scenes = planSceneRun(request.scenes, {
        scenes: manifest.scenes, videoFrames: size.video.frames, latentFrames: size.latent.frames, sceneDenoiser: manifest.components.sceneDenoiser !== undefined,
      });
      const adapterHashes = await measured(GENERATE_MEASURES.adapters, () => m.adapters.apply(m.lora, request.adapters, request.blend));
      // A plan for the scene denoiser: its session, made once per load on the first such request.
      // Making it cannot be interrupted; a cancel asked meanwhile stops the request here (the session is kept).
      const denoiserSession = scenes.denoiser === 'sceneDenoiser' ? await this.sceneSession(m) : m.sessions.denoiser!;
      if (this.cancelRequested) throw new CancelledError('Generation cancelled.', { seed: request.seed });
      const out = await runPipeline(
        this.pipelineConfig(m, scenes, contrastReading(m, request), size),
        this.components(m, scenes.latentFrames, scenes.denoiser, denoiserSession, request.seed, size.latent),
        request,
        {
          onStep: callbacks.onStep,
          ...(callbacks.onFrames ? { onFrames: callbacks.onFrames } : {}),
          isCancelled: () => this.cancelRequested,
          yieldToEvents: nextTask,
          decodeEstimateMs: this.lastDecodeMs,
        },
      );
      this.lastDecodeMs = out.timings.decodeMs;
      return {
        request: { ...request },
        model: manifest.name,
        variant: m.variants.denoiser,
        backend: m.backend.backend,
        fps: manifest.video.fps,
        video: out.video,
        motion: out.motion,
        timings: out.timings,
        batch: out.batch,
        passes: out.passes,
        denoiserCalls: out.calls,
        adapterHashes,
        // A component moved to WebAssembly after the load (partsOnWasm): the page shows the new BackendInfo.
        ...(Object.keys(m.partedOn).length > 0 ? { modelBackend: m.backend } : {}),
        unknownWords: m.tokenizer.unknownWords(readPrompt(m, request.prompt).text),
        ...(request.scenes ? { scenes: { asked: scenes.asked, conditioned: scenes.conditioned, ...(scenes.note ? { note: scenes.note } : {}) } } : {}),
        ...(size.preset === undefined ? {} : { preset: size.preset }),
      };
    } finally {
      measureSince(GENERATE_MEASURES.generate, started);
      this.cancelRequested = false;
      this.busy = null;
    }
  }

  /**
   * Scores finished takes of `prompt` with the package's reward model, batched over takes; see
   * Engine.scoreTakes. The prompt goes through the same text encoder (and cache) as generation.
   */
  async scoreTakes(takes: FramesRGBA[], prompt: string): Promise<TakeScore[]> {
    const m = this.loaded;
    if (!m) throw new ModelNotLoadedError();
    const spec = requireReward(m.manifest);
    checkTakes(takes, prompt);
    this.claim('score');
    try {
      await this.preparing;
      await this.rewardSession(m);
      const text = await this.encodeText(m, [prompt]);
      return await scoreTakesWith((feeds) => this.runReward(m, feeds), spec, takes, {
        ...text, maxLength: m.manifest.text.maxLength, hiddenSize: m.manifest.text.hiddenSize,
      });
    } finally {
      this.busy = null;
    }
  }

  /**
   * Best-of-N (Engine.generateBestOf): refuses a package without a reward model, and loads the
   * reward session, before the first take, so neither costs N generations first.
   */
  async generateBestOf(request: GenerateRequest & AdapterSettings, options: BestOfOptions, callbacks: BestOfCallbacks = {}): Promise<BestOfResult> {
    const m = this.loaded;
    if (!m) throw new ModelNotLoadedError();
    requireReward(m.manifest);
    checkRequest(request);
    requestSize(m, request);
    this.claim('score');
    try {
      await this.preparing;
      await this.rewardSession(m);
    } finally {
      this.busy = null;
    }
    return runBestOf(
      { generate: (r, cb) => this.generate(r, cb), score: (takes, prompt) => this.scoreTakes(takes, prompt) },
      request, options, callbacks,
    );
  }

  async cancel(): Promise<void> {
    if (this.busy === 'generate') this.cancelRequested = true;
    else if (this.busy === 'load') this.loadAbort?.abort();
  }

  async unload(): Promise<void> {
    if (this.busy) throw new BusyError(`Cannot unload while a ${JOB_NAMES[this.busy]} is running; cancel it first.`);
    const m = this.loaded;
    this.loaded = null;
    await this.preparing;
    if (m) await releaseAll(m);
  }

  /** Variants for a backend, their files through the store, and the sessions. */
  private async prepare(
    store: ModelFileStore,
    signal: AbortSignal,
    ort: Ort,
    base: string,
    manifest: Manifest,
    backend: BackendInfo,
    wasmThreads: number,
    options: LoadOptions,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<{
    variants: Record<RuntimeComponent, Variant>; specs: SessionSpec[]; sceneSpec: SessionSpec | undefined; parted: Loaded['parted'];
    sessions: Partial<Record<SessionKey, ComponentSession>>; vae: VaeDecodePlan; vaeBySize: Map<string, VaeDecodePlan>; totalBytes: number;
    /** The weights every session holds at once (scene denoiser and parts included), as the page's plan counts them. */
    memoryBytes: number;
    textEncoderParts: TextEncoderParts | undefined;
  }> {
    const vaeOption = this.options.vaeDecode ?? {};
    let mode: VaeDecodePlan['mode'];
    try {
      mode = chooseVaeGraphs(manifest, vaeOption.graphs);
    } catch (e) {
      throw new ModelLoadError(`${(e as Error).message}.`, { component: 'vaeDecoder' });
    }
    // Refused before any download, as a forced 'frames' is: a budget the package cannot use would
    // otherwise be dropped without a word and the decode run at the package's own tile size.
    const budgetProblem = memoryBudgetProblem(manifest, vaeOption);
    if (budgetProblem) throw new ModelLoadError(budgetProblem, { component: 'vaeDecoder' });
    const all = planSessions(manifest, backend, options.variant ?? 'auto', mode);
    const variants = Object.fromEntries(RUNTIME_COMPONENTS.map((name) => [name, all.find((s) => s.component === name)!.variant])) as Record<RuntimeComponent, Variant>;
    const totalBytes = sessionFiles(all).reduce((s, f) => s + f.bytes, 0);
    // The files of the sessions made now are read and verified now. The scene denoiser's session is
    // made on first use, and a component in parts makes its sessions at each call: their files are
    // only made sure of (a first visit downloads and verifies them, for offline use later; a warm
    // start neither reads nor hashes them), and read — verified by the store — when a session is made.
    const sceneSpec = all.find((s) => s.key === 'sceneDenoiser');
    const parted = all.filter((s) => s.parts !== undefined);
    const later = [...(sceneSpec ? [sceneSpec] : []), ...parted];
    const specs = all.filter((s) => !later.includes(s));
    const bytes = await measured(LOAD_MEASURES.files, () => this.readAll(store, signal, base, specs, later, totalBytes, onProgress));
    if (!this.ortThreads.has(ort)) {
      configureOrt(ort, wasmThreads);
      this.ortThreads.set(ort, wasmThreads);
    }
    onProgress?.({ phase: 'session', loadedBytes: totalBytes, totalBytes });
    const sessions = await this.createSessions(ort, specs, backend, bytes);
    try {
      // A package with presets: every graph must take every preset's latent (checked before the tiles).
      const axes = presetAxesProblem(manifest, mode, sessions);
      if (axes) throw new ModelFormatError(axes.message, { component: axes.component });
      const vae = { mode, tiling: vaeTiling(manifest, mode, vaeOption, sessions, manifest.latent) };
      const vaeBySize = new Map(latentSizes(manifest).map((l) => [sizeKey(l), { mode, tiling: vaeTiling(manifest, mode, vaeOption, sessions, l) }]));
      const { components, textEncoderParts } = loadMemory(manifest, all, backend, options.keepTextEncoder === true);
      return {
        variants, specs, sceneSpec, parted: Object.fromEntries(parted.map((s) => [s.key, s])), sessions, vae, vaeBySize, totalBytes,
        memoryBytes: weightsInMemory(components), textEncoderParts,
      };
    } catch (e) {
      await releaseSessions(Object.values(sessions));
      throw e;
    }
  }

  /**
   * onnxruntime fixes its wasm thread count when it first initialises; a later load asking for
   * another count gets the first one, and BackendInfo says so rather than pretend.
   */
  private withActualThreads(b: BackendInfo, ort: Ort): BackendInfo {
    const t = this.ortThreads.get(ort);
    if (b.backend !== 'wasm' || t === undefined || t === b.threads) return b;
    return {
      ...b,
      threads: t,
      description: `WebAssembly, ${t} thread${t === 1 ? '' : 's'}`,
      reason: `${b.reason} onnxruntime was already started with ${t} thread${t === 1 ? '' : 's'} in this worker; reload to change it.`,
    };
  }

  private claim(kind: 'load' | 'generate' | 'score'): void {
    if (this.busy) {
      throw new BusyError(`A ${JOB_NAMES[this.busy]} is already running; wait for it or cancel it before starting a ${JOB_NAMES[kind]}.`);
    }
    this.busy = kind;
  }

  /**
   * The scene denoiser's session, created once per load on the first request that runs on it, from
   * the store's verified files, with the same options and messages as at load (createSessions).
   * A failure is not kept: the error goes to that request, plain prompts are untouched, and the
   * next scene request tries again.
   */
  private sceneSession(m: Loaded): Promise<ComponentSession> {
    if (!m.scene) {
      const spec = m.sceneSpec;
      if (!spec) return Promise.reject(new ModelFormatError(`${m.manifest.name} has no scene denoiser (manifest.components.sceneDenoiser).`, { component: 'sceneDenoiser' }));
      const scene = (async () => {
        const bytes = new Map<string, Uint8Array>();
        for (const f of spec.files) bytes.set(f.path, await this.store.getFile(m.base, f));
        // Not a load measure: the timeline holds the last load's phases only (load-marks.ts).
        return (await this.createSessions(m.ort, [spec], m.backend, bytes, {}, false))[spec.key]!;
      })();
      m.scene = scene;
      scene.catch(() => {
        if (m.scene === scene) m.scene = null;
      });
    }
    return m.scene;
  }

  /** A session of the load by key; the scene denoiser's is made on first use (sceneSession). */
  private session(m: Loaded, key: SessionKey): Promise<ComponentSession> | ComponentSession {
    return key === 'sceneDenoiser' ? this.sceneSession(m) : m.sessions[key]!;
  }

  /** The reward model's session, created once per load on first use, from the store's verified files. */
  private rewardSession(m: Loaded): Promise<ComponentSession> {
    if (!m.reward) {
      m.reward = this.createRewardSession(m);
      // A failed creation (corrupt file, unsupported graph) is retried on the next call, not cached.
      m.reward.catch(() => {
        if (this.loaded === m) m.reward = null;
      });
    }
    return m.reward;
  }

  private async createRewardSession(m: Loaded): Promise<ComponentSession> {
    const component = m.manifest.components.rewardModel!;
    const variant = chooseVariant('rewardModel', component.variants, m.backend, m.variantOption).variant;
    // The same verified path as the other components: variantFiles lists the files, the store checks each sha256.
    const files = [];
    for (const f of variantFiles(m.manifest, { rewardModel: variant })) files.push({ path: f.path, data: await this.store.getFile(m.base, f) });
    const roles = requiredRoles('rewardModel', packageFeatures(m.manifest));
    return createComponentSession(m.ort, 'rewardModel', variant, component, files, m.backend, roles.inputs, roles.outputs, this.sessionOptions(m.backend));
  }

  /** One reward-model call; a lost GPU device is recovered once, as in run(). */
  private async runReward(m: Loaded, feeds: RewardFeeds) {
    const { Tensor } = m.ort;
    const tensors = {
      video: new Tensor('float32', feeds.video.data, feeds.video.dims),
      text: new Tensor('float32', feeds.text.data, feeds.text.dims),
      text_mask: new Tensor('float32', feeds.textMask.data, feeds.textMask.dims),
    };
    let out;
    try {
      out = await runComponent(await this.rewardSession(m), tensors);
    } catch (e) {
      if (!(await this.lostDevice(m, e))) throw e;
      await this.recreateSessions(m);
      out = await runComponent(await this.rewardSession(m), tensors);
    }
    const read = (t: OrtTensor) => ({ data: t.data as Float32Array, dims: t.dims });
    return { scores: read(out.scores!), features: read(out.features!) };
  }

  private async readTokenizer(
    store: ModelFileStore, base: string, manifest: Manifest,
  ): Promise<{ tokenizer: PromptTokenizer; lexicon: PromptLexicon | null; contrast: ContrastTable | null }> {
    const parse = (text: string, file: string): unknown => {
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new ModelFormatError(`${file} is not valid JSON (${(e as Error).message}): re-export the model package.`, { file });
      }
    };
    const tokJson = parse(await store.readText(base, manifest.text.tokenizer), manifest.text.tokenizer);
    let vocabulary: string[] | undefined;
    if (manifest.text.vocabulary) {
      const v = parse(await store.readText(base, manifest.text.vocabulary), manifest.text.vocabulary);
      const words = Array.isArray(v) ? v : (v as { words?: unknown })?.words;
      if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) {
        throw new ModelFormatError(`${manifest.text.vocabulary} must be a JSON list of words (or {"words": [...]}).`, { file: manifest.text.vocabulary });
      }
      vocabulary = words as string[];
    }
    const file = manifest.text.lexicon;
    const lexicon = file ? parseLexicon(parse(await store.readText(base, file), file), file) : null;
    const nouns = manifest.text.contrast;
    const contrast = nouns ? parseContrastTable(parse(await store.readText(base, nouns), nouns), nouns) : null;
    return { tokenizer: new PromptTokenizer(tokJson, manifest.text.maxLength, vocabulary), lexicon, contrast };
  }

  /**
   * Reads every file of `specs` through the store, and makes sure of those of `later` (sessions made
   * on first use: ModelFileStore.ensureStored, or getFile with the bytes dropped where the store has
   * no ensureStored), reporting overall progress. When `signal` aborts, throws a CancelledError
   * saying how many bytes stay stored for next time.
   */
  private async readAll(
    store: ModelFileStore,
    signal: AbortSignal,
    base: string,
    specs: SessionSpec[],
    later: SessionSpec[],
    totalBytes: number,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const read = new Set(sessionFiles(specs).map((f) => f.path));
    let done = 0;
    // Each file once (sessionFiles), in session order.
    for (const file of sessionFiles([...specs, ...later])) {
      const cancelled = (keptOfFile: number) =>
        new CancelledError(
          `Download cancelled: ${formatBytes(done + keptOfFile)} of ${formatBytes(totalBytes)} are kept in this browser, and the next load resumes from there.`,
          { keptBytes: done + keptOfFile, totalBytes },
        );
      // Between files: stop here rather than read on through cached files.
      if (signal.aborted) throw cancelled(0);
      const progress = (p: FileProgress) =>
        onProgress?.({
          phase: p.fromCache ? 'cache' : 'download',
          file: p.path,
          loadedBytes: done + p.loadedBytes,
          totalBytes,
          bytesPerSecond: p.bytesPerSecond,
          secondsLeft: p.secondsLeft,
          fromCache: p.fromCache,
        });
      const data = await (read.has(file.path) ? store.getFile(base, file, progress) : ensureStored(store, base, file, progress)).catch((e: unknown) => {
        if (signal.aborted && isAbort(e)) throw cancelled(typeof (e as { keptBytes?: unknown }).keptBytes === 'number' ? (e as { keptBytes: number }).keptBytes : 0);
        throw e;
      });
      done += file.bytes;
      if (data) out.set(file.path, data);
      onProgress?.({ phase: 'verify', file: file.path, loadedBytes: done, totalBytes });
    }
    return out;
  }

  private async createSessions(
    ort: Ort,
    specs: SessionSpec[],
    backend: BackendInfo,
    bytes: Map<string, Uint8Array>,
    extraOptions: Record<string, unknown> = {},
    /** Record each as a load measure (load-marks.ts); not for a session made after the load. */
    measure = true,
  ): Promise<Partial<Record<SessionKey, ComponentSession>>> {
    const sessions: Partial<Record<SessionKey, ComponentSession>> = {};
    try {
      for (const spec of specs) {
        const files = spec.files.map((f: PackageFile) => ({ path: f.path, data: bytes.get(f.path)! }));
        const create = () => createComponentSession(ort, spec.component, spec.variant, spec.graph, files, backend, spec.roles.inputs, spec.roles.outputs, this.sessionOptions(backend, extraOptions), spec.field);
        sessions[spec.key] = measure ? await measured(LOAD_MEASURES.session, create, { key: spec.key, component: spec.component, variant: spec.variant }) : await create();
      }
    } catch (e) {
      await releaseSessions(Object.values(sessions));
      throw e;
    }
    return sessions;
  }

  /** The onnxruntime options of every session the engine makes on `backend`. */
  private sessionOptions(backend: BackendInfo, extraOptions: Record<string, unknown> = {}): Record<string, unknown> {
    // After a device loss, onnxruntime-web's own device is dead: sessions go on the fresh one.
    const gpu = backend.backend === 'webgpu' && this.gpuDevice ? { executionProviders: [{ name: 'webgpu', device: this.gpuDevice }] } : {};
    return { ...this.options.sessionOptions?.(backend), ...extraOptions, ...gpu };
  }

  /** After a lost GPU device: new sessions from the store's (cached, verified) files. */
  private async recreateSessions(m: Loaded): Promise<void> {
    await releaseSessions(Object.values(m.sessions));
    // Kept part sessions are on the lost device too: made again on the parts' next call.
    for (const kept of Object.values(m.kept)) await kept.release();
    // The reward session is on the lost device too: dropped, and made again on its next use.
    const reward = m.reward;
    m.reward = null;
    if (reward) await releaseSessions([await reward.catch(() => null)].filter((s): s is ComponentSession => s !== null));
    // So is the scene denoiser's, when made: made again on its next use (run() asks for it again).
    const scene = m.scene;
    m.scene = null;
    if (scene) await releaseSessions([await scene.catch(() => null)].filter((s): s is ComponentSession => s !== null));
    const bytes = new Map<string, Uint8Array>();
    for (const f of sessionFiles(m.specs)) bytes.set(f.path, await this.store.getFile(m.base, f));
    // onnxruntime-web keeps using its lost device for new sessions; give them a new one
    // (measured in Chromium, see webgpu-device.ts).
    // Kept for every later session too (a next loadModel), which would also get the lost device.
    if (m.backend.backend === 'webgpu') this.gpuDevice = await (this.options.newGpuDevice ?? requestFreshWebGpuDevice)().catch(() => null);
    m.sessions = await this.createSessions(m.ort, m.specs, m.backend, bytes);
  }

  /**
   * Did `e`, a failed call on `m`'s sessions, come from a lost GPU device? Its words may say so
   * (isDeviceLost); when they do not, the device the sessions ran on is asked (webgpu-device.ts).
   */
  private async lostDevice(m: Loaded, e: unknown): Promise<boolean> {
    if (m.backend.backend !== 'webgpu') return false;
    if (isDeviceLost(e)) return true;
    // The engine's own device after a recovery, else onnxruntime-web's (set once its WebGPU EP started).
    const device = this.gpuDevice ?? (await Promise.resolve((m.ort.env as { webgpu?: { device?: unknown } }).webgpu?.device).catch(() => null));
    return deviceWasLost(device, DEVICE_LOST_WAIT_MS);
  }

  /**
   * Runs one component call; a lost device is recovered once (new sessions, same call again; a
   * component in parts runs all its parts again, on the new device). A component in parts that
   * WebGPU still fails moves to WebAssembly (partsOnWasm).
   */
  private async run(m: Loaded, name: SessionKey, feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
    try {
      return await this.runRecovering(m, name, feeds);
    } catch (e) {
      if (!m.parted[name] || m.partedOn[name] || !m.wasmFallback || !isWebGpuFailure(e, this.openFailures.has(e as object))) throw e;
      return this.partsOnWasm(m, name, m.wasmFallback, feeds, e);
    }
  }

  /**
   * Runs the call that WebGPU failed (`cause`) again with `name`'s parts on WebAssembly; when that
   * works the component stays there for the rest of the load, and the load's BackendInfo says so
   * (withComponentOnWasm; the page reads it from GenerateResult.modelBackend). When WebAssembly
   * fails too, the failure was not WebGPU's: that error is thrown and nothing moves.
   */
  private async partsOnWasm(m: Loaded, name: SessionKey, wasm: BackendInfo, feeds: Record<string, OrtTensor>, cause: unknown): Promise<Record<string, OrtTensor>> {
    const ort = await this.ortFor('wasm');
    if (!this.ortThreads.has(ort)) {
      configureOrt(ort, wasm.threads);
      this.ortThreads.set(ort, wasm.threads);
    }
    const backend = this.withActualThreads(wasm, ort);
    const spec = m.parted[name]!;
    // The same variant where WebAssembly runs it (its files are stored); else WebAssembly's choice (fp16 needs shader-f16).
    let variant = spec.variant;
    try {
      chooseVariant(spec.component, spec.graph.variants, backend, spec.variant);
    } catch {
      variant = chooseVariant(spec.component, spec.graph.variants, backend, m.variantOption).variant;
    }
    const { files, parts } = spec.graph.variants[variant]!;
    const moved = { ...spec, variant, files, ...(parts ? { parts } : {}) };
    // WebGPU's kept sessions of it are never run again: released now, not at unload.
    await m.kept[name]?.release();
    // Kept there too when asked for and its parts fit WebAssembly's memory (its own there: the
    // page's WebAssembly bundle is another module, holding this component's weights alone).
    const facts = partsFacts(moved);
    const residency = m.info.textEncoderParts && partsResidency(
      { ...facts, backend: 'wasm', weightsPerCall: facts.largestPartBytes, sizes: [], maxPasses: 0 }, m.keepTextEncoder,
    );
    const on = { ort, backend, spec: moved, ...(residency?.kept ? { kept: new KeptParts() } : {}) };
    const out = await runParts(this.partsRun(m, on.spec, on, on.kept), onModule(ort, feeds));
    m.partedOn[name] = on;
    m.backend = withComponentOnWasm(m.backend, spec.component, backend, cause);
    m.info = { ...m.info, backend: m.backend, ...(residency ? { textEncoderParts: residency } : {}) };
    return out;
  }

  private async runRecovering(m: Loaded, name: SessionKey, feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
    try {
      return await this.runOnce(m, name, feeds);
    } catch (e) {
      if (!(await this.lostDevice(m, e))) throw e;
      await this.recreateSessions(m);
      try {
        return await this.runOnce(m, name, feeds);
      } catch (again) {
        if (await this.lostDevice(m, again)) {
          throw new DeviceLostError('The GPU device was lost twice in one step: probably out of GPU memory. Close other GPU-heavy tabs, use a smaller model, or switch to the WebAssembly backend.', { component: name });
        }
        throw again;
      }
    }
  }

  private async runOnce(m: Loaded, name: SessionKey, feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
    const on = m.partedOn[name];
    if (on) return runParts(this.partsRun(m, on.spec, on, on.kept), onModule(on.ort, feeds));
    const parted = m.parted[name];
    return parted ? runParts(this.partsRun(m, parted, m, m.kept[name]), feeds) : runComponent(await this.session(m, name), feeds);
  }

  /**
   * How runParts makes the sessions of `spec`'s parts: from the store's verified files, with the
   * options of the load's backend, or of `on` (a component moved to WebAssembly, partsOnWasm);
   * kept in `kept` when the load keeps them.
   */
  private partsRun(m: Loaded, spec: SessionSpec, on: { ort: Ort; backend: BackendInfo } = m, kept?: KeptParts): PartsRun {
    const graph = { name: spec.component, variant: spec.variant, component: spec.graph, field: spec.field };
    return {
      graph,
      parts: splitParts(spec.files, spec.parts),
      roles: spec.roles,
      // Every new prompt reads every part again (~3.9 GB for q4 umT5-XXL), and hashing that each
      // time would cost as much as the reading: the store hashes a part's file at its download and at
      // its first read, and after that only when it cannot tell that its copy is the one it hashed
      // (ReadOptions 'if-changed', src/store/types.ts: a folder's file rewritten, an IndexedDB copy
      // deleted and fetched again). Keeping the parts' bytes in memory instead would defeat parts.
      read: async (files) => {
        const out: FileBytes[] = [];
        for (const f of files) out.push({ path: f.path, data: await this.store.getFile(m.base, f, undefined, { verify: 'if-changed' }) });
        return out;
      },
      // A session onnxruntime could not make is remembered as such: a ModelFormatError from here
      // may be the backend's (an op WebGPU lacks), one from the wiring is the package's (isWebGpuFailure).
      open: (files) => openSession(on.ort, graph, files, on.backend, this.sessionOptions(on.backend)).catch((e: unknown) => {
        if (typeof e === 'object' && e !== null) this.openFailures.add(e);
        throw e;
      }),
      ...(kept ? { kept } : {}),
    };
  }

  /**
   * hidden [n, L, H] and mask [n, L] for n texts in one text-encoder call. Keyed by the whole
   * batch, not per text: the same batch gives the same bits, so a cached result is exactly what
   * the encoder would return (same seed → same clip still holds).
   */
  private async encodeText(m: Loaded, texts: string[]): Promise<{ hidden: Float32Array; mask: Float32Array }> {
    const start = timelineNow();
    let cached = false;
    try {
      const { Tensor } = m.ort;
      const { manifest } = m;
      const L = manifest.text.maxLength;
      // Prompt, scene captions and negative prompt alike; the cache keys on what the encoder reads.
      texts = texts.map((t) => readPrompt(m, t).text);
      const key = JSON.stringify(texts);
      const cache = this.options.cacheText !== false;
      const hit = cache ? m.textCache.get(key) : undefined;
      if (hit) {
        cached = true;
        m.textCache.delete(key);
        m.textCache.set(key, hit); // most recently used last
        return { hidden: hit.hidden.slice(), mask: hit.mask.slice() };
      }
      const tokenizing = timelineNow();
      const { inputIds, attentionMask } = m.tokenizer.encodeBatch(texts);
      measureSince(GENERATE_MEASURES.tokenize, tokenizing);
      const out = await this.run(m, 'textEncoder', {
        input_ids: new Tensor('int64', inputIds, [texts.length, L]),
        attention_mask: new Tensor('int64', attentionMask, [texts.length, L]),
      });
      const hidden = out.hidden!;
      if (hidden.dims.length !== 3 || hidden.dims[1] !== L || hidden.dims[2] !== manifest.text.hiddenSize) {
        throw new ModelFormatError(`The text encoder returned [${hidden.dims.join(',')}], the manifest promises [${texts.length},${L},${manifest.text.hiddenSize}].`, { component: 'textEncoder' });
      }
      const result = { hidden: (hidden.data as Float32Array).slice(), mask: Float32Array.from(attentionMask, Number) };
      if (cache) {
        m.textCache.set(key, { hidden: result.hidden.slice(), mask: result.mask.slice() });
        if (m.textCache.size > TEXT_CACHE_ENTRIES) m.textCache.delete(m.textCache.keys().next().value!);
      }
      return result;
    } finally {
      measureSince(GENERATE_MEASURES.text, start, { texts: texts.length, cached });
    }
  }

  /** The pipeline's configuration for a clip planned by planSceneRun on this model, whose prompt has `contrastReading`. */
  private pipelineConfig(m: Loaded, scenes: { latentFrames: number; perScene: PipelineConfig['perScene'] }, contrastReading: string | null, size: SizeChoice): PipelineConfig {
    const { manifest } = m;
    return {
      latentDims: [manifest.latent.channels, scenes.latentFrames, size.latent.height, size.latent.width],
      motionChannels: manifest.motion?.channels ?? null,
      maxLength: manifest.text.maxLength,
      hiddenSize: manifest.text.hiddenSize,
      // a preset may shift its own grid (src/package/presets.ts Preset.shift: LTXPipeline's size-dependent shift)
      scheduleShift: size.shift ?? manifest.schedule.shift,
      scheduleSpacing: manifest.schedule.spacing,
      ...(manifest.schedule.shiftTerminal === undefined ? {} : { scheduleShiftTerminal: manifest.schedule.shiftTerminal }),
      ...(manifest.schedule.sigmas ? { scheduleSigmas: manifest.schedule.sigmas } : {}),
      lora: m.lora,
      perScene: scenes.perScene,
      contrastReading,
    };
  }

  /** The loaded VAE graphs as vae-decode.ts calls them: role-named tensors in, plain arrays out. */
  private vaeGraphs(m: Loaded): VaeGraphs {
    const { Tensor } = m.ort;
    const tensor = (x: F32) => new Tensor('float32', x.data, x.dims);
    const read = (t: OrtTensor): F32 => ({ data: t.data as Float32Array, dims: [...t.dims] });
    const pair = m.manifest.vaeDecoderFrames;
    // the decode noise's cut for this call, under its role (only when decodeLatent was given noise)
    const noise = (n?: F32): Record<string, OrtTensor> => (n ? { [DECODE_NOISE_ROLE]: tensor(n) } : {});
    if (m.vae.mode === 'whole' || !pair) {
      return { whole: async (latent, n) => read((await this.run(m, 'vaeDecoder', { latent: tensor(latent), ...noise(n) })).video!) };
    }
    const step = (out: Record<string, OrtTensor>) => ({ video: read(out.video!), cache: pair.cache.map((_, k) => read(out[cacheRole(k)]!)) });
    return {
      frames: {
        latentFrames: { first: pair.first.latentFrames, next: pair.next.latentFrames },
        first: async (latent, n) => step(await this.run(m, 'vaeDecoderFirst', { latent: tensor(latent), ...noise(n) })),
        next: async (latent, cache, n) => step(await this.run(m, 'vaeDecoderNext', {
          latent: tensor(latent), ...noise(n), ...Object.fromEntries(cache.map((c, k) => [cacheRole(k), tensor(c)])),
        })),
      },
    };
  }

  /**
   * The pipeline's parts over this model's sessions, for a clip of `latentFrames` latent frames made
   * by `denoiser`, whose session (made by now) is `denoiserSession`.
   */
  private components(m: Loaded, latentFrames: number, denoiser: DenoiserName, denoiserSession: ComponentSession, seed: number, size: ClipSize): PipelineComponents {
    const { Tensor } = m.ort;
    const { manifest } = m;
    const lat = [manifest.latent.channels, latentFrames, size.height, size.width];
    // The tiles planned at load for this latent size (a scene plan's length does not change them: tiles are spatial).
    const vaePlan = m.vaeBySize.get(sizeKey({ ...size, frames: latentFrames })) ?? m.vaeBySize.get(sizeKey(size)) ?? m.vae;
    // The LoRA weight tensors are the same for every call of a run: build them once.
    // A denoiser exported with a symbolic rank axis gets only the rank the loaded adapters use
    // (1 when none): the same result, and at 1–3 B parameters hundreds of MB less per call.
    // A package without LoRA slots (a converted model) has no LoRA inputs to feed.
    let loraFeeds: Record<string, OrtTensor> = {};
    if (m.lora.S > 0) {
      const rank = loraRankAxisIsSymbolic(denoiserSession) ? Math.max(1, m.lora.usedRank()) : m.lora.R;
      for (const g of m.lora.feeds(rank)) {
        loraFeeds[g.role.down] = new Tensor('float32', g.down, g.downDims);
        loraFeeds[g.role.up] = new Tensor('float32', g.up, g.upDims);
      }
    }
    let calls = 0;
    let previews = 0;
    const decodePreview = async (latent: Float32Array): Promise<DecodedVideo> => {
      const out = await measured(GENERATE_MEASURES.preview, () => this.run(m, 'previewDecoder', { latent: new Tensor('float32', latent, [1, ...lat]) }), { step: ++previews });
      return { data: out.preview!.data as Float32Array, dims: [...out.preview!.dims] };
    };
    return {
      encodeText: (texts) => this.encodeText(m, texts),
      denoise: async (b: DenoiserBatch) => {
        const dims = (c: number) => [b.B, c, lat[1]!, lat[2]!, lat[3]!];
        // L' = maxLength, or (1 + S)·maxLength for a per-scene request (pipeline.ts encodeSceneConditioning)
        const L = b.textMask.length / b.B;
        const feeds: Record<string, OrtTensor> = {
          latent: new Tensor('float32', b.latent, dims(lat[0]!)),
          timestep: new Tensor('float32', b.timestep, [b.B]),
          text: new Tensor('float32', b.text, [b.B, L, manifest.text.hiddenSize]),
          text_mask: new Tensor('float32', b.textMask, [b.B, L]),
          motion_flag: new Tensor('float32', b.motionFlag, [b.B]),
          ...(m.lora.S > 0 ? { lora_scales: new Tensor('float32', b.loraScales, [b.B, m.lora.S, m.lora.D]), ...loraFeeds } : {}),
        };
        if (b.motion) feeds.motion = new Tensor('float32', b.motion, dims(manifest.motion!.channels));
        if (b.textFrameMask) feeds.text_frame_mask = new Tensor('float32', b.textFrameMask, [b.B, lat[1]!, L]);
        const out = await measured(GENERATE_MEASURES.denoise, () => this.run(m, denoiser, feeds), { call: ++calls, batch: b.B });
        return { vLatent: out.v_latent!.data as Float32Array, vMotion: b.motion ? (out.v_motion!.data as Float32Array) : null };
      },
      decodePreview,
      decodeVideo: (latent, onChunk) => {
        // A decoder with the optional decode_noise role gets the clip's own seeded noise (one draw of
        // the latent's size, NoiseStream.decode), cut as the latent is cut; one without gets nothing.
        const noise = takesDecodeNoise(m.manifest, m.vae.mode) ? { data: gaussianNoise(seed, NoiseStream.decode, latent.length), dims: [1, ...lat] } : undefined;
        return decodeLatent({ data: latent, dims: [1, ...lat] }, this.vaeGraphs(m), vaePlan, onChunk, noise);
      },
    };
  }
}

const JOB_NAMES = { load: 'model load', generate: 'generation', score: 'scoring' } as const;

/** Every session of a load, the scene denoiser's, the reward model's and kept parts' too when they were made. */
async function releaseAll(m: Loaded): Promise<void> {
  await releaseSessions(Object.values(m.sessions));
  for (const kept of [...Object.values(m.kept), ...Object.values(m.partedOn).map((on) => on.kept)]) await kept?.release();
  const scene = await m.scene?.catch(() => null);
  if (scene) await releaseSessions([scene]);
  const reward = await m.reward?.catch(() => null);
  if (reward) await releaseSessions([reward]);
}

/**
 * `feeds` as tensors of `ort`: in the page each backend has its own onnxruntime bundle, each with
 * its own Tensor class, and a component moved to WebAssembly gets the text encoder's inputs made
 * with the WebGPU bundle's (CPU tensors: the same arrays, not copied).
 */
function onModule(ort: Ort, feeds: Record<string, OrtTensor>): Record<string, OrtTensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t instanceof ort.Tensor ? t : new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims)]));
}

/** ModelFileStore.ensureStored where the store has it, else a getFile whose bytes are dropped. */
async function ensureStored(store: ModelFileStore, base: string, file: PackageFile, onProgress: (p: FileProgress) => void): Promise<undefined> {
  if (store.ensureStored) await store.ensureStored(base, file, onProgress);
  else await store.getFile(base, file, onProgress);
  return undefined;
}

/** True when the denoiser graph declares lora_down's rank axis (dim 3) symbolic, e.g. 'r'. */
export function loraRankAxisIsSymbolic(c: ComponentSession): boolean {
  const name = c.inputs.lora_down;
  const meta = (c.session as { inputMetadata?: readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[] }).inputMetadata;
  const entry = meta?.find((x) => x.name === name);
  return !!entry && entry.isTensor && typeof entry.shape?.[3] === 'string';
}

/**
 * Whether the VAE graphs a load decodes with take the optional `decode_noise` (the parser made
 * the whole-clip graph and the frame pair agree on it: src/package/vae-decode.ts decodeNoiseProblem).
 */
export function takesDecodeNoise(manifest: Manifest, mode: VaeDecodePlan['mode']): boolean {
  const inputs = mode === 'frames' && manifest.vaeDecoderFrames ? manifest.vaeDecoderFrames.first.inputs : manifest.components.vaeDecoder.inputs;
  return inputs[DECODE_NOISE_ROLE] !== undefined;
}

/**
 * The spatial tiling a load decodes with (vae-tiles.ts chooseTiling), checked against the loaded
 * decoder graphs: tiles need their latent input's height and width axes to be dynamic.
 */
function vaeTiling(manifest: Manifest, mode: VaeDecodePlan['mode'], option: VaeDecodeOptions, sessions: Partial<Record<SessionKey, ComponentSession>>, latent: ClipSize) {
  const explicit = option.tiling;
  if (explicit && typeof explicit === 'object') {
    const problem = tilingProblems(explicit)[0];
    if (problem) throw new ModelLoadError(`The engine's vaeDecode.tiling.${problem[0]} is ${String(problem[0] === 'tile' ? explicit.tile : explicit.overlap)}, but ${problem[1]}.`, { component: 'vaeDecoder' });
  }
  const framesPerCall = mode === 'frames'
    ? Math.max(manifest.vaeDecoderFrames!.first.latentFrames, manifest.vaeDecoderFrames!.next.latentFrames)
    : latent.frames;
  const tiling = chooseTiling({ h: latent.height, w: latent.width, framesPerCall }, manifest.vaeTiling, explicit, option.memoryBudgetBytes);
  if (!tiling) return null;
  const keys: SessionKey[] = mode === 'frames' ? ['vaeDecoderFirst', 'vaeDecoderNext'] : ['vaeDecoder'];
  for (const key of keys) {
    const s = sessions[key]!;
    const shape = latentShape(s);
    // A fixed axis is a non-negative number; a dynamic one a name (or -1 when unnamed).
    const fixed = (d: number | string | undefined) => typeof d === 'number' && d >= 0;
    if (shape && (fixed(shape[3]) || fixed(shape[4]))) {
      const why = explicit && explicit !== 'auto' ? "the engine's vaeDecode.tiling option" : manifest.vaeTiling ? 'manifest.vaeTiling' : 'the memory budget';
      throw new ModelFormatError(
        `${why} asks for ${tiling.tile}×${tiling.tile} latent tiles, but the ${s.name} graph (${key}) takes latent [${shape.join(',')}], with fixed height and width; ` +
          're-export it with dynamic spatial axes, or decode without tiling.',
        { component: 'vaeDecoder' },
      );
    }
  }
  return tiling;
}

/**
 * Why the engine's vaeDecode.memoryBudgetBytes cannot size this package's tiles (it needs the
 * package's vaeTiling.bytesPerLatentPixel), or undefined when it can or is not asked to (no budget,
 * or tiles the option sets itself).
 */
export function memoryBudgetProblem(manifest: Manifest, option: VaeDecodeOptions): string | undefined {
  if (option.memoryBudgetBytes === undefined || (option.tiling !== undefined && option.tiling !== 'auto')) return undefined;
  if (manifest.vaeTiling?.bytesPerLatentPixel) return undefined;
  const has = manifest.vaeTiling ? `its vaeTiling gives tiles of ${manifest.vaeTiling.tile} overlapping ${manifest.vaeTiling.overlap} but no bytesPerLatentPixel` : 'it has no vaeTiling';
  return (
    `A VAE memory budget of ${formatMib(option.memoryBudgetBytes)} was asked for, but ${manifest.name} cannot be decoded to a budget: ${has} ` +
    "(the decoder's peak memory per latent pixel, which the converter measures with --vae-tiling), so the size of a decoder call is unknown. " +
    'Convert the package again to record it, or give the tiles instead of a budget.'
  );
}

/** The prompt as the text encoder reads it: rewritten with the package's colour lexicon, when it has one. */
function readPrompt(m: Loaded, prompt: string): { text: string; substitutions: ColourReading[] } {
  return m.lexicon ? rewritePrompt(prompt, m.lexicon) : { text: prompt, substitutions: [] };
}

/**
 * The contrast pass's text for `request` (prompt-contrast.ts): the reading of the prompt as the text
 * encoder reads it (after the colour lexicon), as training/vidlet_train/evaluate.py computes it. Null
 * (no contrast pass) without the package's text.contrast, for a prompt naming no object noun, and for
 * a scene plan: its scenes' texts name their own objects, and the contrast pass is planned for one
 * prompt only. encodeText reads the reading through the lexicon again, as every text (evaluate.py too).
 */
function contrastReading(m: Loaded, request: Pick<GenerateRequest, 'prompt' | 'scenes'>): string | null {
  if (!m.contrast || request.scenes?.length) return null;
  return contrastPrompt(readPrompt(m, request.prompt).text, m.contrast);
}

function formatMib(bytes: number): string {
  return `${Number((bytes / 2 ** 20).toFixed(2))} MiB`;
}

/** The declared shape of a session's latent input (numbers fixed, strings symbolic), when onnxruntime reports it. */
function latentShape(c: ComponentSession): readonly (number | string)[] | undefined {
  const meta = (c.session as { inputMetadata?: readonly { name: string; isTensor: boolean; shape?: readonly (number | string)[] }[] }).inputMetadata;
  return meta?.find((x) => x.name === c.inputs.latent)?.shape;
}

/**
 * Refuses, before any work, a request outside the limits every layer shares (src/package/request.ts),
 * with an error naming the field (diffusers' check_inputs).
 */
export function checkRequest(r: GenerateRequest & AdapterSettings): void {
  const bad = (field: string, why: string) => {
    throw new InvalidRequestError(`${field} ${why}`, { field });
  };
  if (typeof r.prompt !== 'string') bad('prompt', 'must be text.');
  for (const field of Object.keys(REQUEST_LIMITS) as LimitedField[]) {
    const problem = limitProblem(REQUEST_LIMITS[field], r[field]);
    if (problem) bad(field, `${problem}.`);
  }
  for (const field of Object.keys(OPTIONAL_REQUEST_LIMITS) as OptionalLimitedField[]) {
    const problem = r[field] === undefined ? undefined : limitProblem(OPTIONAL_REQUEST_LIMITS[field], r[field]);
    if (problem) bad(field, `${problem}.`);
  }
  if (!isSamplerName(r.sampler)) bad('sampler', `must be one of ${SAMPLER_NAMES.join(', ')}, got ${JSON.stringify(r.sampler)}.`);
  if (r.adapters !== undefined) {
    if (!Array.isArray(r.adapters)) bad('adapters', 'must be a list of {name, strength?}.');
    for (const a of r.adapters) {
      if (typeof a?.name !== 'string' || a.name === '') bad('adapters', 'entries need a name.');
      const strength = a.strength === undefined ? undefined : limitProblem(ADAPTER_STRENGTH, a.strength);
      if (strength) bad('adapters', `strength of "${a.name}" ${strength}.`);
      // The curve itself is checked against the model's depth when the slots are filled (AdapterShelf.apply).
      if (a.schedule !== undefined && (a.schedule === null || typeof a.schedule !== 'object' || Array.isArray(a.schedule))) {
        bad('adapters', `schedule of "${a.name}" must be a curve {axis?, points: [[position, weight], …], groups?, multipliers?}.`);
      }
    }
  }
  if (r.preset !== undefined && (typeof r.preset !== 'string' || r.preset === '')) bad('preset', `must be a preset's name, got ${JSON.stringify(r.preset)}.`);
  if (r.blend !== undefined && !isBlendMode(r.blend)) bad('blend', `must be one of ${BLEND_MODES.join(', ')}, got ${JSON.stringify(r.blend)}.`);
}

/**
 * What only the loaded package decides about a request, refused before any work like checkRequest:
 * a package with an explicit sigma list takes exactly that many steps (src/package/schedule.ts), and
 * `preset` must be one of the package's (src/package/presets.ts), decodable by the VAE graphs the load
 * chose (`vae`: a forced whole-clip graph decodes only the length it was traced for). Returns the size.
 */
export function checkRequestForModel(r: GenerateRequest, manifest: Manifest, vae: VaeDecodePlan['mode'] = 'whole'): SizeChoice {
  const problem = stepsProblem(r.steps, fixedSteps(manifest.schedule));
  if (problem) throw new InvalidRequestError(`steps ${problem}`, { field: 'steps' });
  const size = presetSize(manifest, r.preset);
  if (typeof size === 'string') throw new InvalidRequestError(`preset ${size}.`, { field: 'preset' });
  if (vae === 'whole' && !wholeClipDecodes(manifest, size.latent.frames) && !r.scenes) {
    throw new InvalidRequestError(
      `preset ${size.preset} has ${size.latent.frames} latent frames, but this load decodes with the whole-clip VAE graph, traced for ${manifest.latent.frames}; ` +
        "load with the frame-by-frame decoder (vaeDecode.graphs 'auto' or 'frames') to make it.",
      { field: 'preset' },
    );
  }
  return size;
}

/**
 * The size a request on this load makes (checkRequestForModel), refused as its `preset` when one
 * attention step's scores at that size, for the request's guidance passes, do not fit this device
 * (attentionRefusal): before any work, the default size included.
 */
function requestSize(m: Loaded, request: GenerateRequest): SizeChoice {
  const size = checkRequestForModel(request, m.manifest, m.vae.mode);
  const passes = planRequest(request, m.manifest.motion !== undefined, contrastReading(m, request)).passes.length;
  attentionRefusal(size, m.manifest, passes, m.info.bufferLimits);
  return size;
}

/**
 * Throws InvalidRequestError (field `preset`) when `size`'s attention scores for `passes` guidance
 * passes per denoiser call do not fit `limits` (src/package/attention-fit.ts), with its numbers: a
 * preset's, or without presets the manifest's one size (`video`, the size presetSize gives then).
 */
function attentionRefusal(size: SizeChoice, manifest: Manifest, passes: number, limits: BufferLimits | undefined): void {
  const judged = size.preset === undefined ? oneSize(manifest.name, manifest.video) : { ...size, name: size.preset };
  const problem = attentionProblem(judged, passes, limits);
  if (problem) throw new InvalidRequestError(sizeRefusal(size.preset, problem), { field: 'preset' });
}

/** A latent size as a map key. */
function sizeKey(s: ClipSize): string {
  return `${s.frames}x${s.height}x${s.width}`;
}

/**
 * Why a load of a package with presets cannot make every preset: a graph whose latent input has a
 * fixed axis that some preset's latent does not match (the denoiser and preview on t, h, w; the VAE
 * graphs on h, w — their time axis is the frame rule's, src/package/presets.ts — and the whole-clip graph
 * on t too when the manifest says it takes any length, `vaeAnyLength`). Undefined when all fit,
 * or when onnxruntime reports no shapes.
 */
export function presetAxesProblem(
  manifest: Manifest, mode: VaeDecodePlan['mode'], sessions: Partial<Record<SessionKey, ComponentSession>>,
): { message: string; component: RuntimeComponent } | undefined {
  const presets = manifest.presets;
  if (!presets) return undefined;
  const graphs: [SessionKey, RuntimeComponent, number[]][] = [
    ['denoiser', 'denoiser', [2, 3, 4]],
    ['previewDecoder', 'previewDecoder', [2, 3, 4]],
    ...(mode === 'frames'
      ? [['vaeDecoderFirst', 'vaeDecoder', [3, 4]], ['vaeDecoderNext', 'vaeDecoder', [3, 4]]] as [SessionKey, RuntimeComponent, number[]][]
      : [['vaeDecoder', 'vaeDecoder', presets.vaeAnyLength ? [2, 3, 4] : [3, 4]]] as [SessionKey, RuntimeComponent, number[]][]),
  ];
  const names = ['', '', 'frames', 'height', 'width'] as const;
  for (const [key, component, axes] of graphs) {
    const s = sessions[key];
    const shape = s && latentShape(s);
    if (!shape) continue;
    for (const p of presets.sizes) {
      const want = [0, 0, p.latent.frames, p.latent.height, p.latent.width];
      const axis = axes.find((a) => typeof shape[a] === 'number' && (shape[a] as number) >= 0 && shape[a] !== want[a]);
      if (axis !== undefined) {
        return {
          component,
          message:
            `manifest.presets offers ${p.name} (latent ${describeSize(p.latent)}, frames × height × width), but the ${s.name} graph (${key}) takes latent [${shape.join(',')}], ` +
            `whose ${names[axis]} is fixed at ${String(shape[axis])}; re-convert the package with --presets so its graphs take every preset's size.`,
        };
      }
    }
  }
  return undefined;
}

/**
 * Resolves in a new task, after the messages already queued. A MessageChannel rather than
 * setTimeout(0): nested timers are clamped to 4 ms, a sixth of a denoiser step.
 */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** A store's DownloadAbortedError (by name: the store may live in another realm) or a fetch's own AbortError. */
function isAbort(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}
