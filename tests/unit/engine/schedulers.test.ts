import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Gaussian, gaussianNoise, NoiseStream, Xoshiro128 } from '../../../src/engine/noise';
import {
  createScheduler, flowSigmas, FlowMatchEuler, FlowMatchEulerAncestral, FlowMatchHeun, FlowMatchX0Renoise, samplingSigmas,
  shiftTimestep, type Scheduler,
} from '../../../src/engine/schedulers';

/** An 8-level list shaped like LTX-Video's distilled one (dense near 1, then large drops). */
const LIST = [1, 0.9937, 0.9875, 0.9812, 0.975, 0.9094, 0.725, 0.4219];

const f32 = (a: number[]) => Float32Array.from(a);

/** Runs a scheduler with a velocity model v(x, t). */
function run(s: Scheduler, x: Float32Array, model: (x: Float32Array, t: number) => Float32Array): Float32Array {
  for (const c of s.calls) x = s.step(model(x, c.t), c.t, c.tNext, x);
  return x;
}

describe('timesteps', () => {
  it('linear grid from 1 to 0, shifted by s·t/(1+(s−1)·t)', () => {
    expect(flowSigmas(4, 1)).toEqual([1, 0.75, 0.5, 0.25, 0]);
    // s = 3: 0.75 → 2.25/2.5, 0.5 → 1.5/2, 0.25 → 0.75/1.5
    const s = flowSigmas(4, 3);
    expect(s[0]).toBe(1);
    expect(s[1]).toBeCloseTo(0.9, 12);
    expect(s[2]).toBeCloseTo(0.75, 12);
    expect(s[3]).toBeCloseTo(0.5, 12);
    expect(s[4]).toBe(0);
    expect(shiftTimestep(0.5, 1)).toBe(0.5);
    expect(() => flowSigmas(0, 1)).toThrow(/steps/);
    expect(() => flowSigmas(3, 0)).toThrow(/shift/);
  });

  it("'diffusers' spacing is diffusers' FlowMatchEulerDiscreteScheduler grid (tests/fixtures/sigmas, made by diffusers)", () => {
    const ref = JSON.parse(readFileSync('tests/fixtures/sigmas/diffusers-flow-sigmas.json', 'utf8')) as { cases: { steps: number; shift: number; sigmas: number[] }[] };
    expect(ref.cases.length).toBeGreaterThan(10);
    for (const c of ref.cases) {
      const ours = flowSigmas(c.steps, c.shift, 'diffusers');
      expect(ours).toHaveLength(c.sigmas.length);
      // diffusers computes in float32
      ours.forEach((x, i) => expect(Math.abs(x - c.sigmas[i]!), `steps ${c.steps} shift ${c.shift} [${i}]`).toBeLessThan(1e-6));
    }
    // The two spacings differ where it matters for a converted model: the last step before 0.
    expect(flowSigmas(4, 3, 'vidlet')[3]).toBeCloseTo(0.5, 12);
    expect(flowSigmas(4, 3, 'diffusers')[3]).toBeCloseTo(0.00893, 5);
    const euler = new FlowMatchEuler();
    euler.setTimesteps(4, 3, 'diffusers');
    expect(euler.sigmas).toEqual(flowSigmas(4, 3, 'diffusers'));
  });
});

describe('Euler', () => {
  it('x ← x − Δt·v', () => {
    const s = new FlowMatchEuler();
    s.setTimesteps(4, 1);
    expect(s.calls.map((c) => [c.t, c.tNext])).toEqual([[1, 0.75], [0.75, 0.5], [0.5, 0.25], [0.25, 0]]);
    // x = [1, 2], v = [0.5, −1], t 0.75 → 0.5: x + (−0.25)·v = [0.875, 2.25]
    expect(Array.from(s.step(f32([0.5, -1]), 0.75, 0.5, f32([1, 2])))).toEqual([0.875, 2.25]);
  });
});

describe('Heun', () => {
  it('averages the velocities at both ends (v(x) = x from x = 1, t 1 → 0.5 gives 0.625)', () => {
    const s = new FlowMatchHeun();
    s.setTimesteps(2, 1);
    // calls: predictor (1 → 0.5), corrector at 0.5, final Euler (0.5 → 0)
    expect(s.calls.map((c) => [c.t, c.tNext, c.endsStep])).toEqual([[1, 0.5, false], [0.5, 0.5, true], [0.5, 0, true]]);
    const xh = s.step(f32([1]), 1, 0.5, f32([1])); // predictor: 1 − 0.5·1 = 0.5
    expect(xh[0]).toBe(0.5);
    const x = s.step(xh, 0.5, 0.5, xh); // corrector: 1 − 0.5·(1 + 0.5)/2 = 0.625
    expect(x[0]).toBeCloseTo(0.625, 7);
    const last = s.step(f32([2]), 0.5, 0, x); // first order: 0.625 − 0.5·2
    expect(last[0]).toBeCloseTo(-0.375, 7);
  });

  it('n steps cost 2n − 1 calls and report n steps', () => {
    const s = createScheduler('heun', 0);
    s.setTimesteps(5, 1);
    expect(s.calls.length).toBe(9);
    expect(s.calls.filter((c) => c.endsStep).map((c) => c.stepIndex)).toEqual([0, 1, 2, 3, 4]);
  });

  it('is more accurate than Euler on a curved flow (dx/dt = x: exact x(0) = x(1)/e)', () => {
    const exact = 1 / Math.E;
    const model = (x: Float32Array) => x.slice(); // v = x
    const e = new FlowMatchEuler();
    e.setTimesteps(8, 1);
    const h = new FlowMatchHeun();
    h.setTimesteps(8, 1);
    // d x / d t = x, going backwards in t by 1: x(0) = x(1)·e^{−1}
    const xe = run(e, f32([1]), model)[0]!;
    const xh = run(h, f32([1]), model)[0]!;
    expect(Math.abs(xh - exact)).toBeLessThan(Math.abs(xe - exact));
  });
});

