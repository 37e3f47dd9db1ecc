/**
 * The sampling schedule a package declares (manifest `schedule`, docs/model-package.md): how its
 * noise levels are made and, for a distilled model, the fixed list it was distilled on. The rules
 * are stated here once; the manifest parser (src/store/manifest-schedule.ts), the engine
 * (src/engine/engine.ts, src/engine/schedulers/timesteps.ts), the page and the CLI all ask these
 * functions, so no layer keeps its own copy.
 */
import { STEPS } from './request';

/**
 * How a package's sampling times are spaced before the shift (manifest `schedule.spacing`);
 * src/engine/schedulers/timesteps.ts computes them.
 * - 'vidlet' (the default): linear from 1 to 0, what Vidlet's own models were trained and tuned with;
 * - 'diffusers': diffusers' FlowMatchEulerDiscreteScheduler (1,000 training steps), the grid the
 *   publisher's pipeline samples a converted model on when it ships that scheduler;
 * - 'diffusers-unipc': diffusers' UniPCMultistepScheduler with `use_flow_sigmas` (1,000 training
 *   steps), Wan 2.1's published scheduler. Not the same grid as 'diffusers' (it spaces n + 1 points
 *   from 1 to 1/1000 and drops the last, so it is nearly 'vidlet': 4 steps at shift 3 give
 *   1, 0.9001, 0.7504, 0.5010 where 'diffusers' gives 1, 0.858, 0.602, 0.0089).
 * - 'linear-quadratic': LTX-Video's own schedule, diffusers' `linear_quadratic_schedule`, which
 *   LTXConditionPipeline (LTX-Video 0.9.7 and later) samples when given no list: the first half of
 *   the steps fall linearly to 0.975, the rest quadratically to 0 (sigma-grid.ts linearQuadratic).
 */
export const SIGMA_SPACINGS = ['vidlet', 'diffusers', 'diffusers-unipc', 'linear-quadratic'] as const;
export type SigmaSpacing = (typeof SIGMA_SPACINGS)[number];

/** `schedule.spacing` when absent. */
export const DEFAULT_SPACING: SigmaSpacing = 'vidlet';
/** `schedule.shift` when absent (allowed only beside `sigmas`): the identity t' = t. */
export const DEFAULT_SHIFT = 1;

/**
 * The most noise levels an explicit list may hold. Each is one denoiser call (two for Heun), so
 * the list obeys the same bound as a requested step count (request.ts STEPS); LTX-Video's
 * distilled lists hold 8, few-step Wan distillations 1–4.
 */
export const MAX_SIGMAS = STEPS.max;

/** What the engine needs to make a run's noise levels (the parsed manifest's `schedule` has these fields). */
export interface ScheduleGrid {
  shift: number;
  spacing: SigmaSpacing;
  /**
   * An explicit descending list of noise levels in (0, 1], as the publisher of a distilled model
   * gives it; the sampler steps through them and then to 0. It fixes the step count to its length,
   * and `shift`, `spacing` and `shiftTerminal` do not apply to it.
   */
  sigmas?: readonly number[];
  /**
   * The last level before 0 that the computed grid is stretched to (manifest `schedule.shiftTerminal`,
   * diffusers' `shift_terminal`); absent: no stretch. See shiftTerminalProblem.
   */
  shiftTerminal?: number;
}

/**
 * Why `v` cannot be a package's `schedule.shiftTerminal`, or undefined when it can: a finite number in
 * (0, 1). It is diffusers' FlowMatchEulerDiscreteScheduler `shift_terminal` (LTX-Video's published
 * scheduler config sets 0.1): after the shift, the grid's levels before the final 0 are stretched by
 * 1 − σ ← (1 − σ)·(1 − terminal)/(1 − σ_last), so that the first stays 1 and the last becomes `terminal`
 * (src/engine/schedulers/timesteps.ts stretchToTerminal). 0 would make the last step end where it
 * starts; 1 is pure noise, where the first level already is.
 */
export function shiftTerminalProblem(v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return `is ${shown(v)}, but must be a number in (0, 1), like 0.1`;
  if (!(v > 0 && v < 1)) return `is ${v}, but must be in (0, 1): the noise level the grid's last step before 0 is stretched to`;
  return undefined;
}

/** A problem with an explicit sigma list: `index` names the bad entry, absent for the list as a whole. */
export interface SigmaListProblem {
  index?: number;
  problem: string;
}

/**
 * Why `list` cannot be a package's `schedule.sigmas`, or undefined when it can: a non-empty list of
 * at most MAX_SIGMAS finite numbers in (0, 1], strictly descending. 0 is left out because every run
 * ends there anyway (a listed 0 would be a step from 0 to 0); above 1 is past pure noise. Descending
 * is checked in float32 too, the precision the denoiser's timestep input has, so two entries the
 * graph cannot tell apart are refused rather than run as a step of nothing.
 */
