/**
 * Guidance arithmetic and the batch layout that makes every guidance mode ONE denoiser call
 * per step (DESIGN.md §2, §3).
 *
 * The formulas are the model-package contract's, with `guidance` = w1 in both (as
 * training/vidlet_train/evaluate.py, which scores the trained model, computes them):
 *  - CFG (innerGuidance 0):      v = v(∅) + w1·(v(y) − v(∅))          B = 2 [cond, uncond]
 *  - guidance 1, innerGuidance 0: v = v(y)                              B = 1 [cond]
 *  - Inner-Guidance (w2 > 0, model has motion):
 *      ũ = (1 + w1 + w2)·u(x,d,y) − w1·u(x,d,∅) − w2·u(x,∅,y)          B = 3 [cond, uncond, motion-dropped]
 * Note the paper's Inner-Guidance form extrapolates text by w1 where CFG's form extrapolates by
 * w1 − 1, so turning w2 from 0 to a small value adds one unit of text guidance; this is the
 * published formula and the one the model is evaluated with, so the engine keeps it verbatim.
 * Both velocities (video and motion) are combined the same way.
 */

/** Which passes one denoiser call holds, in batch order. */
export type PassKind = 'cond' | 'uncond' | 'motionDropped';

export type GuidanceMode = 'none' | 'cfg' | 'inner';

export interface GuidancePlan {
  mode: GuidanceMode;
  passes: PassKind[];
  /** Text guidance weight w1 (= the request's guidance). */
  w1: number;
  /** Inner-Guidance weight w2; 0 unless mode is 'inner'. */
  w2: number;
}

/**
 * The batch for one step: Inner-Guidance when innerGuidance > 0 and the model has a motion
 * input (B = 3), else CFG when guidance ≠ 1 (B = 2), else the conditional pass alone (B = 1).
 * The unconditional text is the negative prompt or "".
 */
export function planGuidance(guidance: number, innerGuidance: number, hasMotion: boolean): GuidancePlan {
  if (hasMotion && innerGuidance !== 0) return { mode: 'inner', passes: ['cond', 'uncond', 'motionDropped'], w1: guidance, w2: innerGuidance };
  if (guidance !== 1) return { mode: 'cfg', passes: ['cond', 'uncond'], w1: guidance, w2: 0 };
  return { mode: 'none', passes: ['cond'], w1: guidance, w2: 0 };
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

/**
 * Combines the batched output [B, ...] (B = plan.passes.length, one sample per pass, in plan
 * order) into the guided velocity of one sample.
 */
export function combineGuidance(batched: Float32Array, plan: GuidancePlan): Float32Array {
  const B = plan.passes.length;
  if (batched.length % B !== 0) throw new RangeError(`output of ${batched.length} values does not split into ${B} passes`);
  const n = batched.length / B;
  const part = (kind: PassKind) => {
    const i = plan.passes.indexOf(kind);
    return batched.subarray(i * n, (i + 1) * n);
  };
  switch (plan.mode) {
    case 'none':
      return part('cond').slice();
    case 'cfg':
      return cfg(part('cond'), part('uncond'), plan.w1);
    case 'inner':
      return innerGuidance(part('cond'), part('uncond'), part('motionDropped'), plan.w1, plan.w2);
  }
}

/** Repeats one sample B times along a new leading batch axis. */
export function repeatBatch(sample: Float32Array, B: number): Float32Array {
  const out = new Float32Array(sample.length * B);
  for (let b = 0; b < B; b++) out.set(sample, b * sample.length);
  return out;
}

function checkSameLength(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new RangeError(`guidance inputs differ in length (${a.length} vs ${b.length})`);
}
