/** Timestep grids shared by the flow-matching schedulers. */
import { shiftTerminalProblem, sigmaListProblem, stepsProblem, type ScheduleGrid, type SigmaSpacing } from '../../package/schedule';
import type { SchedulerCall } from './types';

export type { ScheduleGrid, SigmaSpacing };

/**
 * Timestep shift (SD3 / docs/model-package.md): t' = s·t / (1 + (s−1)·t). s > 1 spends more
 * steps at high noise, which larger frames need; s = 1 is the identity.
 */
export function shiftTimestep(t: number, shift: number): number {
  return (shift * t) / (1 + (shift - 1) * t);
}

/**
 * diffusers' FlowMatchEulerDiscreteScheduler.stretch_shift_to_terminal (diffusers 0.42.1, from
 * LTX-Video's rf.py), on the levels before the final 0: 1 − σ is scaled so that the last becomes
 * 1 − terminal, leaving 1 at 1. An affine map with a positive slope, so the levels stay descending,
 * all at least `terminal`. A single level has nothing to stretch (it is the first, 1, and the last):
 * it is returned as it is, where diffusers divides 0 by 0 and samples NaN.
 */
export function stretchToTerminal(levels: readonly number[], terminal: number): number[] {
  if (levels.length < 2) return [...levels];
  const scale = (1 - levels[levels.length - 1]!) / (1 - terminal);
  return levels.map((s) => 1 - (1 - s) / scale);
}

/** Training steps of diffusers' flow-matching schedulers: the smallest sigma before the shift is 1/1000. */
const DIFFUSERS_TRAIN_STEPS = 1000;

/**
 * n + 1 times from exactly 1 to exactly 0, shifted. 'vidlet' spacing: linear from 1 to 0;
 * 'diffusers': n times linear from 1 to shift(1/1000), then 0. With `shiftTerminal`, the n levels
 * before 0 are then stretched so the last is that (stretchToTerminal), as diffusers does after its shift.
 */
export function flowSigmas(steps: number, shift: number, spacing: SigmaSpacing = 'vidlet', shiftTerminal?: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be an integer ≥ 1, got ${steps}`);
  if (!(shift > 0) || !Number.isFinite(shift)) throw new RangeError(`shift must be a positive number, got ${shift}`);
  const out: number[] = [];
  if (spacing === 'diffusers') {
    // diffusers shifts its sigma_min once in __init__ and the whole grid again in set_timesteps.
    const last = shiftTimestep(1 / DIFFUSERS_TRAIN_STEPS, shift);
    for (let i = 0; i < steps; i++) out.push(shiftTimestep(steps === 1 ? 1 : 1 + ((last - 1) * i) / (steps - 1), shift));
    out.push(0);
  } else {
    for (let i = 0; i <= steps; i++) out.push(shiftTimestep(1 - i / steps, shift));
    out[steps] = 0;
  }
  out[0] = 1;
  if (shiftTerminal === undefined) return out;
  const problem = shiftTerminalProblem(shiftTerminal);
  if (problem) throw new RangeError(`shiftTerminal ${problem}`);
  return [...stretchToTerminal(out.slice(0, -1), shiftTerminal), 0];
}

/**
 * The n + 1 noise levels of a run of `steps` steps on a package's schedule, from the first level to
 * exactly 0: the package's explicit list followed by 0 (shift, spacing and shiftTerminal do not apply to it, and
 * its length is the only step count it takes: src/package/schedule.ts), or flowSigmas otherwise.
 */
export function samplingSigmas(grid: ScheduleGrid, steps: number): number[] {
  if (grid.sigmas === undefined) return flowSigmas(steps, grid.shift, grid.spacing, grid.shiftTerminal);
  const problem = stepsProblem(steps, grid.sigmas.length);
  if (problem) throw new RangeError(`steps ${problem}`);
  return [...grid.sigmas, 0];
}

/**
 * Checks a grid handed to a scheduler's setSigmas: the contract's rule for a sigma list, plus the
 * final 0 every run lands on. The manifest parser has already applied the same rule to a package's
 * list; this catches a grid built wrongly in code.
 */
export function checkGrid(sigmas: readonly number[]): void {
  if (sigmas.length < 2 || sigmas[sigmas.length - 1] !== 0) throw new RangeError(`a sampling grid must end at 0 after at least one level, got [${sigmas.join(', ')}]`);
  const problem = sigmaListProblem(sigmas.slice(0, -1));
  if (problem) throw new RangeError(`sampling grid${problem.index === undefined ? '' : `[${problem.index}]`} ${problem.problem}`);
}

/** One denoiser call per step, from each level to the next (Euler, Euler-ancestral, x0-renoise). */
export function oneCallPerStep(sigmas: readonly number[]): SchedulerCall[] {
  return sigmas.slice(0, -1).map((t, i) => ({ t, tNext: sigmas[i + 1]!, stepIndex: i, endsStep: true }));
}

/** x − (t − tNext)·v, the flow-matching Euler update. */
export function eulerUpdate(x: Float32Array, v: Float32Array, t: number, tNext: number): Float32Array {
  if (x.length !== v.length) throw new RangeError(`sample has ${x.length} values but the velocity has ${v.length}`);
  const dt = tNext - t; // negative: time runs from 1 to 0
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! + dt * v[i]!;
  return out;
}
