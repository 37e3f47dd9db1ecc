/** Timestep grids shared by the flow-matching schedulers. */
import { sigmaListProblem, stepsProblem, type ScheduleGrid, type SigmaSpacing } from '../../package/schedule';
import { flowSigmas } from '../../package/sigma-grid';
import type { SchedulerCall } from './types';

export type { ScheduleGrid, SigmaSpacing };
// The computed grid is the package contract's (the manifest parser checks it), re-exported for the samplers.
export { flowSigmas, shiftTimestep, stretchToTerminal } from '../../package/sigma-grid';

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
