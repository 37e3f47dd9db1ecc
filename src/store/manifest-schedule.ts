/**
 * The manifest's `schedule` section (docs/model-package.md): the sampling defaults, the computed
 * grid (shift, spacing, shiftTerminal) or a distilled model's explicit sigma list. The rules for the list and for
 * what may stand beside it are src/package/schedule.ts's; this file reads the JSON and names the
 * field that breaks them.
 */
import { CONTRAST, GUIDANCE, INNER_GUIDANCE, SAMPLER_NAMES, STEPS } from '../package/request';
import { DEFAULT_SHIFT, DEFAULT_SPACING, SIGMA_SPACINGS, shiftTerminalProblem, sigmaListConflict, sigmaListProblem } from '../package/schedule';
import { computedGridProblem } from '../package/sigma-grid';
import { fail, join, limited, obj, oneOf, positiveNum, type Json } from './json-fields';
import type { Manifest } from './types';

export function parseSchedule(v: unknown): Manifest['schedule'] {
  const schedule = obj(v, 'schedule');
  const type = oneOf(schedule.type, 'schedule.type', ['flow-matching'] as const);
  const grid = parseGrid(schedule);
  return {
    type,
    ...grid,
    // The defaults become the page's and the CLI's requests: they obey the same limits.
    defaultGuidance: limited(schedule.defaultGuidance, 'schedule.defaultGuidance', GUIDANCE),
    defaultInnerGuidance: limited(schedule.defaultInnerGuidance, 'schedule.defaultInnerGuidance', INNER_GUIDANCE),
    // Optional: packages from before contrast guidance leave it out, and then it is off.
    defaultContrast: schedule.defaultContrast === undefined ? 0 : limited(schedule.defaultContrast, 'schedule.defaultContrast', CONTRAST),
    defaultSampler: oneOf(schedule.defaultSampler, 'schedule.defaultSampler', SAMPLER_NAMES),
  };
}

/** The levels a run steps through: computed (shift, spacing, any step count) or a fixed list. */
function parseGrid(schedule: Json): Pick<Manifest['schedule'], 'shift' | 'spacing' | 'shiftTerminal' | 'sigmas' | 'defaultSteps'> {
  if (schedule.sigmas === undefined) {
    const grid = {
      shift: positiveNum(schedule.shift, 'schedule.shift'),
      spacing: schedule.spacing === undefined ? DEFAULT_SPACING : oneOf(schedule.spacing, 'schedule.spacing', SIGMA_SPACINGS),
      ...(schedule.shiftTerminal === undefined ? {} : { shiftTerminal: parseShiftTerminal(schedule.shiftTerminal) }),
      defaultSteps: limited(schedule.defaultSteps, 'schedule.defaultSteps', STEPS),
    };
    // The shift alone first, so the field named is the one that breaks the grid.
    const advice = 'give the publisher scheduler\'s shift (flow-matching models use about 1–20) and shift_terminal, or a list in schedule.sigmas';
    const byShift = computedGridProblem(grid.shift, grid.spacing);
    if (byShift) fail('schedule.shift', `is ${grid.shift}, which gives noise levels the engine cannot step through: ${byShift.problem}`, advice);
    const byTerminal = grid.shiftTerminal === undefined ? undefined : computedGridProblem(grid.shift, grid.spacing, grid.shiftTerminal);
    if (byTerminal) fail('schedule.shiftTerminal', `is ${grid.shiftTerminal}, which with shift ${grid.shift} gives noise levels the engine cannot step through: ${byTerminal.problem}`, advice);
    return grid;
  }
  const sigmas = parseSigmas(schedule.sigmas);
  const conflict = sigmaListConflict({ sigmas, shift: schedule.shift, spacing: schedule.spacing, shiftTerminal: schedule.shiftTerminal, defaultSteps: schedule.defaultSteps });
  if (conflict) fail(`schedule.${conflict.field}`, conflict.problem, 'a distilled model\'s list is used as its publisher gives it; fix manifest.json or re-run the converter with --sigmas');
  return { shift: DEFAULT_SHIFT, spacing: DEFAULT_SPACING, sigmas, defaultSteps: sigmas.length };
}

function parseSigmas(v: unknown): number[] {
  const problem = sigmaListProblem(v);
  if (problem) {
    const field = problem.index === undefined ? 'schedule.sigmas' : join('schedule.sigmas', problem.index);
    fail(field, problem.problem, 'give the distilled model\'s noise levels from its publisher, highest first, without the final 0');
  }
  return [...(v as number[])];
}

function parseShiftTerminal(v: unknown): number {
  const problem = shiftTerminalProblem(v);
  if (problem) fail('schedule.shiftTerminal', problem, 'give the publisher scheduler\'s shift_terminal (LTX-Video: 0.1), or leave the field out for no stretch');
  return v as number;
}
