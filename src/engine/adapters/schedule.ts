/**
 * Stage schedules: how strongly each loaded adapter acts at a denoising step, per block.
 * weight(step, block) = strength · schedule(t or progress, block), written into the denoiser's
 * `lora_scales` row [S, D] for that step (docs/model-package.md, "LoRA slots"). Changing the
 * scales per step needs no new session, which is what DualReal's stage blending relies on.
 *
 * Three schedules:
 *  - constant: the plain LoRA (weight = strength everywhere);
 *  - curve: a hand-set piecewise-linear curve over t or progress, times one multiplier per block
 *    group (e.g. "motion strong early and deep, fading late");
 *  - dualreal: the exported StageBlender table: α(t, group) for identity, c − α for motion.
 *
 * All pure: the engine calls `loraScalesForStep` with the timestep it feeds the denoiser.
 */
import { groupOfBlock, type BlockGroups } from './block-groups';
import { ScheduleError } from './errors';
import { checkKnots, interpolate } from './piecewise-linear';
import { blenderAlpha, type StageBlender } from './stage-blender';

/** Where in the denoising run a denoiser call happens. */
export interface StepContext {
  /** The timestep fed to the denoiser for this call (after any schedule shift), t = 1 pure noise. */
  t: number;
  /** Step index / (steps − 1): 0 at the first step, 1 at the last (0 for a one-step run). */
  progress: number;
}

/** The step contexts of a run that calls the denoiser once per step at these timesteps. */
export function stepContexts(timesteps: readonly number[]): StepContext[] {
  const n = timesteps.length;
  return timesteps.map((t, i) => ({ t, progress: n > 1 ? i / (n - 1) : 0 }));
}

export interface ConstantSchedule {
  type: 'constant';
}

export interface CurveSchedule {
  type: 'curve';
  axis: 't' | 'progress';
  /** Knots: strictly ascending positions in [0,1] and the weight at each. */
  at: number[];
  weight: number[];
  /** Multiplier for each block (from the per-group multipliers), or null for 1 everywhere. */
  blockMultiplier: Float64Array | null;
}

export interface DualRealSchedule {
  type: 'dualreal';
  blender: StageBlender;
  /** identity takes α, motion takes c − α. */
  role: 'identity' | 'motion';
}

export type StageSchedule = ConstantSchedule | CurveSchedule | DualRealSchedule;

/** A hand-set curve as users and the CLI write it (JSON-friendly). */
export interface CurveSpec {
  axis?: 't' | 'progress';
  /** [position, weight] pairs, positions strictly ascending in [0,1]. */
  points: [number, number][];
  /** Partition of the blocks into groups, and one multiplier per group (both or neither). */
  groups?: BlockGroups;
  multipliers?: number[];
}

export const CONSTANT: ConstantSchedule = { type: 'constant' };

const curveFail = (field: string, why: string): never => {
  throw new ScheduleError(field, `Strength curve: ${field} ${why}.`);
};

/**
 * The checks of a hand-set curve that need no model: its axis and its points (positions strictly
 * ascending in [0, 1], finite weights). The page runs them on its form; curveSchedule adds the
 * block groups, which need the model's depth. Throws ScheduleError naming the field.
 */
export function checkCurvePoints(spec: CurveSpec): void {
  const fail = curveFail;
  const axis = spec.axis ?? 't';
  if (axis !== 't' && axis !== 'progress') fail('axis', `must be "t" or "progress", but it is ${JSON.stringify(axis)}`);
  if (!Array.isArray(spec.points)) fail('points', 'must be a list of [position, weight] pairs');
  spec.points.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) fail(`points[${i}]`, 'must be a [position, weight] pair');
    // String(NaN) rather than JSON.stringify(NaN), which would say "null".
    if (typeof p[1] !== 'number' || !Number.isFinite(p[1])) fail(`points[${i}][1]`, `is ${typeof p[1] === 'number' ? String(p[1]) : JSON.stringify(p[1])}, not a finite weight`);
  });
  checkKnots(spec.points.map((p) => p[0]), 0, 1, (i, why) => fail(i === null ? 'points' : `points[${i}][0]`, why));
}

