/**
 * The settings of one generation as the form edits them. They are exactly the engine's
 * GenerateRequest with its adapter fields (so history, export metadata and restore all speak one
 * shape), without the per-run `decodeMotion` switch which the app decides.
 */
import type { AdapterSettings, GenerateRequest, ModelInfo, SamplerName } from '../../engine/types';
import { restoredAdapters, validateAdapters } from './adapter-settings';

export type GenerationSettings = Omit<GenerateRequest, 'decodeMotion'> & AdapterSettings;

export const SAMPLERS: readonly SamplerName[] = ['euler', 'heun', 'euler-ancestral'];

/** Used until a model is loaded; they mirror docs/model-package.md's example defaults. */
export const FALLBACK_SETTINGS: GenerationSettings = {
  prompt: '',
  negativePrompt: '',
  seed: 42,
  steps: 20,
  guidance: 5,
  innerGuidance: 3,
  sampler: 'euler',
  adapters: [],
  blend: 'constant',
};

/** Seeds stay within 2^31 so they survive JSON, URLs and every engine's integer parsing. */
export const MAX_SEED = 2 ** 31 - 1;

export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * MAX_SEED);
}

/** The model's defaults, keeping what the user already typed. */
export function withModelDefaults(current: GenerationSettings, model: ModelInfo): GenerationSettings {
  return {
    ...current,
    steps: model.defaults.steps,
    guidance: model.defaults.guidance,
    innerGuidance: model.hasMotion ? model.defaults.innerGuidance : 0,
    sampler: model.defaults.sampler,
  };
}

export interface SettingsProblem {
  field: keyof GenerationSettings;
  message: string;
}

/** Checks the form before it reaches the engine; each problem names the field and the fix. */
export function validateSettings(s: GenerationSettings): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  if (s.prompt.trim() === '') problems.push({ field: 'prompt', message: 'Describe the clip you want in the prompt.' });
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > MAX_SEED)
    problems.push({ field: 'seed', message: `Seed must be a whole number from 0 to ${MAX_SEED}.` });
  if (!Number.isInteger(s.steps) || s.steps < 1 || s.steps > 200)
    problems.push({ field: 'steps', message: 'Steps must be a whole number from 1 to 200.' });
  if (!Number.isFinite(s.guidance) || s.guidance < 1 || s.guidance > 30)
    problems.push({ field: 'guidance', message: 'Guidance scale must be between 1 and 30 (1 turns it off).' });
  if (!Number.isFinite(s.innerGuidance) || s.innerGuidance < 0 || s.innerGuidance > 30)
    problems.push({ field: 'innerGuidance', message: 'Inner-Guidance must be between 0 and 30 (0 turns it off).' });
  if (!SAMPLERS.includes(s.sampler)) problems.push({ field: 'sampler', message: `Sampler must be one of ${SAMPLERS.join(', ')}.` });
  for (const message of validateAdapters(s)) problems.push({ field: 'adapters', message });
  return problems;
}

/**
 * Settings read back from an exported file or a history entry may be partial or come from an
 * older version: keep the fields that are valid, fall back to the current ones for the rest.
 */
export function mergeRestoredSettings(current: GenerationSettings, restored: Partial<GenerationSettings>): GenerationSettings {
  const merged: GenerationSettings = { ...current };
  if (typeof restored.prompt === 'string') merged.prompt = restored.prompt;
  if (typeof restored.negativePrompt === 'string') merged.negativePrompt = restored.negativePrompt;
  if (typeof restored.seed === 'number' && Number.isInteger(restored.seed)) merged.seed = restored.seed;
  if (typeof restored.steps === 'number' && Number.isInteger(restored.steps)) merged.steps = restored.steps;
  if (typeof restored.guidance === 'number' && Number.isFinite(restored.guidance)) merged.guidance = restored.guidance;
  if (typeof restored.innerGuidance === 'number' && Number.isFinite(restored.innerGuidance))
    merged.innerGuidance = restored.innerGuidance;
  if (typeof restored.sampler === 'string' && SAMPLERS.includes(restored.sampler)) merged.sampler = restored.sampler;
  // Adapters are part of what made the clip: a record without them (older files) means none.
  Object.assign(merged, restoredAdapters(restored));
  return merged;
}
