/**
 * The generation loop, composed from parts (diffusers style) and independent of onnxruntime:
 * `PipelineComponents` is implemented over ORT sessions in engine.ts and by fakes in unit tests.
 *
 * State: the video latent and (for a joint appearance–motion model, VideoJAM) the motion latent
 * are one vector per sample, [latent ; motion], so every scheduler (including Heun's predictor/
 * corrector and Euler-ancestral's re-noising) treats them as the one joint ODE they are.
 * Each denoiser call holds all guidance passes as one batch (guidance.ts).
 */
import { CancelledError } from './errors';
import { combineGuidance, planGuidance, type GuidancePlan, type PassKind } from './guidance';
import { assertFinite } from './health';
import type { LoraSlots } from './lora-slots';
import { gaussianNoise, NoiseStream } from './noise';
import { videoToFrames } from './preview';
import { textFrameMask } from './scene-input';
import { createScheduler, samplingSigmas, type SigmaSpacing } from './schedulers';
import type { FramesRGBA, GenerateRequest, StageTimings, StepPreview } from './types';

export interface DenoiserBatch {
  B: number;
  /** [B, c, t, h, w] */
  latent: Float32Array;
  /** [B, c_m, t, h, w], null for a model without motion input */
  motion: Float32Array | null;
  /** [B], t in [0, 1] */
  timestep: Float32Array;
  /** [B, L', H]: L' = L, or (1 + S)·L for a per-scene request (scene-input.ts) */
  text: Float32Array;
  /** [B, L'], 1 = token, 0 = pad */
  textMask: Float32Array;
  /** [B, t, L'] for a per-scene package (docs/model-package.md "Scenes"); absent otherwise */
  textFrameMask?: Float32Array;
  /** [B], 1 = motion present, 0 = dropped */
  motionFlag: Float32Array;
  /** [B, S, D] */
  loraScales: Float32Array;
}

export interface DecodedVideo {
  data: Float32Array;
  dims: number[];
}

export interface PipelineComponents {
  /** hidden [n, L, H] and mask [n, L] (float) for n texts, in one text-encoder call. */
  encodeText(texts: string[]): Promise<{ hidden: Float32Array; mask: Float32Array }>;
  denoise(batch: DenoiserBatch): Promise<{ vLatent: Float32Array; vMotion: Float32Array | null }>;
  decodePreview(latent: Float32Array): Promise<DecodedVideo>;
  /**
   * The whole video; `onChunk` gets groups of frames [1, 3, Tc, H, W] as a frame-by-frame decoder
   * makes them (src/engine/vae-decode.ts), the whole clip at once otherwise.
   */
  decodeVideo(latent: Float32Array, onChunk?: (firstFrame: number, chunk: DecodedVideo) => void): Promise<DecodedVideo>;
}

export interface PipelineConfig {
  /** [c, t, h, w] of one video latent. */
  latentDims: [number, number, number, number];
  /** Motion latent channels, or null when the denoiser has no motion input. */
  motionChannels: number | null;
  maxLength: number;
  hiddenSize: number;
  scheduleShift: number;
  /** The manifest's schedule.spacing. */
  scheduleSpacing: SigmaSpacing;
  /** The manifest's schedule.shiftTerminal (the computed grid's stretch), when it has one. */
  scheduleShiftTerminal?: number;
  /** The manifest's schedule.sigmas, a distilled model's fixed list (shift and spacing then do not apply). */
  scheduleSigmas?: readonly number[];
  lora: LoraSlots;
  /**
   * A 'per-scene' package's text layout for this request (scene-request.ts planSceneRun): latent
   * frames per scene and the scenes' texts after the global caption (the prompt); null or absent:
   * the prompt alone, no text_frame_mask.
   */
  perScene?: { sceneLatents: number[]; texts: string[]; globalCaption: boolean } | null;
  /**
   * The prompt's contrast reading (prompt-contrast.ts, on the prompt as the text encoder reads it),
   * which the contrast pass is conditioned on; null or absent: no contrast pass. The engine gives
   * none for a scene plan (VidletEngine's contrastReading).
   */
  contrastReading?: string | null;
}

