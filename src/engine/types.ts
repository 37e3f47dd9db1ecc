/**
 * The one Engine interface. It is implemented by `VidletEngine` (src/engine/engine.ts), which
 * runs in the Web Worker, in Node (CLI, tests) and anywhere onnxruntime-web runs; the page
 * talks to it through the comlink proxy in src/worker/engine-client.ts and never knows where
 * it runs. Everything that crosses this interface is structured-clonable.
 */
import type { BufferLimits, GpuBufferLimits } from '../package/attention-fit';
import type { BlendMode, SamplerName } from '../package/request';
import type { RankBy, RewardDimension, TakeScore } from '../package/reward';
import type { ScenePlan, SceneSupport } from '../package/scenes';
import type { Backend, Variant } from '../package/variants';
import type { Manifest } from '../store/types';
import type { CurveSpec } from './adapters/schedule';
import type { PassKind } from './guidance';
import type { TextEncoderParts } from './parts-residency';

/**
 * Sampler and blend names, with every request limit, live in src/package/request.ts; variant
 * and backend names in src/package/variants.ts. Re-exported so the engine's API stays one import.
 */
export type { Backend, BlendMode, SamplerName, Variant };
export type { RankBy, RewardDimension, TakeScore };
export type { PassKind };
export type { TextEncoderParts };

/** Where a model package lives: a base URL (browser: '/models/vidlet-tiny/') or a folder (Node). */
export interface ModelSource {
  /** Base URL or filesystem folder holding manifest.json. */
  base: string;
}

export interface LoadOptions {
  /** Force a backend; by default WebGPU on a hardware adapter, otherwise wasm. */
  backend?: Backend | 'auto';
  /** Force a weight variant; by default the best one the backend runs correctly. */
  variant?: Variant | 'auto';
  /** wasm threads (0 = onnxruntime's default). */
  numThreads?: number;
  /**
   * Keep a text encoder in parts (src/package/parts.ts) loaded: each part's session stays after its
   * first run, so a new prompt reads no file and makes no session, at the cost of every part's
   * weights in memory instead of the largest part's (ModelInfo.textEncoderParts has both). Done only
   * where it takes nothing away (src/engine/parts-residency.ts); otherwise the parts run per call and
   * the note says why. Default false: per call. A text encoder of one graph is always kept.
   */
  keepTextEncoder?: boolean;
}

/** Progress of fetching/verifying/caching/compiling a model. */
export interface LoadProgress {
  phase: 'manifest' | 'download' | 'verify' | 'cache' | 'session';
  file?: string;
  /** Bytes done / total over the whole load (all files of the chosen variants). */
  loadedBytes: number;
  totalBytes: number;
  /** Bytes per second over the last few seconds (download phase). */
  bytesPerSecond?: number;
  /** Estimated seconds left (download phase). */
  secondsLeft?: number;
  /** True when the file came from the IndexedDB/disk cache, not the network. */
  fromCache?: boolean;
}

export interface BackendInfo {
  backend: Backend;
  /** e.g. 'NVIDIA GeForce RTX 4070 (webgpu)' or 'WebAssembly, 2 threads'. */
  description: string;
  /** Why this backend was chosen (e.g. 'WebGPU adapter is a software fallback (SwiftShader): wasm is faster'). */
  reason: string;
  shaderF16: boolean;
  threads: number;
  /** On WebGPU, the device's limits on one buffer (the adapter's, which the device gets), when known. */
  gpuLimits?: GpuBufferLimits;
}

