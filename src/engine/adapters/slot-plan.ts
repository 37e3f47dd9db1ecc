/**
 * Which loaded adapter goes into which LoRA slot, with which strength and schedule: the pure
 * part of `--lora NAME[:STRENGTH]` / `--blend dualreal|constant` and of dropping adapters on
 * the page. The result feeds `loraScalesForStep` every step and tells the slot writer where
 * each adapter's down/up rows go.
 */
import type { LoadedAdapter } from './adapter';
import { AdapterError } from './errors';
import { CONSTANT, type SlotAssignment } from './schedule';
import type { StageBlender } from './stage-blender';
import type { BlendMode } from '../../package/request';


/** One `--lora` request: adapter name and optional strength (default: its recommended one). */
export interface LoraRequest {
  name: string;
  strength?: number;
}

/** Parses `NAME` or `NAME:STRENGTH` (e.g. `pip:0.8`, `figure-eight:-0.5`). */
export function parseLoraRequest(text: string): LoraRequest {
  const m = /^([a-z0-9][a-z0-9-]{0,63})(?::(.*))?$/.exec(text.trim());
  if (!m) {
    throw new AdapterError(text, 'name', `--lora "${text}": expected NAME or NAME:STRENGTH, where NAME is the adapter's name (a-z, 0-9, '-').`);
  }
  if (m[2] === undefined) return { name: m[1]! };
  const strength = Number(m[2]);
  if (m[2].trim() === '' || !Number.isFinite(strength)) {
    throw new AdapterError(m[1]!, 'strength', `--lora "${text}": strength "${m[2]}" is not a number (e.g. ${m[1]}:0.8).`);
  }
  return { name: m[1]!, strength };
}

export interface SlotPlanEntry {
  adapter: LoadedAdapter;
  slot: number;
  strength: number;
}

export interface SlotPlan {
  entries: SlotPlanEntry[];
  assignments: SlotAssignment[];
}

/**
 * Puts each adapter into a slot: the slot named like its kind ('identity', 'motion') when free,
 * otherwise the first free slot. With `dualreal`, the identity and motion adapters named by the
 * blender table get its schedule (the others stay constant); it is an error if they are not both
 * loaded, since the table was trained for that pair only.
 */
export function planSlots(
  requests: readonly { adapter: LoadedAdapter; strength?: number }[],
  slotNames: readonly string[],
  mode: BlendMode,
  blender?: StageBlender,
): SlotPlan {
  if (requests.length > slotNames.length) {
    throw new AdapterError(
      requests.map((r) => r.adapter.description.name).join(', '),
      'slots',
      `${requests.length} adapters were asked for, but this model has ${slotNames.length} LoRA slot(s) (${slotNames.join(', ')}); use at most ${slotNames.length}.`,
    );
  }
  const taken = new Set<number>();
  const entries: SlotPlanEntry[] = [];
  const seen = new Set<string>();
  // Kind-named slots first, so a style adapter listed before an identity one cannot take its slot.
  const order = [...requests.keys()].sort((a, b) => Number(slotNames.includes(requests[b]!.adapter.description.kind)) - Number(slotNames.includes(requests[a]!.adapter.description.kind)));
  const slotOf = new Map<number, number>();
  for (const i of order) {
    const { adapter } = requests[i]!;
    const name = adapter.description.name;
    if (seen.has(name)) throw new AdapterError(name, 'name', `adapter "${name}" was asked for twice; give it once with the strength you want.`);
    seen.add(name);
    let slot = slotNames.indexOf(adapter.description.kind);
    if (slot < 0 || taken.has(slot)) slot = slotNames.findIndex((_, s) => !taken.has(s));
    taken.add(slot);
    slotOf.set(i, slot);
  }
  requests.forEach(({ adapter, strength }, i) => {
    entries.push({ adapter, slot: slotOf.get(i)!, strength: strength ?? adapter.description.recommendedStrength });
  });

  const assignments: SlotAssignment[] = entries.map((e) => ({ slot: e.slot, strength: e.strength, schedule: CONSTANT }));
  if (mode === 'dualreal') {
    if (!blender) {
      throw new AdapterError('blender', 'blender', 'DualReal blending needs a StageBlender table, and this model lists none; use constant blending (CLI: --blend constant).');
    }
    const { identity, motion } = blender.table;
    const find = (name: string) => entries.findIndex((e) => e.adapter.description.name === name);
    const id = find(identity);
    const mo = find(motion);
    if (missingFromPair(blender.table, entries.map((e) => e.adapter.description.name)).length > 0) {
      throw new AdapterError(
        blender.table.identity,
        'blender',
        `DualReal blending: the StageBlender table was trained for "${identity}" + "${motion}"; enable both (CLI: --lora ${identity} --lora ${motion}) or use constant blending.`,
      );
    }
    assignments[id] = { ...assignments[id]!, schedule: { type: 'dualreal', blender, role: 'identity' } };
    assignments[mo] = { ...assignments[mo]!, schedule: { type: 'dualreal', blender, role: 'motion' } };
  }
  return { entries, assignments };
}

/**
 * The adapters of a StageBlender table's pair that are not enabled. DualReal needs both (the table
 * was trained for that pair), and with both enabled it is the default blend: the one rule the
 * engine, the page and the CLI apply.
 */
export function missingFromPair(pair: { identity: string; motion: string }, enabled: Iterable<string>): string[] {
  const on = new Set(enabled);
  return [pair.identity, pair.motion].filter((n) => !on.has(n));
}