export interface PipelineHooks {
  onStep?(p: StepPreview): void;
  /** Polled before and after every denoiser call. */
  isCancelled?(): boolean;
  /**
   * Awaited before every denoiser call, so that messages queued meanwhile (a Cancel) are handled
   * before the next step starts: ONNX Runtime's run() need not yield to the event loop at all.
   */
  yieldToEvents?(): Promise<void>;
  /** Decoded video frames as the VAE makes them (several groups with a frame-by-frame decoder), before the clip is done. */
  onFrames?(p: { firstFrame: number; frames: FramesRGBA }): void;
  /** Expected ms of the final decode (from an earlier run), for the ETA. */
  decodeEstimateMs?: number;
  now?(): number;
}

export interface PipelineOutput {
  video: FramesRGBA;
  motion?: FramesRGBA;
  timings: StageTimings;
  /** Passes per denoiser call (passes.length). */
  batch: number;
  passes: PassKind[];
  calls: number;
}

/** Sizes of one sample's state: the video latent, the motion latent (0 without one), both. */
interface StateSizes {
  nLatent: number;
  nMotion: number;
}

export async function runPipeline(
  cfg: PipelineConfig,
  parts: PipelineComponents,
  request: GenerateRequest,
  hooks: PipelineHooks = {},
): Promise<PipelineOutput> {
  const now = hooks.now ?? (() => performance.now());
  const checkCancel = () => {
    if (hooks.isCancelled?.()) throw new CancelledError('Generation cancelled.', { seed: request.seed });
  };
  const t0 = now();
  const [c, T, h, w] = cfg.latentDims;
  const sizes: StateSizes = { nLatent: c * T * h * w, nMotion: cfg.motionChannels ? cfg.motionChannels * T * h * w : 0 };
  const reading = cfg.contrastReading ?? null;
  const plan = planRequest(request, cfg.motionChannels !== null, reading);

  checkCancel();
  const conditioning = cfg.perScene
    ? await encodeSceneConditioning(parts, plan, request, cfg.perScene, reading, cfg.maxLength, cfg.hiddenSize)
    : await encodeConditioning(parts, plan, request, reading, cfg.maxLength, cfg.hiddenSize);
  const tText = now();

  const scheduler = createScheduler(request.sampler, request.seed);
  const grid = {
    shift: cfg.scheduleShift,
    spacing: cfg.scheduleSpacing,
    ...(cfg.scheduleShiftTerminal === undefined ? {} : { shiftTerminal: cfg.scheduleShiftTerminal }),
    ...(cfg.scheduleSigmas ? { sigmas: cfg.scheduleSigmas } : {}),
  };
  scheduler.setSigmas(samplingSigmas(grid, request.steps));
  const loop = await denoise(cfg, parts, request, hooks, { plan, conditioning, sizes, scheduler, t0, now, checkCancel });
  checkCancel();

  const tDec = now();
  const { video, motion } = await decodeOutputs(cfg, parts, request, loop.x, sizes, hooks.onFrames);
  const decodeMs = now() - tDec;
  return {
    video,
    motion,
    batch: plan.passes.length,
    passes: plan.passes.slice(),
    calls: scheduler.calls.length,
    timings: {
      textEncoderMs: tText - t0,
      denoiseMs: loop.denoiseMs,
      stepMs: loop.callMs / scheduler.calls.length,
      previewMs: loop.previewMs,
      decodeMs,
      totalMs: now() - t0,
    },
  };
}

/** The text inputs of every guidance pass, batched as the denoiser takes them: [B, L', H], [B, L'], [B] (and [B, t, L']). */
interface Conditioning {
  text: Float32Array;
  textMask: Float32Array;
  motionFlag: Float32Array;
  textFrameMask?: Float32Array;
}

/**
 * The guidance plan of a request whose prompt has `contrastReading` (null: none). A prompt without
 * a reading gets no contrast pass: it would contrast the prompt with itself, w3·0, at a pass's cost.
 * The engine plans the same way ahead of a request (VidletEngine.prepareText).
 */