export interface ModelInfo {
  name: string;
  displayName: string;
  /**
   * The size a request without a preset makes (manifest "video"); `attentionScoresBytes`: one
   * self-attention's scores for a batch of 2 at it, when the package says (a package without presets
   * is judged by it, src/package/attention-fit.ts oneSize).
   */
  video: { width: number; height: number; frames: number; fps: number; attentionScoresBytes?: number };
  variant: Variant;
  /** Bytes of the chosen variants' files. */
  bytes: number;
  hasMotion: boolean;
  /** The package names its object nouns (text.contrast), so `contrast` can act; without them it never does. */
  hasContrast: boolean;
  /**
   * The manifest's schedule defaults; guidance / innerGuidance / contrast as in GenerateRequest
   * (CFG scale w, VideoJAM w2, contrast guidance w3).
   */
  defaults: { steps: number; guidance: number; innerGuidance: number; contrast: number; sampler: SamplerName };
  /**
   * Present when the package samples on an explicit sigma list (a distilled model): every request
   * must ask for exactly this many steps (defaults.steps is it). The page shows its step control
   * fixed, the CLI refuses another --steps; fixedStepsNote in src/package/schedule.ts says why.
   */
  fixedSteps?: number;
  /** Adapters the model package ships (manifest.adapters), with what their descriptions say. */
  adapters: AdapterInfo[];
  /** The shipped StageBlender table (blend 'dualreal' is possible only with it, for its identity + motion pair). */
  blender?: BlenderInfo;
  /** Why the shipped StageBlender table could not be read (then 'dualreal' fails with this reason). */
  blenderProblem?: string;
  /**
   * Multi-scene clips, as the package declares them (manifest "scenes"); absent: one scene of
   * video.frames (singleSceneSupport in src/package/scenes.ts).
   */
  scenes?: SceneSupport;
  /** LoRA layout: slot names and the denoiser's block count (a curve's `groups` index these blocks). */
  lora: Pick<Manifest['lora'], 'slots' | 'depth'>;
  backend: BackendInfo;
  /**
   * The package's reward model (manifest "reward"), which scoreTakes and generateBestOf use; absent:
   * the package has none and both refuse with NoRewardModelError. Its session loads on first use.
   */
  reward?: RewardInfo;
  /**
   * How this load decodes the video (VidletEngineOptions.vaeDecode over what the package offers):
   * 'frames' decodes group by group and reports each through onFrames as it comes, so a caller
   * shows decoding progress only then; 'whole' decodes the clip in one call (onFrames once, at
   * the end). `tiling`: the latent tiles each call is cut into, or null.
   */
  vaeDecode?: { graphs: 'whole' | 'frames'; tiling: { tile: number; overlap: number } | null };
  /**
   * The clip sizes a request may name in `preset` (manifest "presets"), the default first among
   * equals by `defaultPreset`; absent: the package makes `video`'s size only. `attentionScoresBytes`:
   * one self-attention's scores for a batch of 2 at that size, when the package says.
   */
  presets?: PresetInfo[];
  defaultPreset?: string;
  /**
   * What bounds one buffer on this load's device (the GPU's limits, or WebAssembly memory beside the
   * weights), which a preset's attention scores must fit (src/package/attention-fit.ts); absent when
   * the GPU's limits are unknown. The page disables presets by it with the engine's own words.
   */
  bufferLimits?: BufferLimits;
  /**
   * A text encoder in parts: how many, their bytes, and whether this load keeps their sessions
   * (LoadOptions.keepTextEncoder); absent for a text encoder of one graph.
   */
  textEncoderParts?: TextEncoderParts;
}

export interface PresetInfo {
  name: string;
  label?: string;
  video: { frames: number; height: number; width: number };
  attentionScoresBytes?: number;
}

/** What the page needs to know of a package's reward model (src/package/reward.ts RewardSpec). */
export interface RewardInfo {
  /** The order of the scores output (always the three of REWARD_DIMENSIONS). */
  dimensions: RewardDimension[];
  /** Length of TakeScore.features (a per-person taste head is fitted on them). */
  features: number;
  /** θ of Bradley–Terry with ties the scores were fitted with (src/votes/btt.ts). */
  tieTheta: number;
  /** The clip size the graph scores; takes of another size are resampled to it. */
  video: { frames: number; height: number; width: number };
}

/** Best-of-N: how many takes (seeds seed, seed + 1, …) and what decides the best. */
export interface BestOfOptions {
  /** Takes to make, BEST_OF in src/package/reward.ts (1–16). */
  n: number;
  /** Default 'overall' (VQ + MQ + TA). */
  rankBy?: RankBy;
}

/** onStep and onFrames report each take as GenerateCallbacks do a single generation (frames from 0 again per take). */
export interface BestOfCallbacks extends GenerateCallbacks {
  /** Before take `index` (0-based) of `count` starts, with its seed. */
  onTake?(take: { index: number; count: number; seed: number }): void;
}

export interface ScoredTake {
  seed: number;
  score: TakeScore;
  /** 1 = best. */
  rank: number;
  result: GenerateResult;
}

export interface BestOfResult {
  rankBy: RankBy;
  /** Every take, best first (ties: the lower seed first); takes[0] is the best. */
  takes: ScoredTake[];
}

/** An adapter as the page lists it: its description's fields (docs/adapter-format.md). */
export interface AdapterInfo {
  name: string;
  /** 'identity' | 'motion' | 'style'. */
  kind: string;
  displayName?: string;
  description?: string;
  triggerWords?: string[];
  recommendedStrength?: number;
  /** Why the description could not be read; using the adapter will fail with the full reason. */
  problem?: string;
  /**
   * Added without a description JSON (a LoRA from another trainer): named after its file, and
   * nothing said which model it was made for; only its layers and shapes were checked (adapters/description.ts NO_DESCRIPTION_NOTE).
   */
  noDescription?: true;
}

