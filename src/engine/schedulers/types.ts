/**
 * Schedulers in the diffusers style: small objects with `setTimesteps(n, shift)` (or
 * `setSigmas(grid)`, diffusers' `set_timesteps(sigmas=…)`) and `step(v, t, tNext, x)`. Conventions (docs/model-package.md): flow matching, t = 1 pure noise,
 * x_t = (1−t)·x₀ + t·ε, the model predicts v = ε − x₀, an Euler step is x ← x − Δt·v.
 */
import type { SamplerName } from '../types';
import type { SigmaSpacing } from './timesteps';

/** One denoiser evaluation the pipeline must make, in order. */
export interface SchedulerCall {
  /** Timestep at which the model is evaluated (fed to the denoiser). */
  t: number;
  /** Time the sample is at after `step` (the same as `t` for Heun's corrector call). */
  tNext: number;
  /** 0-based user-visible step this call belongs to. */
  stepIndex: number;
  /** True for the last call of a step: previews and progress are reported after it. */
  endsStep: boolean;
}

export interface Scheduler {
  readonly name: SamplerName;
  /** n + 1 times from the first level (1 unless a package's list starts lower) to exactly 0. */
  readonly sigmas: readonly number[];
  /** Denoiser calls for the whole run (n for Euler/Euler-a/x0-renoise, 2n − 1 for Heun). */
  readonly calls: readonly SchedulerCall[];
  /** n steps on the computed grid: flowSigmas(n, shift, spacing). */
  setTimesteps(steps: number, shift: number, spacing?: SigmaSpacing): void;
  /** The run's n + 1 levels, descending, ending at 0 (timesteps.ts samplingSigmas); resets any state. */
  setSigmas(sigmas: readonly number[]): void;
  /** v predicted at (x, t) → the sample at tNext. Returns a new array; `x` is not modified. */
  step(v: Float32Array, t: number, tNext: number, x: Float32Array): Float32Array;
}
