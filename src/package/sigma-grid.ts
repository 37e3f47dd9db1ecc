/**
 * The computed grid of noise levels (manifest `schedule` without `sigmas`): shift, spacing and
 * shiftTerminal turned into a run's levels. It lives in the package contract, not in the engine's
 * schedulers, because the manifest parser must know that a package's grid can be sampled before
 * it accepts the package (computedGridProblem); the samplers use it through
 * src/engine/schedulers/timesteps.ts.
 */
import { MAX_SIGMAS, shiftTerminalProblem, sigmaListProblem, type SigmaSpacing } from './schedule';

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

/** How far the linear half of 'linear-quadratic' falls (diffusers' `threshold_noise`). */
const LINEAR_QUADRATIC_THRESHOLD = 0.025;

/**
 * diffusers' `linear_quadratic_schedule(n)` (pipeline_ltx_condition.py, from LTX-Video's own
 * sampler): n levels from 1, the first ⌊n/2⌋ steps falling linearly by 0.025 in all, the rest along
 * the parabola that continues that line with the same slope and reaches 0 after the last level.
 * One step: [1].
 */
export function linearQuadratic(steps: number): number[] {
  if (steps < 2) return [1];
  const threshold = LINEAR_QUADRATIC_THRESHOLD;
  const linearSteps = Math.floor(steps / 2);
  const quadraticSteps = steps - linearSteps;
  const gap = linearSteps - threshold * steps;
  const quadratic = gap / (linearSteps * quadraticSteps ** 2);
  const linear = threshold / linearSteps - (2 * gap) / quadraticSteps ** 2;
  const constant = quadratic * linearSteps ** 2;
  const out: number[] = [];
  for (let i = 0; i < linearSteps; i++) out.push(1 - (i * threshold) / linearSteps);
  for (let i = linearSteps; i < steps; i++) out.push(1 - (quadratic * i ** 2 + linear * i + constant));
  return out;
}

/**
 * n + 1 times from exactly 1 to exactly 0, shifted. 'vidlet' spacing: linear from 1 to 0;
 * 'diffusers': n times linear from 1 to shift(1/1000), then 0; 'diffusers-unipc': the first n of
 * n + 1 times linear from 1 to 1/1000, shifted, then 0; 'linear-quadratic': linearQuadratic, shifted,
 * then 0. With `shiftTerminal`, the n levels
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
  } else if (spacing === 'diffusers-unipc') {
    // UniPCMultistepScheduler.set_timesteps with use_flow_sigmas: np.linspace(1, 1/1000, n + 1)[:-1],
    // then the shift. numpy's linspace is start + i·step with step = (stop − start)/n; the same
    // operations in the same order give the same float64 levels, which matters because UniPC feeds
    // the model ⌊1000·σ⌋ (unipc.ts), and a level one ulp either side of an integer would change it.
    const step = (1 / DIFFUSERS_TRAIN_STEPS - 1) / steps;
    for (let i = 0; i < steps; i++) out.push(shiftTimestep(i * step + 1, shift));
    out.push(0);
  } else if (spacing === 'linear-quadratic') {
    for (const t of linearQuadratic(steps)) out.push(shiftTimestep(t, shift));
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
 * Why a package's computed grid cannot be sampled, or undefined when it can: at some step count a
 * request may ask for (1 to MAX_SIGMAS), two levels collapse into one float32 timestep or leave
 * (0, 1] — what an extreme shift (1e6: every level rounds to 1; 1e-320: to 0) or a shiftTerminal
 * near 1 does. The engine would refuse that grid halfway into a generation (checkGrid), so the
 * package is refused when it is read. Every count is tried: the levels of one count are not a
 * subset of another's, and the stretch depends on the last level.
 */
export function computedGridProblem(shift: number, spacing: SigmaSpacing, shiftTerminal?: number): { steps: number; problem: string } | undefined {
  for (let steps = 1; steps <= MAX_SIGMAS; steps++) {
    const problem = sigmaListProblem(flowSigmas(steps, shift, spacing, shiftTerminal).slice(0, -1));
    if (problem) return { steps, problem: `at ${steps} step${steps === 1 ? '' : 's'}, level ${problem.index ?? 0} ${problem.problem}` };
  }
  return undefined;
}