/** A shipped StageBlender table: identity weight α(t, group), motion weight c − α(t, group). */
export interface BlenderInfo {
  identity: string;
  motion: string;
  c: number;
  groups: number[][];
  /** Ascending denoiser timesteps in [0, 1] (t = 1 is pure noise). */
  timesteps: number[];
  /** alpha[i][g]: α at timesteps[i] for group g. */
  alpha: number[][];
}

export interface GenerateRequest {
  prompt: string;
  negativePrompt?: string;
  seed: number;
  steps: number;
  /**
   * CFG scale w (docs/model-package.md): v(∅) + w·(v(y) − v(∅)); 1 means no text guidance.
   * Inner-Guidance uses w1 = w − 1 (guidance.ts derives it; nothing else does).
   */
  guidance: number;
  /** VideoJAM Inner-Guidance w2; 0 turns it off (plain CFG, two passes per step). */
  innerGuidance: number;
  /**
   * Contrast guidance w3 (absent = 0 = off): one more pass per step, reading the prompt with its
   * object nouns made neutral (src/engine/prompt-contrast.ts), adds w3·(v(prompt) − v(reading)).
   * Only a prompt that names an object noun, on a package with text.contrast, and without a scene
   * plan gets the pass; otherwise the setting does nothing.
   */
  contrast?: number;
  sampler: SamplerName;
  /** Also decode the jointly denoised motion latent (flow drawn as colour). */
  decodeMotion?: boolean;
  /**
   * The scene plan `prompt` was made from (issue #10; prompt = sceneCaption(scenes), the global
   * caption). A package with scenes.conditioning 'per-scene' makes each scene from its own text
   * and length; any other makes one clip from the prompt and says so in GenerateResult.scenes.
   */
  scenes?: ScenePlan;
  /**
   * The clip size preset to make (ModelInfo.presets; manifest "presets", src/package/presets.ts);
   * absent: the package's default. A package without presets refuses any name.
   */
  preset?: string;
}

/**
 * LoRA adapters for one generation (kept apart from GenerateRequest so code that lists the
 * request's fields keeps compiling; generate() takes GenerateRequest & AdapterSettings).
 */
export interface AdapterSettings {
  /** Shipped with the model or added with addAdapter; none = exactly the base model. */
  adapters?: AdapterChoice[];
  /** How identity + motion adapters share the blocks: constant strengths, or DualReal's StageBlender table. */
  blend?: BlendMode;
}

export interface AdapterChoice {
  name: string;
  /** Default: the adapter's recommendedStrength. */
  strength?: number;
  /**
   * A hand-set stage schedule: weight = strength · curve(t or progress) · multiplier of the
   * block's group (docs/adapter-format.md, "curve"). It replaces this adapter's schedule in every
   * blend mode: with 'constant' it replaces the flat 1, with 'dualreal' it replaces the
   * StageBlender's α (or c − α) for this adapter only; the other adapter of the pair keeps the table.
   */
  schedule?: CurveSpec;
}

export type { CurveSpec };

/** Sent after every denoising step. */
export interface StepPreview {
  step: number; // 1-based
  steps: number;
  t: number;
  elapsedMs: number;
  /** Estimated ms left, from the mean step time so far plus the decode estimate. */
  etaMs: number;
  /** Small RGBA frames of the current estimate of the clean clip. */
  preview: FramesRGBA;
}

/** Frames as one RGBA buffer, frame-major: frames × height × width × 4. */
export interface FramesRGBA {
  width: number;
  height: number;
  frames: number;
  data: Uint8ClampedArray;
}

export interface StageTimings {
  textEncoderMs: number;
  denoiseMs: number;
  /** Mean ms of one denoiser call (all guidance passes, batched). */
  stepMs: number;
  /** Preview decoder, summed over all steps (not part of denoiseMs). Always set by VidletEngine. */
  previewMs?: number;
  /** Final VAE decode (video, and motion when decodeMotion). */
  decodeMs: number;
  totalMs: number;
}

