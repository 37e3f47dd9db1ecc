/**
 * Connects stage schedules to the engine's LoRA slots (src/engine/lora-slots.ts): a function
 * that LoraSlots.setScales accepts and that gives, for each denoiser call, the [S, D] row of
 * lora_scales. The pipeline passes the call's `t` (the value it feeds the denoiser's `timestep`,
 * after the schedule shift; Heun's corrector call has its own t) and its step index.
 */
import type { LoraLayout } from '../lora-slots';
import { ScheduleError } from './errors';
import { loraScalesForStep, type SlotAssignment } from './schedule';

/** The context LoraSlots hands its scale function for one denoiser call. */
export interface SlotCallContext {
  stepIndex: number;
  t: number;
  steps: number;
}

/**
 * A per-call scale function for `assignments` on a model with these slots and depth. The
 * assignments are checked here once (slots, strengths, schedule values), so a mistake surfaces
 * when the adapters are set, not in the middle of a generation.
 */
export function scaleSource(
  assignments: readonly SlotAssignment[],
  layout: Pick<LoraLayout, 'slots' | 'depth'>,
): (ctx: SlotCallContext) => Float32Array {
  const shape = { slots: layout.slots.length, depth: layout.depth };
  const list = assignments.slice();
  for (const t of [0, 0.5, 1]) {
    const row = loraScalesForStep(list, shape, { t, progress: t });
    const bad = row.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ScheduleError('schedule', `the LoRA scale for slot ${Math.floor(bad / shape.depth)}, block ${bad % shape.depth} is ${row[bad]} at t = ${t}; check the strength and schedule.`);
  }
  return ({ stepIndex, t, steps }) =>
    loraScalesForStep(list, shape, { t, progress: steps > 1 ? stepIndex / (steps - 1) : 0 });
}
