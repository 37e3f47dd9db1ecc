/**
 * The adapter part of the generation settings (`adapters: [{name, strength, schedule?}]`,
 * `blend`), as the adapters panel edits it. Pure: every function takes settings and returns the
 * changed adapter fields, so the panel, restore and tests share one set of rules.
 *
 * The panel's three blend choices map onto the engine request like this:
 *  - constant: blend 'constant', no curves (each adapter at its strength everywhere);
 *  - dualreal: blend 'dualreal', no curves (the shipped StageBlender table shares the blocks);
 *  - curve:    blend 'constant', every enabled adapter carries a hand-set curve.
 * A disabled adapter is simply absent from `adapters`.
 */
import type { AdapterChoice, AdapterInfo, AdapterSettings, BlendMode, BlenderInfo, CurveSpec } from '../../engine/types';
import { evenBlockGroups } from '../../engine/adapters/block-groups';
import { checkCurvePoints } from '../../engine/adapters/schedule';
import { missingFromPair } from '../../engine/adapters/slot-plan';
import { ADAPTER_STRENGTH, BLEND_MODES, describeLimit, isWithin } from '../../package/request';

/** The engine's blend modes, plus the panel's own 'curve' (blend 'constant' with hand-set curves). */
export const BLEND_CHOICES = [...BLEND_MODES, 'curve'] as const;
export type BlendChoice = (typeof BLEND_CHOICES)[number];

/** The strength slider's range, where the shipped adapters are useful; typed values may go to ADAPTER_STRENGTH. */
export const STRENGTH_RANGE = { min: -1, max: 2, step: 0.05 } as const;
/** A hand-set curve keeps few points so it stays editable with numbers. */
export const MAX_CURVE_POINTS = 8;

type Adapters = Required<AdapterSettings>;

/** Which of the panel's choices the settings are in. */
export function blendChoiceOf(s: AdapterSettings): BlendChoice {
  if (s.blend === 'dualreal') return 'dualreal';
  return s.adapters?.some((a) => a.schedule) ? 'curve' : 'constant';
}

/** A flat curve at 1 with one multiplier per group: the same clip as constant strength, ready to shape. */
export function defaultCurve(groups: number[][]): CurveSpec {
  return { axis: 't', points: [[0, 1], [0.5, 1], [1, 1]], groups: groups.map((g) => g.slice()), multipliers: groups.map(() => 1) };
}

/** Contiguous, near-equal block groups: the engine's split, with the count clamped to 1…depth. */
export function evenGroups(depth: number, count = 3): number[][] {
  return evenBlockGroups(depth, Math.max(1, Math.min(count, depth)));
}

export function withBlendChoice(s: AdapterSettings, choice: BlendChoice, groups: number[][]): Adapters {
  const list = s.adapters ?? [];
  if (choice === 'curve') return { blend: 'constant', adapters: list.map((a) => ({ ...a, schedule: a.schedule ?? defaultCurve(groups) })) };
  return { blend: choice, adapters: list.map(({ schedule: _dropped, ...a }) => a) };
}

export function withAdapterEnabled(s: AdapterSettings, name: string, enabled: boolean, strength: number, groups: number[][]): Adapters {
  const list = (s.adapters ?? []).filter((a) => a.name !== name);
  const blend = s.blend ?? 'constant';
  if (!enabled) return { blend, adapters: list };
  const choice: AdapterChoice = { name, strength };
  if (blendChoiceOf(s) === 'curve') choice.schedule = defaultCurve(groups);
  return { blend, adapters: [...list, choice] };
}

export function withAdapterStrength(s: AdapterSettings, name: string, strength: number): Adapters {
  return { blend: s.blend ?? 'constant', adapters: (s.adapters ?? []).map((a) => (a.name === name ? { ...a, strength } : a)) };
}

export function withAdapterCurve(s: AdapterSettings, name: string, schedule: CurveSpec): Adapters {
  return { blend: s.blend ?? 'constant', adapters: (s.adapters ?? []).map((a) => (a.name === name ? { ...a, schedule } : a)) };
}

/** After an adapter is deleted: it leaves the settings; DualReal without its pair falls back to constant. */
export function withoutAdapter(s: AdapterSettings, name: string): Adapters {
  return { blend: s.blend ?? 'constant', adapters: (s.adapters ?? []).filter((a) => a.name !== name) };
}

/** DualReal applies when the model ships a table and both adapters it was trained for are enabled. */
export function dualRealProblem(blender: BlenderInfo | undefined, s: AdapterSettings, blenderProblem?: string): string | undefined {
  if (!blender) return blenderProblem ?? 'This model ships no StageBlender table, so DualReal blending is not available.';
  const missing = missingFromPair(blender, (s.adapters ?? []).map((a) => a.name));
  if (missing.length) return `DualReal blends "${blender.identity}" (identity) with "${blender.motion}" (motion): enable ${missing.map((n) => `"${n}"`).join(' and ')}.`;
  return undefined;
}

/**
 * True when a change enables the second adapter of the StageBlender's pair while blending is
 * plain constant: the pair was trained together with that table (both adapters active, weighted
 * by it), so the page switches to DualReal then, as the model package intends; the user can
 * switch back. A hand-set curve is never replaced.
 */
