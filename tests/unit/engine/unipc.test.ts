/**
 * The engine's UniPC (src/engine/schedulers/unipc.ts) against diffusers' UniPCMultistepScheduler itself:
 * tests/fixtures/unipc/diffusers-unipc.json, made by make.py beside it with diffusers 0.42.1 and Wan
 * 2.1's published scheduler config, stepping the fake model v(x, τ) = (0.3 + 0.9·τ)·x − (1.2 − τ)·c.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createScheduler, flowSigmas, FlowMatchEuler, FlowMatchUniPC, samplingSigmas, type Scheduler } from '../../../src/engine/schedulers';

interface Case {
  steps?: number;
  list?: number[];
  shift: number;
  sigmas: number[];
  timesteps: number[];
  samples: number[][];
}
const ref = JSON.parse(readFileSync('tests/fixtures/unipc/diffusers-unipc.json', 'utf8')) as { diffusers: string; x: number[]; c: number[]; cases: Case[] };
const X = Float32Array.from(ref.x);
const C = Float32Array.from(ref.c);

/** make.py's model, fed the time the scheduler's call gives it (τ = timestep / 1000 there). */
function model(x: Float32Array, tau: number): Float32Array {
  const v = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) v[i] = (0.3 + 0.9 * tau) * x[i]! - (1.2 - tau) * C[i]!;
  return v;
}

/** The grid the engine would sample the case on: the package's list then 0, or the 'diffusers-unipc' spacing. */
function grid(c: Case): number[] {
  return c.list ? samplingSigmas({ shift: 1, spacing: 'vidlet', sigmas: c.list }, c.list.length) : flowSigmas(c.steps!, c.shift, 'diffusers-unipc');
}

/** Every sample the scheduler steps through, from X. */
function trajectory(s: Scheduler): Float32Array[] {
  let x: Float32Array = X;
  const out: Float32Array[] = [];
  for (const call of s.calls) {
    x = s.step(model(x, call.t), call.t, call.tNext, x);
    out.push(x);
  }
  return out;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

describe('UniPC against diffusers (tests/fixtures/unipc)', () => {
  it('holds the cases make.py writes: shifts 1, 3, 5 at 1–50 steps, and an explicit list', () => {
    expect(ref.diffusers).toBe('0.42.1');
    expect(ref.cases.length).toBe(19);
    expect(ref.cases.filter((c) => c.list).length).toBe(1);
  });

  it("the 'diffusers-unipc' spacing is diffusers' UniPC grid (the first level is 1 here; the sampler lowers it)", () => {
    for (const c of ref.cases.filter((k) => k.steps !== undefined)) {
      const ours = grid(c);
      expect(ours).toHaveLength(c.sigmas.length);
      expect(ours[0]).toBe(1);
      expect(c.sigmas[0]).toBeCloseTo(1 - 1e-6, 7);
      // diffusers' levels are float32
      ours.slice(1).forEach((s, i) => expect(Math.abs(s - c.sigmas[i + 1]!), `steps ${c.steps} shift ${c.shift} [${i + 1}]`).toBeLessThan(1e-7));
    }
    // It is not the 'diffusers' (FlowMatchEuler) grid, and close to but not the 'vidlet' one.
    const unipc = flowSigmas(4, 3, 'diffusers-unipc');
    expect(unipc[3]).toBeCloseTo(0.500999, 5);
    expect(flowSigmas(4, 3, 'diffusers')[3]).toBeCloseTo(0.00893, 5);
    expect(flowSigmas(4, 3, 'vidlet')[3]).toBeCloseTo(0.5, 12);
  });

  it('feeds the model the integer timesteps diffusers does (⌊1000·σ⌋, the first at 999)', () => {
    for (const c of ref.cases) {
      const s = new FlowMatchUniPC();
      s.setSigmas(grid(c));
      expect(s.calls.map((k) => Math.round(k.t * 1000)), `steps ${c.steps ?? c.list?.length} shift ${c.shift}`).toEqual(c.timesteps);
      expect(s.calls.map((k) => k.tNext)).toEqual(grid(c).slice(1));
    }
  });

  it('gives the sample after every step within 1e-5 of diffusers', () => {
    let worst = 0;
    for (const c of ref.cases) {
      const s = createScheduler('unipc', 0);
      s.setSigmas(grid(c));
      const ours = trajectory(s);
      expect(ours).toHaveLength(c.samples.length);
      ours.forEach((x, i) => {
        const d = maxAbs(x, c.samples[i]!);
        worst = Math.max(worst, d);
        expect(d, `steps ${c.steps ?? c.list?.length} shift ${c.shift}, after step ${i + 1}`).toBeLessThan(1e-5);
      });
    }
    expect(worst).toBeGreaterThan(0); // float32 vs float64 coefficients: equal to the bit would be suspicious of the test
  });

  it('is a different sampler from Euler on the same levels (beyond the tolerance above)', () => {
    const c = ref.cases.find((k) => k.steps === 4 && k.shift === 3)!;
    const euler = new FlowMatchEuler();
    euler.setSigmas(grid(c));
    const e = trajectory(euler);
    expect(maxAbs(e[e.length - 1]!, c.samples[c.samples.length - 1]!)).toBeGreaterThan(1e-2);
  });

  it('setTimesteps is setSigmas on flowSigmas; setSigmas starts a run again', () => {
    const c = ref.cases.find((k) => k.steps === 10 && k.shift === 5)!;
    const s = new FlowMatchUniPC();
    s.setTimesteps(10, 5, 'diffusers-unipc');
    expect(s.sigmas).toEqual(flowSigmas(10, 5, 'diffusers-unipc'));
    const first = trajectory(s);
    s.setSigmas(grid(c));
    const again = trajectory(s);
    expect(Array.from(again[9]!)).toEqual(Array.from(first[9]!));
    expect(maxAbs(again[9]!, c.samples[9]!)).toBeLessThan(1e-5);
  });

  it('one model call per step; refuses calls out of order or past the end', () => {
    const s = new FlowMatchUniPC();
    s.setTimesteps(3, 3, 'diffusers-unipc');
    expect(s.calls.map((k) => [k.stepIndex, k.endsStep])).toEqual([[0, true], [1, true], [2, true]]);
    const [a, b] = s.calls;
    expect(() => s.step(model(X, b!.t), b!.t, b!.tNext, X)).toThrow(/in order/);
    const x1 = s.step(model(X, a!.t), a!.t, a!.tNext, X);
    const x2 = s.step(model(x1, b!.t), b!.t, b!.tNext, x1);
    const c3 = s.calls[2]!;
    s.step(model(x2, c3.t), c3.t, c3.tNext, x2);
    expect(() => s.step(model(x2, c3.t), c3.t, c3.tNext, x2)).toThrow(/all 3 steps/);
  });

  it('one step lands on the clean estimate x − σ·v (order 1 to σ = 0)', () => {
    const s = new FlowMatchUniPC();
    s.setTimesteps(1, 3, 'diffusers-unipc');
    const call = s.calls[0]!;
    expect(call.t).toBe(0.999);
    const v = model(X, call.t);
    const x = s.step(v, call.t, call.tNext, X);
    // σ is float32(1 − 1e-6) in the solver
    X.forEach((xi, i) => expect(x[i]).toBeCloseTo(xi - Math.fround(1 - 1e-6) * v[i]!, 6));
  });
});
