/**
 * Consistency-style multistep sampling for flow matching, the sampler many few-step distilled
 * models are published with (issue #11: LCM-style consistency distillations, several 1–4-step
 * Wan 2.1 distillations): at each level predict the clean sample, then put it back at the next
 * level with FRESH noise, instead of following the ODE as Euler does:
 *   x̂₀ = x − t·v                       (x_t = (1−t)·x₀ + t·ε and v = ε − x₀, so x₀ = x_t − t·v)
 *   x  = (1 − tNext)·x̂₀ + tNext·ε'     (ε' from the seeded stream NoiseStream.renoise)
 * The last step (tNext = 0) returns x̂₀. Why fresh noise: such a model was trained to map any
 * point at any level to its x₀, so each step may start again from a fresh sample of the next
 * level, which is what its training saw; a few large Euler steps would instead carry each step's
 * error along. Works on any grid (linear, diffusers', a package's explicit list).
 */
import { Gaussian, NoiseStream, Xoshiro128 } from '../noise';
import type { Scheduler, SchedulerCall } from './types';
import { checkGrid, flowSigmas, oneCallPerStep, type SigmaSpacing } from './timesteps';

export class FlowMatchX0Renoise implements Scheduler {
  readonly name = 'x0-renoise' as const;
  sigmas: number[] = [];
  calls: SchedulerCall[] = [];
  private gauss: Gaussian;

  constructor(private readonly seed: number) {
    this.gauss = new Gaussian(new Xoshiro128(seed, NoiseStream.renoise));
  }

  setTimesteps(steps: number, shift: number, spacing: SigmaSpacing = 'vidlet'): void {
    this.setSigmas(flowSigmas(steps, shift, spacing));
  }

  setSigmas(sigmas: readonly number[]): void {
    checkGrid(sigmas);
    this.sigmas = [...sigmas];
    this.calls = oneCallPerStep(sigmas);
    this.gauss = new Gaussian(new Xoshiro128(this.seed, NoiseStream.renoise)); // same seed → same run
  }

  step(v: Float32Array, t: number, tNext: number, x: Float32Array): Float32Array {
    if (x.length !== v.length) throw new RangeError(`sample has ${x.length} values but the velocity has ${v.length}`);
    const out = new Float32Array(x.length);
    if (tNext === 0) {
      for (let i = 0; i < out.length; i++) out[i] = x[i]! - t * v[i]!;
      return out;
    }
    const keep = 1 - tNext;
    for (let i = 0; i < out.length; i++) out[i] = keep * (x[i]! - t * v[i]!) + tNext * this.gauss.next();
    return out;
  }
}