describe('exact flows land on the data point', () => {
  // Data is one point c; the ideal velocity at (x, t) is (x − c)/t, so every sampler ends at c.
  const c = f32([0.3, -0.7, 1.2]);
  const ideal = (x: Float32Array, t: number) => x.map((v, i) => (v - c[i]!) / t);
  for (const name of ['euler', 'heun', 'euler-ancestral', 'x0-renoise'] as const) {
    it(name, () => {
      const s = createScheduler(name, 11);
      s.setTimesteps(6, 2);
      const out = run(s, f32([1.5, 0.2, -0.4]), ideal);
      for (let i = 0; i < 3; i++) expect(out[i]).toBeCloseTo(c[i]!, 5);
    });
  }
});

describe('Euler-ancestral', () => {
  it('coefficients keep the marginal of x_t (t 1 → 0.5, η = 1: σ_down 0.25, scale 2/3, re-noise √(2/9))', () => {
    const { sigmaDown, scale, renoise } = FlowMatchEulerAncestral.coefficients(1, 0.5, 1);
    expect(sigmaDown).toBeCloseTo(0.25, 12);
    expect(scale).toBeCloseTo(2 / 3, 12);
    expect(renoise).toBeCloseTo(Math.sqrt(2 / 9), 12);
    // signal coefficient scale·(1 − σ_down) = 1 − tNext; noise variance (scale·σ_down)² + renoise² = tNext²
    expect(scale * (1 - sigmaDown)).toBeCloseTo(0.5, 12);
    expect((scale * sigmaDown) ** 2 + renoise ** 2).toBeCloseTo(0.25, 12);
  });

  it('η = 0 is plain Euler; the same seed repeats, another seed differs', () => {
    const x = f32([0.1, 0.2, 0.3, 0.4]);
    const v = f32([1, -1, 0.5, 0]);
    const det = new FlowMatchEulerAncestral(1, 0);
    det.setTimesteps(4, 1);
    expect(Array.from(det.step(v, 0.75, 0.5, x))).toEqual(Array.from(new FlowMatchEuler().step(v, 0.75, 0.5, x)));
    const a = new FlowMatchEulerAncestral(9);
    a.setTimesteps(4, 1);
    const b = new FlowMatchEulerAncestral(9);
    b.setTimesteps(4, 1);
    const c = new FlowMatchEulerAncestral(10);
    c.setTimesteps(4, 1);
    expect(Array.from(a.step(v, 0.75, 0.5, x))).toEqual(Array.from(b.step(v, 0.75, 0.5, x)));
    expect(Array.from(a.step(v, 0.75, 0.5, x))).not.toEqual(Array.from(c.step(v, 0.75, 0.5, x)));
  });

  it('unknown sampler names are refused', () => {
    expect(() => createScheduler('ddim' as never, 0)).toThrow(/Unknown sampler "ddim"/);
  });
});

