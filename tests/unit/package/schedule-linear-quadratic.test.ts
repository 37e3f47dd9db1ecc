/**
 * The 'linear-quadratic' spacing (src/package/sigma-grid.ts): the levels LTXConditionPipeline samples
 * LTX-Video 0.9.7+ checkpoints on when given no list, checked against diffusers itself
 * (tests/fixtures/sigmas/diffusers-linear-quadratic.json, made by make_linear_quadratic.py beside it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flowSigmas, samplingSigmas } from '../../../src/engine/schedulers/timesteps';
import { computedGridProblem, linearQuadratic } from '../../../src/package/sigma-grid';
import { parseSchedule } from '../../../src/store/manifest-schedule';

interface Case { steps: number; sigmas: number[]; timesteps: number[] }
const ref = JSON.parse(readFileSync('tests/fixtures/sigmas/diffusers-linear-quadratic.json', 'utf8')) as { diffusers: string; cases: Case[] };

describe("schedule.spacing 'linear-quadratic'", () => {
  it("is the levels diffusers' LTXConditionPipeline steps between, at every step count in the fixture", () => {
    expect(ref.cases.length).toBeGreaterThan(40);
    for (const c of ref.cases) {
      const ours = samplingSigmas({ shift: 1, spacing: 'linear-quadratic' }, c.steps);
      expect(ours, `${c.steps} steps`).toHaveLength(c.sigmas.length);
      // diffusers rounds to float32 twice (the schedule, then ·1000 / 1000); the engine keeps float64
      ours.forEach((x, i) => expect(Math.abs(x - c.sigmas[i]!), `${c.steps} steps [${i}]`).toBeLessThan(2e-7));
      // and the transformer is given 1000·σ, as the pipeline gives it its timesteps
      c.timesteps.forEach((t, i) => expect(Math.abs(1000 * ours[i]! - t), `${c.steps} steps t[${i}]`).toBeLessThan(1e-4));
      expect(ours[0]).toBe(1);
      expect(ours[c.steps]).toBe(0);
    }
  });

  it('differs from the other spacings (a wrong branch would fail the comparison above)', () => {
    const lq = flowSigmas(8, 1, 'linear-quadratic');
    for (const other of ['vidlet', 'diffusers', 'diffusers-unipc'] as const) {
      const gap = Math.max(...flowSigmas(8, 1, other).map((s, i) => Math.abs(s - lq[i]!)));
      expect(gap, other).toBeGreaterThan(0.1);
    }
    // the linear half falls by 0.025 in all, then the quadratic half does the rest
    expect(linearQuadratic(8).map((s) => Number(s.toFixed(6)))).toEqual([1, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875]);
  });

  it('is a grid the manifest parser accepts at every step count, with shift and a terminal too', () => {
    expect(computedGridProblem(1, 'linear-quadratic')).toBeUndefined();
    expect(computedGridProblem(3, 'linear-quadratic', 0.1)).toBeUndefined();
    const s = parseSchedule({ type: 'flow-matching', shift: 1, spacing: 'linear-quadratic', defaultSteps: 8, defaultGuidance: 3, defaultInnerGuidance: 0, defaultSampler: 'euler' });
    expect(s.spacing).toBe('linear-quadratic');
    expect(() => parseSchedule({ type: 'flow-matching', shift: 1, spacing: 'linear', defaultSteps: 8, defaultGuidance: 3, defaultInnerGuidance: 0 })).toThrow(/spacing/);
  });
});
