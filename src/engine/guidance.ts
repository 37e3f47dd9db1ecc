/**
 * Guidance arithmetic and the batch layout that makes every guidance mode ONE denoiser call
 * per step (DESIGN.md §2, §3).
 *
 * Conventions. `guidance` is the diffusers-style CFG scale w: v = v(∅) + w·(v(y) − v(∅)), so
 * w = 1 is no text guidance. VideoJAM Inner-Guidance is written in the paper as
 *   ũ = (1 + w1 + w2)·u(x,d,y) − w1·u(x,d,∅) − w2·u(x,∅,y)
 * which equals u_y + w1·(u_y − u_∅) + w2·(u_y − u_noMotion). For both formulas to agree when
 * w2 = 0, the pipeline uses w1 = guidance − 1 (CFG's extrapolation weight). This is the package
 * contract (docs/model-package.md): `planGuidance` below is the engine's one place that derives
 * w1, and `combineGuidance` handles every mode through those weights. The training side's mirror
 * (same passes, same formulas) is training/vidlet_train/guidance.py.
 *
 * Contrast guidance (`contrast`, w3; 0 = off) adds a fourth pass that reads the prompt's contrast
 * reading (prompt-contrast.ts: its object nouns replaced by a neutral noun), and
 *   ũ += w3·(u(x,d,y) − u(x,d,y_contrast))
 * after whichever combination above applies. The caller plans it only for a prompt that has a
 * reading (pipeline.ts planRequest).
 */

/** Which passes one denoiser call holds, in batch order. */
export type PassKind = 'cond' | 'uncond' | 'motionDropped' | 'contrast';

export interface GuidancePlan {
  passes: PassKind[];
  /** CFG extrapolation weight (guidance − 1); 0 when there is no uncond pass. */
  w1: number;
  /** Inner-Guidance weight; 0 when there is no motion-dropped pass. */
  w2: number;
  /** Contrast guidance weight; 0 when there is no contrast pass. */
  w3: number;
}

/**
 * The batch for one step: cond always; uncond (negative prompt or "") when guidance ≠ 1;
 * motion-dropped (same text, motion_flag 0) when innerGuidance ≠ 0 and the model has motion;
 * contrast (the prompt's contrast reading, motion_flag 1) last, when contrast ≠ 0.
 */
export function planGuidance(guidance: number, innerGuidance: number, hasMotion: boolean, contrast = 0): GuidancePlan {
  const passes: PassKind[] = ['cond'];
  const w1 = guidance - 1;
  const w2 = hasMotion ? innerGuidance : 0;
  const w3 = contrast;
  if (w1 !== 0) passes.push('uncond');
  if (w2 !== 0) passes.push('motionDropped');
  if (w3 !== 0) passes.push('contrast');
  return { passes, w1, w2, w3 };
}

/** Classifier-free guidance: v(∅) + w·(v(y) − v(∅)). */
export function cfg(cond: Float32Array, uncond: Float32Array, w: number): Float32Array {
  checkSameLength(cond, uncond);
  const out = new Float32Array(cond.length);
  for (let i = 0; i < out.length; i++) out[i] = uncond[i]! + w * (cond[i]! - uncond[i]!);
  return out;
}

/** VideoJAM Inner-Guidance: (1 + w1 + w2)·u(x,d,y) − w1·u(x,d,∅) − w2·u(x,∅,y). */
export function innerGuidance(
  cond: Float32Array,
  uncond: Float32Array,
  motionDropped: Float32Array,
  w1: number,
  w2: number,
): Float32Array {
  checkSameLength(cond, uncond);
  checkSameLength(cond, motionDropped);
  const out = new Float32Array(cond.length);
  const a = 1 + w1 + w2;
  for (let i = 0; i < out.length; i++) out[i] = a * cond[i]! - w1 * uncond[i]! - w2 * motionDropped[i]!;
  return out;
}

/** Contrast guidance, in place on `guided`: guided + w3·(u(y) − u(y_contrast)). */
export function addContrast(guided: Float32Array, cond: Float32Array, contrast: Float32Array, w3: number): Float32Array {
  checkSameLength(guided, cond);
  checkSameLength(cond, contrast);
  for (let i = 0; i < guided.length; i++) guided[i] = guided[i]! + w3 * (cond[i]! - contrast[i]!);
  return guided;
}

/**
 * Combines the batched output [B, ...] (B = plan.passes.length, one sample per pass) into the
 * guided velocity of one sample: u_y + w1·(u_y − u_∅) + w2·(u_y − u_noMotion) + w3·(u_y − u_contrast).
 */
export function combineGuidance(batched: Float32Array, plan: GuidancePlan): Float32Array {
  const B = plan.passes.length;
  if (batched.length % B !== 0) throw new RangeError(`output of ${batched.length} values does not split into ${B} passes`);
  const n = batched.length / B;
  const part = (kind: PassKind) => batched.subarray(plan.passes.indexOf(kind) * n, (plan.passes.indexOf(kind) + 1) * n);
  const cond = part('cond');
  const guided = textAndMotion(cond, part, plan);
  return plan.passes.includes('contrast') ? addContrast(guided, cond, part('contrast'), plan.w3) : guided;
}

/** The CFG / Inner-Guidance part of combineGuidance, as a new array. */
function textAndMotion(cond: Float32Array, part: (kind: PassKind) => Float32Array, plan: GuidancePlan): Float32Array {
  const hasU = plan.passes.includes('uncond');
  const hasM = plan.passes.includes('motionDropped');
  if (hasU && hasM) return innerGuidance(cond, part('uncond'), part('motionDropped'), plan.w1, plan.w2);
  if (hasU) return cfg(cond, part('uncond'), 1 + plan.w1);
  // Inner-Guidance without text guidance (guidance = 1): u_y + w2·(u_y − u_noMotion).
  if (hasM) return cfg(cond, part('motionDropped'), 1 + plan.w2);
  return cond.slice();
}

function checkSameLength(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new RangeError(`guidance inputs differ in length (${a.length} vs ${b.length})`);
}