export function planRequest(
  request: Pick<GenerateRequest, 'guidance' | 'innerGuidance' | 'contrast'>, hasMotion: boolean, contrastReading: string | null,
): GuidancePlan {
  return planGuidance(request.guidance, request.innerGuidance, hasMotion, contrastReading === null ? 0 : request.contrast ?? 0);
}

/**
 * The texts of a one-scene request's text-encoder call: the prompt, the negative prompt (or "")
 * only when an unconditional pass exists, and last the contrast reading only when a contrast pass
 * does. The engine encodes the same batch ahead of a request (VidletEngine.prepareText), so that
 * the batch must be spelled here once.
 */
export function conditioningTexts(plan: GuidancePlan, request: Pick<GenerateRequest, 'prompt' | 'negativePrompt'>, contrastReading: string | null): string[] {
  const texts = [request.prompt];
  if (plan.passes.includes('uncond')) texts.push(request.negativePrompt ?? '');
  if (plan.passes.includes('contrast')) texts.push(readingFor(plan, contrastReading));
  return texts;
}

/** The reading a plan with a contrast pass needs (planRequest plans one only with a reading). */
function readingFor(plan: GuidancePlan, contrastReading: string | null): string {
  if (contrastReading === null) throw new RangeError(`a contrast pass (w3 = ${plan.w3}) needs the prompt's contrast reading`);
  return contrastReading;
}

/**
 * Encodes the prompt, the negative prompt (or "") only when an unconditional pass exists and the
 * contrast reading only when a contrast pass does, in one text-encoder call, and lays the
 * encodings out per pass. The motion-dropped pass keeps the prompt's text: it differs from the
 * conditional pass only in its motion flag; the contrast pass differs from it only in its text.
 */
async function encodeConditioning(
  parts: PipelineComponents, plan: GuidancePlan, request: GenerateRequest, contrastReading: string | null, L: number, H: number,
): Promise<Conditioning> {
  const texts = conditioningTexts(plan, request, contrastReading);
  const encoded = await parts.encodeText(texts);
  assertFinite(encoded.hidden, 'text encoder');
  const B = plan.passes.length;
  const out: Conditioning = { text: new Float32Array(B * L * H), textMask: new Float32Array(B * L), motionFlag: new Float32Array(B) };
  plan.passes.forEach((kind, b) => {
    // the reading is the batch's last text (conditioningTexts)
    const src = kind === 'uncond' ? 1 : kind === 'contrast' ? texts.length - 1 : 0;
    out.text.set(encoded.hidden.subarray(src * L * H, (src + 1) * L * H), b * L * H);
    out.textMask.set(encoded.mask.subarray(src * L, (src + 1) * L), b * L);
    out.motionFlag[b] = kind === 'motionDropped' ? 0 : 1;
  });
  return out;
}

/**
 * encodeConditioning for a 'per-scene' package (training/vidlet_train/scenes.py is the rule): one
 * text-encoder call for the prompt (the global caption), each scene's text and, with an
 * unconditional pass, the negative prompt. Conditional passes get [prompt, scene 1, …, scene S];
 * the unconditional pass the negative prompt in every segment (scenes.py unconditional_text, as
 * training's caption dropout does); every pass the same text_frame_mask. A contrast pass, which
 * only a one-scene request on such a package has (the prompt alone, its mask all ones), gets the
 * contrast reading in the prompt's place, encoded last.
 */