describe('explicit sigma lists (schedule.sigmas)', () => {
  it('samplingSigmas: the list then 0, its length the only step count; shift and spacing do not apply', () => {
    expect(samplingSigmas({ shift: 1, spacing: 'vidlet', sigmas: LIST }, 8)).toEqual([...LIST, 0]);
    // the grid's shift and spacing are ignored with a list (the parser refuses a manifest holding both)
    expect(samplingSigmas({ shift: 5, spacing: 'diffusers', sigmas: LIST }, 8)).toEqual([...LIST, 0]);
    expect(() => samplingSigmas({ shift: 1, spacing: 'vidlet', sigmas: LIST }, 20)).toThrow(/steps must be 8 for this model, got 20/);
    expect(samplingSigmas({ shift: 3, spacing: 'diffusers' }, 4)).toEqual(flowSigmas(4, 3, 'diffusers'));
  });

  it('every sampler steps through the list and then to 0 (Heun: 2n − 1 calls)', () => {
    for (const name of ['euler', 'heun', 'euler-ancestral', 'x0-renoise'] as const) {
      const s = createScheduler(name, 3);
      s.setSigmas([0.8, 0.5, 0.2, 0]);
      expect(s.sigmas).toEqual([0.8, 0.5, 0.2, 0]);
      expect(s.calls.filter((c) => c.endsStep).map((c) => [c.t, c.tNext])).toEqual(
        name === 'heun' ? [[0.5, 0.5], [0.2, 0.2], [0.2, 0]] : [[0.8, 0.5], [0.5, 0.2], [0.2, 0]],
      );
      expect(s.calls.length).toBe(name === 'heun' ? 5 : 3);
    }
  });

  it('setSigmas refuses a grid that is not descending in (0, 1] and ending at 0', () => {
    const s = new FlowMatchEuler();
    expect(() => s.setSigmas([1, 0.5])).toThrow(/must end at 0/);
    expect(() => s.setSigmas([0])).toThrow(/must end at 0 after at least one level/);
    expect(() => s.setSigmas([1, 0.5, 0.7, 0])).toThrow(/sampling grid\[2\] is 0.7, but must be below the entry before it/);
    expect(() => s.setSigmas([1.5, 0.5, 0])).toThrow(/sampling grid\[0\] is 1.5, but must be in \(0, 1\]/);
  });
});

describe('x0-renoise (consistency-style: predict x₀, re-noise to the next level with fresh noise)', () => {
  const x = f32([0.5, -1]);
  const v = f32([0.25, 2]);

  it('matches the hand computation on a 2-value tensor', () => {
    const s = new FlowMatchX0Renoise(5);
    s.setSigmas([0.5, 0.25, 0]);
    // x̂₀ = x − 0.5·v = [0.375, −2]; x' = 0.75·x̂₀ + 0.25·ε, ε the first two normals of (seed 5, the renoise stream)
    const g = new Gaussian(new Xoshiro128(5, NoiseStream.renoise));
    const e = [g.next(), g.next()];
    const out = s.step(v, 0.5, 0.25, x);
    expect(out[0]).toBe(Math.fround(0.75 * 0.375 + 0.25 * e[0]!));
    expect(out[1]).toBe(Math.fround(0.75 * -2 + 0.25 * e[1]!));
    // the last step returns x̂₀ itself: no noise is added at 0
    expect(Array.from(s.step(v, 0.5, 0, x))).toEqual([0.375, -2]);
  });

  it('its fresh noise is its own stream: not the initial video noise, not Euler-ancestral\'s', () => {
    const s = new FlowMatchX0Renoise(5);
    s.setSigmas([0.5, 0.25, 0]);
    const zero = f32([0, 0, 0, 0]);
    // x = 0, v = 0: x̂₀ = 0, so the step is 0.25·ε exactly (up to float32 rounding)
    const eps = Array.from(s.step(zero, 0.5, 0.25, zero), (y) => y / 0.25);
    for (const stream of [NoiseStream.video, NoiseStream.motion, NoiseStream.ancestral]) {
      expect(eps[0]).not.toBeCloseTo(gaussianNoise(5, stream, 1)[0]!, 3);
    }
    expect(eps[0]).toBeCloseTo(gaussianNoise(5, NoiseStream.renoise, 1)[0]!, 5);
  });

  it('with a perfect velocity model (v = ε − x₀ for the data point x₀) it returns x₀, on any grid', () => {
    const x0 = f32([0.3, -0.7, 1.2, 0.05]);
    // At x = (1−t)·x₀ + t·ε the true velocity ε − x₀ is (x − x₀)/t.
    const perfect = (x: Float32Array, t: number) => x.map((xi, i) => (xi - x0[i]!) / t);
    const start = gaussianNoise(7, NoiseStream.video, 4);
    for (const grid of [[...LIST, 0], [0.6, 0.3, 0], flowSigmas(4, 3, 'diffusers'), flowSigmas(1, 1)]) {
      const s = new FlowMatchX0Renoise(7);
      s.setSigmas(grid);
      const out = run(s, start.slice(), perfect);
      // exact up to float32 rounding of x − t·(x − x₀)/t
      for (let i = 0; i < 4; i++) expect(Math.abs(out[i]! - x0[i]!), `grid ${grid} [${i}]`).toBeLessThan(1e-6);
    }
  });

  it('is reproducible for a seed, differs for another, and setSigmas restarts its noise', () => {
    const model = (x: Float32Array, t: number) => x.map((xi) => xi * (1 - t) + 0.1);
    const once = (seed: number, s = new FlowMatchX0Renoise(seed)) => {
      s.setSigmas([...LIST, 0]);
      return Array.from(run(s, f32([0.2, -0.4, 0.9]), model));
    };
    const a = once(9);
    expect(once(9)).toEqual(a);
    expect(once(10)).not.toEqual(a);
    const reused = new FlowMatchX0Renoise(9);
    once(9, reused);
    expect(once(9, reused)).toEqual(a);
  });
});