export function completesBlenderPair(blender: BlenderInfo | undefined, before: AdapterSettings, after: AdapterSettings): boolean {
  if (!blender || blendChoiceOf(after) !== 'constant') return false;
  return !!dualRealProblem(blender, before) && !dualRealProblem(blender, after);
}

/** Problems with the adapter settings that the engine would refuse less clearly (one sentence each). */
export function validateAdapters(s: AdapterSettings): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const a of s.adapters ?? []) {
    if (seen.has(a.name)) problems.push(`Adapter "${a.name}" is listed twice; keep one.`);
    seen.add(a.name);
    if (a.strength !== undefined && !isWithin(ADAPTER_STRENGTH, a.strength)) {
      problems.push(`Adapter "${a.name}": strength must be ${describeLimit(ADAPTER_STRENGTH)}.`);
    }
    const curve = a.schedule;
    if (curve) {
      if (curve.points.length < 1 || curve.points.length > MAX_CURVE_POINTS) problems.push(`Adapter "${a.name}": a curve needs 1 to ${MAX_CURVE_POINTS} points.`);
      else {
        try {
          checkCurvePoints(curve); // the engine's own rule, so the form refuses what the engine would
        } catch (e) {
          problems.push(`Adapter "${a.name}": ${(e as Error).message}`);
        }
      }
      if (curve.multipliers && !curve.multipliers.every(Number.isFinite)) problems.push(`Adapter "${a.name}": every block-group multiplier must be a number.`);
    }
  }
  return problems;
}

/**
 * The adapter fields of settings read back from history, a file or localStorage: kept when well
 * formed (the engine checks curves against the model), and none when the record has no adapters.
 */
export function restoredAdapters(restored: { adapters?: unknown; blend?: unknown }): Adapters {
  const adapters: AdapterChoice[] = [];
  if (Array.isArray(restored.adapters)) {
    for (const raw of restored.adapters as unknown[]) {
      if (typeof raw !== 'object' || raw === null) continue;
      const a = raw as Record<string, unknown>;
      if (typeof a.name !== 'string' || a.name === '') continue;
      const choice: AdapterChoice = { name: a.name };
      if (typeof a.strength === 'number' && Number.isFinite(a.strength)) choice.strength = a.strength;
      const curve = a.schedule as CurveSpec | undefined;
      if (curve && typeof curve === 'object' && Array.isArray(curve.points)) choice.schedule = JSON.parse(JSON.stringify(curve)) as CurveSpec;
      adapters.push(choice);
    }
  }
  const blend: BlendMode = restored.blend === 'dualreal' && adapters.length > 0 ? 'dualreal' : 'constant';
  return { adapters, blend };
}

/**
 * Enabled adapters whose trigger words are all absent from the prompt (whole words, any case).
 * Shown as a hint; the prompt is never edited for the user.
 */
export function missingTriggerWords(prompt: string, choices: readonly AdapterChoice[], infos: readonly AdapterInfo[]): { name: string; words: string[] }[] {
  // Words joined by single spaces, so "figure-eight" in the prompt matches the trigger "figure eight" (and back).
  const normal = (text: string) => ` ${text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).join(' ')} `;
  const text = normal(prompt);
  const out: { name: string; words: string[] }[] = [];
  for (const c of choices) {
    const triggers = infos.find((i) => i.name === c.name)?.triggerWords ?? [];
    if (triggers.length === 0) continue;
    const present = triggers.some((t) => normal(t).trim() !== '' && text.includes(normal(t)));
    if (!present) out.push({ name: c.name, words: triggers.slice() });
  }
  return out;
}

/** One line for history and compare: "pip 0.8, figure-eight 1 (curve) · DualReal", or "none". */
export function describeAdapters(s: AdapterSettings): string {
  const list = s.adapters ?? [];
  if (list.length === 0) return 'none';
  const items = list.map((a) => `${a.name} ${a.strength === undefined ? '(recommended)' : String(Math.round(a.strength * 100) / 100)}${a.schedule ? ' (curve)' : ''}`);
  return items.join(', ') + (s.blend === 'dualreal' ? ' · DualReal' : '');
}

/**
 * Splits the prompt's unknown words into those nothing in the run has learned and those that are
 * trigger words of an enabled adapter: an adapter's LoRA acts whatever the text encoder makes of
 * its trigger word (the base vocabulary has no "pip"), so telling the user such a word "will have
 * little effect" would be wrong while the adapter is on.
 */
export function splitUnknownWords(
  unknown: readonly string[],
  choices: readonly AdapterChoice[],
  infos: readonly AdapterInfo[],
): { unlearned: string[]; carried: { word: string; adapter: string }[] } {
  const owner = new Map<string, string>();
  for (const c of choices) {
    if (c.strength === 0) continue;
    for (const t of infos.find((i) => i.name === c.name)?.triggerWords ?? []) {
      for (const w of t.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean)) if (!owner.has(w)) owner.set(w, c.name);
    }
  }
  const unlearned: string[] = [];
  const carried: { word: string; adapter: string }[] = [];
  for (const word of unknown) {
    const adapter = owner.get(word.toLowerCase());
    if (adapter) carried.push({ word, adapter });
    else unlearned.push(word);
  }
  return { unlearned, carried };
}
