import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createScheduler, flowSigmas, FlowMatchEuler, FlowMatchEulerAncestral, FlowMatchHeun, shiftTimestep, type Scheduler,
} from '../../../src/engine/schedulers';

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
  for (const name of ['euler', 'heun', 'euler-ancestral'] as const) {
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
