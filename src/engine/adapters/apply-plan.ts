/**
 * Puts a slot plan into the engine's LoRA slots: adapters into their slots, other slots emptied,
 * and the per-call scale function set. After this the next generation runs with the adapters.
 */
import type { LoraSlots } from '../lora-slots';
import { scaleSource } from './scale-source';
import type { SlotPlan } from './slot-plan';

export function applySlotPlan(slots: LoraSlots, plan: SlotPlan): void {
  const used = new Set(plan.entries.map((e) => e.slot));
  for (let s = 0; s < slots.S; s++) if (!used.has(s)) slots.clearAdapter(s);
  for (const e of plan.entries) slots.setAdapter(e.slot, e.adapter);
  slots.setScales(scaleSource(plan.assignments, slots.layout));
}

/** Back to the base model: every slot empty, every scale zero. */
export function clearAdapters(slots: LoraSlots): void {
  for (let s = 0; s < slots.S; s++) slots.clearAdapter(s);
  slots.resetScales();
}
