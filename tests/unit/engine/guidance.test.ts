import { describe, expect, it } from 'vitest';
import { cfg, combineGuidance, innerGuidance, planGuidance, repeatBatch } from '../../../src/engine/guidance';

const f32 = (a: number[]) => Float32Array.from(a);

describe('guidance', () => {
  it('plans 1, 2 or 3 passes in one batch', () => {
    expect(planGuidance(1, 0, true)).toEqual({ mode: 'none', passes: ['cond'], w1: 1, w2: 0 });
    expect(planGuidance(5, 0, true)).toEqual({ mode: 'cfg', passes: ['cond', 'uncond'], w1: 5, w2: 0 });
    expect(planGuidance(5, 3, true)).toEqual({ mode: 'inner', passes: ['cond', 'uncond', 'motionDropped'], w1: 5, w2: 3 });
    // Inner-Guidance always has three passes, also at guidance 1 (its formula uses u(∅) with w1 = 1).
    expect(planGuidance(1, 3, true).passes).toEqual(['cond', 'uncond', 'motionDropped']);
    // A model without motion input cannot drop motion: Inner-Guidance is off, plain CFG.
    expect(planGuidance(5, 3, false)).toEqual({ mode: 'cfg', passes: ['cond', 'uncond'], w1: 5, w2: 0 });
    expect(planGuidance(1, 3, false).passes).toEqual(['cond']);
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

  it('combineGuidance splits the batch and applies the contract formulas with w1 = guidance', () => {
    const cond = f32([1, 2, 3]);
    const unc = f32([0, 1, -1]);
    const nom = f32([2, 2, 2]);
    // CFG, w = 7.5: 0 + 7.5·1 = 7.5; 1 + 7.5·1 = 8.5; −1 + 7.5·4 = 29
    expect(Array.from(combineGuidance(f32([...cond, ...unc]), planGuidance(7.5, 0, true)))).toEqual([7.5, 8.5, 29]);
    // Inner-Guidance, w1 = 5, w2 = 3: 9·c − 5·u − 3·m = [9−0−6, 18−5−6, 27+5−6] = [3, 7, 26]
    expect(Array.from(combineGuidance(f32([...cond, ...unc, ...nom]), planGuidance(5, 3, true)))).toEqual([3, 7, 26]);
    // guidance 1 with Inner-Guidance: 5·c − u − 3·m = [5−0−6, 10−1−6, 15+1−6] = [−1, 3, 10]
    expect(Array.from(combineGuidance(f32([...cond, ...unc, ...nom]), planGuidance(1, 3, true)))).toEqual([-1, 3, 10]);
    expect(Array.from(combineGuidance(cond, planGuidance(1, 0, true)))).toEqual([1, 2, 3]);
    expect(() => combineGuidance(f32([1, 2, 3, 4, 5]), planGuidance(5, 0, true))).toThrow(/split/);
  });

  it('repeatBatch copies a sample per pass', () => {
    expect(Array.from(repeatBatch(f32([1, 2]), 3))).toEqual([1, 2, 1, 2, 1, 2]);
  });
});