/** Validates a hand-set curve for a model of `depth` blocks. */
export function curveSchedule(spec: CurveSpec, depth: number): CurveSchedule {
  const fail = curveFail;
  checkCurvePoints(spec);
  const axis = spec.axis ?? 't';
  const at = spec.points.map((p) => p[0]);
  let blockMultiplier: Float64Array | null = null;
  if (spec.groups !== undefined || spec.multipliers !== undefined) {
    const owner = groupOfBlock(spec.groups, depth, 'groups');
    const m = spec.multipliers;
    if (!Array.isArray(m) || m.length !== spec.groups!.length) fail('multipliers', `must hold one number per group (${spec.groups!.length})`);
    m!.forEach((v, g) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`multipliers[${g}]`, `is ${JSON.stringify(v)}, not a finite number`);
    });
    blockMultiplier = Float64Array.from(owner, (g) => m![g]!);
  }
  return { type: 'curve', axis, at, weight: spec.points.map((p) => p[1]), blockMultiplier };
}

/** The schedule's weight (before strength) at a step for block `block`. */
export function scheduleWeight(schedule: StageSchedule, ctx: StepContext, block: number): number {
  switch (schedule.type) {
    case 'constant':
      return 1;
    case 'curve': {
      const x = schedule.axis === 't' ? ctx.t : ctx.progress;
      const w = interpolate(schedule.at, schedule.weight, x);
      return schedule.blockMultiplier ? w * schedule.blockMultiplier[block]! : w;
    }
    case 'dualreal': {
      const alpha = blenderAlpha(schedule.blender, ctx.t, block);
      return schedule.role === 'identity' ? alpha : schedule.blender.table.c - alpha;
    }
  }
}

/** One loaded adapter's place in the scales: its slot, the user's strength and its schedule. */
export interface SlotAssignment {
  /** Index into manifest.lora.slots. */
  slot: number;
  strength: number;
  schedule: StageSchedule;
}

/**
 * The lora_scales row [S, D] (slot-major) for one denoiser call. Slots without an adapter stay 0,
 * which makes them exact no-ops. The engine copies the row into every batch entry: guidance
 * passes (cond / uncond / motion-dropped / contrast) use the same scales.
 */
export function loraScalesForStep(
  assignments: readonly SlotAssignment[],
  layout: { slots: number; depth: number },
  ctx: StepContext,
): Float32Array {
  const { slots: S, depth: D } = layout;
  const row = new Float32Array(S * D);
  const used = new Set<number>();
  for (const a of assignments) {
    if (!Number.isInteger(a.slot) || a.slot < 0 || a.slot >= S) {
      throw new ScheduleError('slot', `LoRA slot ${a.slot} does not exist: this model has ${S} slot(s), 0…${S - 1}.`);
    }
    if (used.has(a.slot)) throw new ScheduleError('slot', `two adapters were given LoRA slot ${a.slot}; each slot holds one adapter.`);
    used.add(a.slot);
    if (!Number.isFinite(a.strength)) throw new ScheduleError('strength', `adapter strength ${a.strength} is not a finite number.`);
    for (let d = 0; d < D; d++) row[a.slot * D + d] = a.strength * scheduleWeight(a.schedule, ctx, d);
  }
  return row;
}

/** The DualReal pair: identity and motion adapters sharing one blender table. */
export function dualRealAssignments(
  blender: StageBlender,
  identity: { slot: number; strength: number },
  motion: { slot: number; strength: number },
): SlotAssignment[] {
  return [
    { slot: identity.slot, strength: identity.strength, schedule: { type: 'dualreal', blender, role: 'identity' } },
    { slot: motion.slot, strength: motion.strength, schedule: { type: 'dualreal', blender, role: 'motion' } },
  ];
}
