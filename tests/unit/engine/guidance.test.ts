import { describe, expect, it } from 'vitest';
import { addContrast, cfg, combineGuidance, innerGuidance, planGuidance, type PassKind } from '../../../src/engine/guidance';

const f32 = (a: number[]) => Float32Array.from(a);

describe('guidance', () => {
  it('plans 1, 2 or 3 passes in one batch', () => {
    expect(planGuidance(1, 0, true).passes).toEqual(['cond']);
    expect(planGuidance(5, 0, true).passes).toEqual(['cond', 'uncond']);
    expect(planGuidance(5, 3, true)).toEqual({ passes: ['cond', 'uncond', 'motionDropped'], w1: 4, w2: 3, w3: 0 });
    expect(planGuidance(1, 3, true).passes).toEqual(['cond', 'motionDropped']);
    // A model without motion input cannot drop motion: Inner-Guidance is off.
    expect(planGuidance(5, 3, false)).toEqual({ passes: ['cond', 'uncond'], w1: 4, w2: 0, w3: 0 });
  });

  it('plans the contrast pass last, only when contrast ≠ 0', () => {
    expect(planGuidance(5, 3, true, 2.5)).toEqual({ passes: ['cond', 'uncond', 'motionDropped', 'contrast'], w1: 4, w2: 3, w3: 2.5 });
    expect(planGuidance(1, 0, true, 2).passes).toEqual(['cond', 'contrast']);
    expect(planGuidance(5, 3, false, 2).passes).toEqual(['cond', 'uncond', 'contrast']);
    expect(planGuidance(5, 3, true, 0).passes).not.toContain('contrast');
  });

  it('CFG: v(∅) + w·(v(y) − v(∅))', () => {
    // 1 + 5·(3 − 1) = 11, −2 + 5·(0 − (−2)) = 8
    expect(Array.from(cfg(f32([3, 0]), f32([1, -2]), 5))).toEqual([11, 8]);
    expect(Array.from(cfg(f32([3, 0]), f32([1, -2]), 1))).toEqual([3, 0]);
  });

  it('Inner-Guidance: (1+w1+w2)·u(y) − w1·u(∅) − w2·u(no motion)', () => {
    // w1 = 5, w2 = 3: 9·2 − 5·1 − 3·4 = 1 ; 9·(−1) − 5·0 − 3·(−2) = −3
    expect(Array.from(innerGuidance(f32([2, -1]), f32([1, 0]), f32([4, -2]), 5, 3))).toEqual([1, -3]);
  });

  it('combineGuidance splits the batch and equals CFG when w2 = 0 (w1 = guidance − 1)', () => {
    const cond = f32([1, 2, 3]);
    const unc = f32([0, 1, -1]);
    const nom = f32([2, 2, 2]);
    const p2 = planGuidance(7.5, 0, true);
    expect(Array.from(combineGuidance(f32([...cond, ...unc]), p2))).toEqual(Array.from(cfg(cond, unc, 7.5)));
    const p3 = planGuidance(5, 3, true);
    expect(Array.from(combineGuidance(f32([...cond, ...unc, ...nom]), p3))).toEqual(Array.from(innerGuidance(cond, unc, nom, 4, 3)));
    const p1 = planGuidance(1, 0, true);
    expect(Array.from(combineGuidance(cond, p1))).toEqual([1, 2, 3]);
    // guidance 1 with Inner-Guidance: u_y + w2·(u_y − u_noMotion) = (1+3)·u_y − 3·u_noMotion
    const pm = planGuidance(1, 3, true);
    expect(Array.from(combineGuidance(f32([...cond, ...nom]), pm))).toEqual([-2, 2, 6]);
    expect(() => combineGuidance(f32([1, 2, 3, 4, 5]), p2)).toThrow(/split/);
  });

  // training/tests/test_prompt_contrast.py test_contrast_adds_w3_times_cond_minus_contrast, in every mode
  it.each([[1, 0], [3, 0], [1, 2], [3, 2]])('contrast adds w3·(cond − contrast) (guidance %d, inner %d)', (guidance, inner) => {
    const out: Record<PassKind, Float32Array> = {
      cond: f32([0.5, -1.25, 2, 0.75, -0.5]),
      uncond: f32([1, 0.25, -0.5, 1.5, 2]),
      motionDropped: f32([-2, 1, 0.5, -0.25, 1.25]),
      contrast: f32([0.25, -0.5, 1.5, 2, -1]),
    };
    const batch = (kinds: PassKind[]) => f32(kinds.flatMap((k) => Array.from(out[k])));
    const without = planGuidance(guidance, inner, true);
    const plan = planGuidance(guidance, inner, true, 2.5);
    expect(plan.passes.at(-1)).toBe('contrast');
    expect(plan.w3).toBe(2.5);
    const expected = Array.from(combineGuidance(batch(without.passes), without), (g, i) => g + 2.5 * (out.cond[i]! - out.contrast[i]!));
    const got = Array.from(combineGuidance(batch(plan.passes), plan));
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('addContrast writes into the guided velocity only', () => {
    const cond = f32([1, 2]);
    const contrast = f32([0, 4]);
    const guided = f32([10, 10]);
    expect(Array.from(addContrast(guided, cond, contrast, 0.5))).toEqual([10.5, 9]);
    expect(Array.from(cond)).toEqual([1, 2]);
    // cond alone plus a contrast pass: the batch itself is left as it was
    const batched = f32([1, 2, 0, 4]);
    expect(Array.from(combineGuidance(batched, planGuidance(1, 0, true, 0.5)))).toEqual([1.5, 1]);
    expect(Array.from(batched)).toEqual([1, 2, 0, 4]);
  });
});