export interface GenerateResult {
  request: GenerateRequest & AdapterSettings;
  model: string;
  variant: Variant;
  backend: Backend;
  /**
   * ModelInfo.backend as it is now, when it changed after the load: a text encoder in parts that
   * WebGPU failed at its first run moved to WebAssembly (src/engine/parts-fallback.ts), which its
   * `description` and `reason` say as the load's own fall-back would. Absent: as the load said.
   */
  modelBackend?: BackendInfo;
  fps: number;
  video: FramesRGBA;
  motion?: FramesRGBA;
  timings: StageTimings;
  /** Guidance passes per denoiser call (1 plain, 2 CFG, 3 CFG + Inner-Guidance, one more with contrast guidance). Always set by VidletEngine. */
  batch?: number;
  /** Those passes, in batch order (guidance.ts). Always set by VidletEngine. */
  passes?: PassKind[];
  /** Denoiser calls made (steps, or 2·steps − 1 for Heun). Always set by VidletEngine. */
  denoiserCalls?: number;
  /**
   * sha256 of the .safetensors of each adapter the run used, by name (`{}` with none): a shipped
   * adapter's from the manifest, an added one's hashed when it was added. With the request it pins
   * the clip, so a vote can make it again (src/votes/vote-record.ts). Always set by VidletEngine.
   */
  adapterHashes?: Record<string, string>;
  /** Words of the prompt the model never saw in training (shown to the user, not dropped). */
  unknownWords: string[];
  /**
   * Set when the request had `scenes`: how many were asked and how many the model was conditioned
   * on (1 for a package that takes one caption), with a note for the user when they differ.
   */
  scenes?: { asked: number; conditioned: number; note?: string };
  /** The preset the clip was made at (the request's, or the default), on a package with presets. */
  preset?: string;
}

/** A colour name of the prompt that the package's colour lexicon read as a world colour. */
export interface ColourReading {
  /** The name as the prompt wrote it ("Jet-Black"). */
  written: string;
  /** The world colour word the text encoder reads instead ("black"). */
  colour: string;
}

/** The prompt as the text encoder reads it: after the colour lexicon (src/engine/prompt-lexicon.ts). */
export interface PromptAnalysis {
  tokens: string[];
  /** Words outside the training vocabulary / tokenizer's [UNK] words; a colour name read as a colour is not one. */
  unknownWords: string[];
  truncated: boolean;
  /** Colour names read as world colours, in prompt order (empty when the package has no lexicon). */
  colourNames: ColourReading[];
  /**
   * The text Shape emphasis (contrast guidance) would contrast the prompt with, its object nouns
   * made neutral; null when the prompt names none of the package's nouns or the package has none:
   * then Shape emphasis does nothing.
   */
  contrastReading: string | null;
}

export interface GenerateCallbacks {
  onStep?(preview: StepPreview): void;
  /**
   * Finished video frames as the VAE decodes them, `firstFrame` the index of the first: a package
   * with a frame-by-frame decoder reports each group as it comes, others the whole clip once.
   * Each call's frames are new and not kept by the engine: the receiver may keep them (the worker
   * hands them to the page without a copy).
   */
  onFrames?(p: { firstFrame: number; frames: FramesRGBA }): void;
}

export interface Engine {
  loadModel(source: ModelSource, options?: LoadOptions, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  analyzePrompt(prompt: string): Promise<PromptAnalysis>;
  /**
   * Encodes ahead the text a generation of this request would encode (a hint: returns without work
   * while a job runs), so that its Generate starts at the denoiser; the clip is unchanged.
   */
  prepareText?(request: Pick<GenerateRequest, 'prompt' | 'negativePrompt' | 'guidance' | 'innerGuidance' | 'contrast' | 'scenes'>): Promise<void>;
  /**
   * Adds a LoRA adapter (.safetensors bytes + parsed description JSON, or undefined for a file that
   * came without one: then it is named after `source`) that requests can then name.
   */
  addAdapter?(weights: Uint8Array, description: unknown, source?: string): Promise<AdapterInfo>;
  generate(request: GenerateRequest & AdapterSettings, callbacks?: GenerateCallbacks): Promise<GenerateResult>;
  /**
   * Scores finished takes of one prompt with the package's reward model (its session loads on the
   * first call), in the takes' order; takes of another size are resampled to ModelInfo.reward.video.
   * NoRewardModelError when the package has none.
   */
  scoreTakes?(takes: FramesRGBA[], prompt: string): Promise<TakeScore[]>;
  /** N takes from seeds request.seed, +1, …, scored and ranked (NoRewardModelError before any take without a reward model). */
  generateBestOf?(request: GenerateRequest & AdapterSettings, options: BestOfOptions, callbacks?: BestOfCallbacks): Promise<BestOfResult>;
  /**
   * Cooperative: the running generation stops within one step with a CancelledError. During
   * loadModel it stops the download (CancelledError saying how much stays stored; the next load
   * resumes from there); a load whose files are all read finishes anyway.
   */
  cancel(): Promise<void>;
  unload(): Promise<void>;
}
