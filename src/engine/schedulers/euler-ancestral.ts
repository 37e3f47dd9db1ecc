/**
 * Euler-ancestral for rectified flow (ComfyUI's sample_euler_ancestral_RF, the sampler Allegro
 * ships with in its flow-matching form): step down to σ_down below tNext with Euler through the
 * clean estimate x̂₀ = x − t·v, then re-noise to tNext with fresh seeded noise:
 *   σ_down = tNext·(1 + (tNext/t − 1)·η),  α = 1 − σ
 *   x' = (σ_down/t)·x + (1 − σ_down/t)·x̂₀
 *   x  = (α_next/α_down)·x' + ε·sqrt(tNext² − σ_down²·α_next²/α_down²)
 * η = 1 is fully ancestral, η = 0 is plain Euler. The last step (tNext = 0) lands on x̂₀.
 */
import { Gaussian, NoiseStream, Xoshiro128 } from '../noise';
import type { Scheduler, SchedulerCall } from './types';
import { checkGrid, eulerUpdate, flowSigmas, oneCallPerStep, type SigmaSpacing } from './timesteps';

export class FlowMatchEulerAncestral implements Scheduler {
  readonly name = 'euler-ancestral' as const;
  sigmas: number[] = [];
  calls: SchedulerCall[] = [];
  private gauss: Gaussian;

  constructor(
    private readonly seed: number,
    readonly eta = 1,
  ) {
    this.gauss = new Gaussian(new Xoshiro128(seed, NoiseStream.ancestral));
  }

  setTimesteps(steps: number, shift: number, spacing: SigmaSpacing = 'vidlet'): void {
    this.setSigmas(flowSigmas(steps, shift, spacing));
  }

  setSigmas(sigmas: readonly number[]): void {
    checkGrid(sigmas);
    this.sigmas = [...sigmas];
    this.calls = oneCallPerStep(sigmas);
    this.gauss = new Gaussian(new Xoshiro128(this.seed, NoiseStream.ancestral)); // same seed → same run
  }

  /** σ_down and the re-noise coefficient for one step. */
  static coefficients(t: number, tNext: number, eta: number): { sigmaDown: number; scale: number; renoise: number } {
    const sigmaDown = tNext * (1 + (tNext / t - 1) * eta);
    const alphaNext = 1 - tNext;
    const alphaDown = 1 - sigmaDown;
    const scale = alphaNext / alphaDown;
    const renoise = Math.sqrt(Math.max(0, tNext * tNext - sigmaDown * sigmaDown * scale * scale));
    return { sigmaDown, scale, renoise };
  }

  step(v: Float32Array, t: number, tNext: number, x: Float32Array): Float32Array {
    if (tNext === 0 || this.eta === 0) return eulerUpdate(x, v, t, tNext);
    const { sigmaDown, scale, renoise } = FlowMatchEulerAncestral.coefficients(t, tNext, this.eta);
    const out = new Float32Array(x.length);
    const r = sigmaDown / t;
    for (let i = 0; i < out.length; i++) {
      const x0 = x[i]! - t * v[i]!;
      const down = r * x[i]! + (1 - r) * x0;
      out[i] = scale * down + renoise * this.gauss.next();
    }
    return out;
  }
}