export function sigmaListProblem(list: unknown): SigmaListProblem | undefined {
  if (!Array.isArray(list)) return { problem: 'must be a list of noise levels, like [1, 0.9937, 0.9875, 0.4219]' };
  if (list.length === 0) return { problem: 'is empty, but must list at least one noise level' };
  if (list.length > MAX_SIGMAS) return { problem: `holds ${list.length} noise levels, but at most ${MAX_SIGMAS} are allowed (one denoiser call each)` };
  for (let i = 0; i < list.length; i++) {
    const s: unknown = list[i];
    if (typeof s !== 'number' || !Number.isFinite(s)) return { index: i, problem: `is ${shown(s)}, but must be a finite number` };
    if (!(s > 0 && s <= 1)) return { index: i, problem: `is ${s}, but must be in (0, 1]: above 0 (every run ends at 0 by itself) and at most 1 (pure noise)` };
    if (i > 0) {
      const prev = list[i - 1] as number;
      if (!(s < prev)) return { index: i, problem: `is ${s}, but must be below the entry before it (${prev}): the list runs strictly from noise towards 0` };
      if (Math.fround(s) === Math.fround(prev)) return { index: i, problem: `is ${s}, which the denoiser's float32 timestep cannot tell from the entry before it (${prev})` };
    }
  }
  return undefined;
}

/** A `schedule` field that contradicts an explicit sigma list, and why. */
export interface ScheduleConflict {
  field: 'shift' | 'spacing' | 'shiftTerminal' | 'defaultSteps';
  problem: string;
}

/**
 * The fields beside `sigmas` that would be ambiguous, or undefined. A list is used as it is, so a
 * shift other than 1, a spacing other than the default or any shiftTerminal would be silently
 * ignored: refused, so that a converter that meant to shift or stretch the list finds out. `defaultSteps` may be left out (it is
 * the list's length); when given it must be that length.
 */
export function sigmaListConflict(schedule: { sigmas: readonly number[]; shift?: unknown; spacing?: unknown; shiftTerminal?: unknown; defaultSteps?: unknown }): ScheduleConflict | undefined {
  const n = schedule.sigmas.length;
  const why = `schedule.sigmas gives the ${n} noise levels explicitly, and they are used as they are`;
  if (schedule.shift !== undefined && schedule.shift !== DEFAULT_SHIFT) {
    return { field: 'shift', problem: `is ${shown(schedule.shift)}, but ${why}; leave shift out (or 1), or apply it to the list` };
  }
  if (schedule.spacing !== undefined && schedule.spacing !== DEFAULT_SPACING) {
    return { field: 'spacing', problem: `is ${shown(schedule.spacing)}, but ${why}; leave spacing out` };
  }
  if (schedule.shiftTerminal !== undefined) {
    return { field: 'shiftTerminal', problem: `is ${shown(schedule.shiftTerminal)}, but ${why}; leave shiftTerminal out, or stretch the list's numbers` };
  }
  if (schedule.defaultSteps !== undefined && schedule.defaultSteps !== n) {
    return { field: 'defaultSteps', problem: `is ${shown(schedule.defaultSteps)}, but ${why}, so a run takes exactly ${n}; leave defaultSteps out or make it ${n}` };
  }
  return undefined;
}

/** The step count a package fixes (the length of its sigma list), or undefined when any count 1–200 works. */
export function fixedSteps(schedule: { sigmas?: readonly number[] }): number | undefined {
  return schedule.sigmas?.length;
}

/** Why a package that takes exactly `fixed` steps was given for people: the page's and the CLI's words. */
export function fixedStepsNote(fixed: number): string {
  return `This model was distilled to sample on a fixed list of ${fixed} noise level${fixed === 1 ? '' : 's'} (its manifest's schedule.sigmas), so it always takes ${fixed} step${fixed === 1 ? '' : 's'}.`;
}

/**
 * Why a request for `steps` steps cannot run on a package that fixes `fixed` (undefined: any count),
 * or undefined when it can. The engine refuses such a request (InvalidRequestError, field "steps")
 * rather than quietly running another count: a clip's settings must say how it was made.
 */
export function stepsProblem(steps: number, fixed: number | undefined): string | undefined {
  if (fixed === undefined || steps === fixed) return undefined;
  return `must be ${fixed} for this model, got ${steps}. ${fixedStepsNote(fixed)}`;
}

/**
 * The steps the page sends for the user's own `steps`: the fixed count on a package that has one
 * (its step control shows that count, fixed, with fixedStepsNote), else the user's. The user's
 * number stays in the form's settings for the next model that takes any count.
 */
export function stepsFor(steps: number, fixed: number | undefined): number {
  return fixed ?? steps;
}

function shown(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v) ?? String(v);
}