async function encodeSceneConditioning(
  parts: PipelineComponents, plan: GuidancePlan, request: GenerateRequest,
  layout: { sceneLatents: number[]; texts: string[]; globalCaption: boolean }, contrastReading: string | null, L: number, H: number,
): Promise<Conditioning> {
  const uncond = plan.passes.includes('uncond');
  const contrast = plan.passes.includes('contrast');
  const cond = [request.prompt, ...layout.texts];
  const texts = [...cond, ...(uncond ? [request.negativePrompt ?? ''] : []), ...(contrast ? [readingFor(plan, contrastReading)] : [])];
  const encoded = await parts.encodeText(texts);
  assertFinite(encoded.hidden, 'text encoder');
  const segments = cond.length;
  const width = segments * L;
  const frameMask = textFrameMask(layout.sceneLatents, L, layout.globalCaption);
  if (frameMask.dims[1] !== width) throw new RangeError(`text_frame_mask is ${frameMask.dims[1]} tokens wide, the text ${width}`);
  const B = plan.passes.length;
  const out: Conditioning = {
    text: new Float32Array(B * width * H), textMask: new Float32Array(B * width), motionFlag: new Float32Array(B),
    textFrameMask: new Float32Array(B * frameMask.data.length),
  };
  plan.passes.forEach((kind, b) => {
    for (let seg = 0; seg < segments; seg++) {
      // the negative prompt is encoded after the scenes, the reading (in the prompt's segment) last
      const src = kind === 'uncond' ? segments : kind === 'contrast' && seg === 0 ? texts.length - 1 : seg;
      out.text.set(encoded.hidden.subarray(src * L * H, (src + 1) * L * H), (b * segments + seg) * L * H);
      out.textMask.set(encoded.mask.subarray(src * L, (src + 1) * L), (b * segments + seg) * L);
    }
    out.motionFlag[b] = kind === 'motionDropped' ? 0 : 1;
    out.textFrameMask!.set(frameMask.data, b * frameMask.data.length);
  });
  return out;
}

/**
 * The joint state [latent ; motion] at t = 1: separate seeded streams, so the same seed gives the
 * same bits anywhere. Pure noise even when a package's sigma list starts below 1, as diffusers'
 * flow-matching pipelines start (init_noise_sigma = 1) whatever their first sigma.
 */
function initialNoise(seed: number, { nLatent, nMotion }: StateSizes): Float32Array {
  const x = new Float32Array(nLatent + nMotion);
  x.set(gaussianNoise(seed, NoiseStream.video, nLatent), 0);
  if (nMotion > 0) x.set(gaussianNoise(seed, NoiseStream.motion, nMotion), nLatent);
  return x;
}

interface LoopContext {
  plan: GuidancePlan;
  conditioning: Conditioning;
  sizes: StateSizes;
  scheduler: ReturnType<typeof createScheduler>;
  /** Start of the whole generation, for elapsed and ETA. */
  t0: number;
  now: () => number;
  checkCancel: () => void;
}

/** The sampling loop: one batched denoiser call per scheduler call, a preview at the end of every step. */
async function denoise(
  cfg: PipelineConfig,
  parts: PipelineComponents,
  request: GenerateRequest,
  hooks: PipelineHooks,
  { plan, conditioning, sizes, scheduler, t0, now, checkCancel }: LoopContext,
): Promise<{ x: Float32Array; denoiseMs: number; callMs: number; previewMs: number }> {
  const { nLatent, nMotion } = sizes;
  const B = plan.passes.length;
  let x = initialNoise(request.seed, sizes);
  const latentBatch = new Float32Array(B * nLatent);
  const motionBatch = nMotion > 0 ? new Float32Array(B * nMotion) : null;
  const timestep = new Float32Array(B);
  let callMs = 0;
  let previewMs = 0;
  let stepsDone = 0;
  const tLoop = now();

  for (const call of scheduler.calls) {
    await hooks.yieldToEvents?.();
    checkCancel();
    const tc = now();
    for (let b = 0; b < B; b++) {
      latentBatch.set(x.subarray(0, nLatent), b * nLatent);
      if (motionBatch) motionBatch.set(x.subarray(nLatent), b * nMotion);
    }
    timestep.fill(call.t);
    const out = await parts.denoise({
      B, latent: latentBatch, motion: motionBatch, timestep, text: conditioning.text, textMask: conditioning.textMask,
      motionFlag: conditioning.motionFlag,
      ...(conditioning.textFrameMask ? { textFrameMask: conditioning.textFrameMask } : {}),
      loraScales: cfg.lora.scalesTensor(B, { stepIndex: call.stepIndex, t: call.t, steps: request.steps }),
    });
    callMs += now() - tc;
    const where = { step: call.stepIndex + 1, steps: request.steps };
    assertFinite(out.vLatent, 'denoiser', where);
    if (out.vMotion) assertFinite(out.vMotion, 'denoiser (motion)', where);
    const v = guidedVelocity(out.vLatent, out.vMotion, plan, nLatent, nMotion);
    const xIn = x;
    x = scheduler.step(v, call.t, call.tNext, x);
    checkCancel();
    // Heun's predictor call does not end a step: the preview waits for its corrector.
    if (!call.endsStep) continue;

    stepsDone++;
    const tp = now();
    const pv = await parts.decodePreview(cleanEstimate(xIn, v, call.t, nLatent));
    previewMs += now() - tp;
    const elapsedMs = now() - t0;
    const perStep = (now() - tLoop) / stepsDone;
    hooks.onStep?.({
      step: stepsDone,
      steps: request.steps,
      t: call.tNext,
      elapsedMs,
      etaMs: perStep * (request.steps - stepsDone) + (hooks.decodeEstimateMs ?? 0),
      preview: videoToFrames(pv.data, pv.dims),
    });
  }
  return { x, denoiseMs: now() - tLoop - previewMs, callMs, previewMs };
}

