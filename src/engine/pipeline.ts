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
import { combineGuidance, planGuidance, type GuidancePlan } from './guidance';
import { assertFinite } from './health';
import type { LoraSlots } from './lora-slots';
import { gaussianNoise, NoiseStream } from './noise';
import { videoToFrames } from './preview';
import { createScheduler } from './schedulers';
import type { FramesRGBA, GenerateRequest, StageTimings, StepPreview } from './types';

export interface DenoiserBatch {
  B: number;
  /** [B, c, t, h, w] */
  latent: Float32Array;
  /** [B, c_m, t, h, w], null for a model without motion input */
  motion: Float32Array | null;
  /** [B], t in [0, 1] */
  timestep: Float32Array;
  /** [B, L, H] */
  text: Float32Array;
  /** [B, L], 1 = token, 0 = pad */
  textMask: Float32Array;
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
  decodeVideo(latent: Float32Array): Promise<DecodedVideo>;
}

export interface PipelineConfig {
  /** [c, t, h, w] of one video latent. */
  latentDims: [number, number, number, number];
  /** Motion latent channels, or null when the denoiser has no motion input. */
  motionChannels: number | null;
  maxLength: number;
  hiddenSize: number;
  scheduleShift: number;
  lora: LoraSlots;
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
  /** Expected ms of the final decode (from an earlier run), for the ETA. */
  decodeEstimateMs?: number;
  now?(): number;
}

export interface PipelineOutput {
  video: FramesRGBA;
  motion?: FramesRGBA;
  timings: StageTimings;
  batch: number;
  calls: number;
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
  const nLatent = c * T * h * w;
  const nMotion = cfg.motionChannels ? cfg.motionChannels * T * h * w : 0;
  const n = nLatent + nMotion;
  const plan = planGuidance(request.guidance, request.innerGuidance, cfg.motionChannels !== null);
  const B = plan.passes.length;
  const L = cfg.maxLength;
  const H = cfg.hiddenSize;

  // Text: the prompt, and the negative prompt (or "") only when an unconditional pass exists.
  checkCancel();
  const needsUncond = plan.passes.includes('uncond');
  const texts = needsUncond ? [request.prompt, request.negativePrompt ?? ''] : [request.prompt];
  const text = await parts.encodeText(texts);
  assertFinite(text.hidden, 'text encoder');
  const tText = now();
  const textBatch = new Float32Array(B * L * H);
  const maskBatch = new Float32Array(B * L);
  const motionFlag = new Float32Array(B);
  plan.passes.forEach((kind, b) => {
    const src = kind === 'uncond' ? 1 : 0; // motion-dropped keeps the prompt's text
    textBatch.set(text.hidden.subarray(src * L * H, (src + 1) * L * H), b * L * H);
    maskBatch.set(text.mask.subarray(src * L, (src + 1) * L), b * L);
    motionFlag[b] = kind === 'motionDropped' ? 0 : 1;
  });

  // Initial noise: separate seeded streams for video and motion (same seed → same bits anywhere).
  let x: Float32Array = new Float32Array(n);
  x.set(gaussianNoise(request.seed, NoiseStream.video, nLatent), 0);
  if (nMotion > 0) x.set(gaussianNoise(request.seed, NoiseStream.motion, nMotion), nLatent);

  const scheduler = createScheduler(request.sampler, request.seed);
  scheduler.setTimesteps(request.steps, cfg.scheduleShift);
  const latentBatch = new Float32Array(B * nLatent);
  const motionBatch = nMotion > 0 ? new Float32Array(B * nMotion) : null;
  const timestep = new Float32Array(B);
  let denoiseMs = 0;
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
      B, latent: latentBatch, motion: motionBatch, timestep, text: textBatch, textMask: maskBatch, motionFlag,
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
    if (!call.endsStep) continue;

    stepsDone++;
    // Preview of the clean-clip estimate x̂₀ = x_t − t·v (video part only).
    const tp = now();
    const x0 = new Float32Array(nLatent);
    for (let i = 0; i < nLatent; i++) x0[i] = xIn[i]! - call.t * v[i]!;
    const pv = await parts.decodePreview(x0);
    previewMs += now() - tp;
    const elapsed = now() - t0;
    const perStep = (now() - tLoop) / stepsDone;
    hooks.onStep?.({
      step: stepsDone,
      steps: request.steps,
      t: call.tNext,
      elapsedMs: elapsed,
      etaMs: perStep * (request.steps - stepsDone) + (hooks.decodeEstimateMs ?? 0),
      preview: videoToFrames(pv.data, pv.dims),
    });
  }
  denoiseMs = now() - tLoop - previewMs;
  checkCancel();

  const tDec = now();
  const decoded = await parts.decodeVideo(x.subarray(0, nLatent));
  assertFinite(decoded.data, 'VAE decoder');
  const video = videoToFrames(decoded.data, decoded.dims);
  let motion: FramesRGBA | undefined;
  if (request.decodeMotion && nMotion > 0) {
    // The motion latent lives in the same VAE space (VideoJAM encodes the flow video with the same VAE).
    if (cfg.motionChannels !== c) throw new RangeError(`motion latent has ${cfg.motionChannels} channels, the VAE decodes ${c}`);
    const m = await parts.decodeVideo(x.slice(nLatent));
    motion = videoToFrames(m.data, m.dims);
  }
  const decodeMs = now() - tDec;
  return {
    video,
    motion,
    batch: B,
    calls: scheduler.calls.length,
    timings: {
      textEncoderMs: tText - t0,
      denoiseMs,
      stepMs: callMs / scheduler.calls.length,
      previewMs,
      decodeMs,
      totalMs: now() - t0,
    },
  };
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