/** The clean-clip estimate x̂₀ = x_t − t·v of the video part (flow matching), which the preview shows. */
function cleanEstimate(x: Float32Array, v: Float32Array, t: number, nLatent: number): Float32Array {
  const x0 = new Float32Array(nLatent);
  for (let i = 0; i < nLatent; i++) x0[i] = x[i]! - t * v[i]!;
  return x0;
}

/** Decodes the final video latent, and the motion latent when asked. */
async function decodeOutputs(
  cfg: PipelineConfig,
  parts: PipelineComponents,
  request: GenerateRequest,
  x: Float32Array,
  { nLatent, nMotion }: StateSizes,
  onFrames?: PipelineHooks['onFrames'],
): Promise<{ video: FramesRGBA; motion?: FramesRGBA }> {
  const decoded = await parts.decodeVideo(
    x.subarray(0, nLatent),
    onFrames && ((firstFrame, chunk) => onFrames({ firstFrame, frames: videoToFrames(chunk.data, chunk.dims) })),
  );
  assertFinite(decoded.data, 'VAE decoder');
  const video = videoToFrames(decoded.data, decoded.dims);
  if (!request.decodeMotion || nMotion === 0) return { video };
  // The motion latent lives in the same VAE space (VideoJAM encodes the flow video with the same VAE).
  const c = cfg.latentDims[0];
  if (cfg.motionChannels !== c) throw new RangeError(`motion latent has ${cfg.motionChannels} channels, the VAE decodes ${c}`);
  const m = await parts.decodeVideo(x.slice(nLatent));
  return { video, motion: videoToFrames(m.data, m.dims) };
}

/** Guided joint velocity [v_latent ; v_motion] of one sample from the batched outputs. */
function guidedVelocity(
  vLatent: Float32Array,
  vMotion: Float32Array | null,
  plan: GuidancePlan,
  nLatent: number,
  nMotion: number,
): Float32Array {
  const B = plan.passes.length;
  if (vLatent.length !== B * nLatent) throw new RangeError(`denoiser returned ${vLatent.length} latent values, expected ${B}×${nLatent}`);
  if (nMotion === 0) return combineGuidance(vLatent, plan);
  if (!vMotion || vMotion.length !== B * nMotion) throw new RangeError(`denoiser returned ${vMotion?.length ?? 0} motion values, expected ${B}×${nMotion}`);
  const n = nLatent + nMotion;
  const joint = new Float32Array(B * n);
  for (let b = 0; b < B; b++) {
    joint.set(vLatent.subarray(b * nLatent, (b + 1) * nLatent), b * n);
    joint.set(vMotion.subarray(b * nMotion, (b + 1) * nMotion), b * n + nLatent);
  }
  return combineGuidance(joint, plan);
}
