/**
 * The settings of one generation as the form edits them. They are exactly the engine's
 * GenerateRequest with its adapter fields (so history, export metadata and restore all speak one
 * shape), without the per-run `decodeMotion` switch which the app decides.
 */
import { planGuidance } from '../../engine/guidance';
import type { AdapterSettings, GenerateRequest, ModelInfo } from '../../engine/types';
import { attentionProblem, oneSize, presetThatFits } from '../../package/attention-fit';
import {
  OPTIONAL_REQUEST_LIMITS, REQUEST_LIMITS, SAMPLER_NAMES, describeLimit, isSamplerName, isWithin, type LimitedField, type OptionalLimitedField,
} from '../../package/request';
import { MAX_SCENES, type ScenePlan } from '../../package/scenes';
import { fixedStepsNote, stepsFor } from '../../package/schedule';
import { restoredAdapters, validateAdapters } from './adapter-settings';

/**
 * `scenes` (#10): the scene list, when the user planned several scenes. `prompt` then holds the
 * scenes joined (joinScenes), so the history and the heading read as before; the engine is sent
 * promptForEngine (scene-list-state.ts), never `scenes` itself, which the request does not know.
 */
export type GenerationSettings = Omit<GenerateRequest, 'decodeMotion'> & AdapterSettings & { scenes?: ScenePlan };

/** Used until a model is loaded; they mirror docs/model-package.md's example defaults. */
export const FALLBACK_SETTINGS: GenerationSettings = {
  prompt: '',
  negativePrompt: '',
  seed: 42,
  steps: 20,
  guidance: 5,
  innerGuidance: 3,
  contrast: 0,
  sampler: 'euler',
  adapters: [],
  blend: 'constant',
};

/** The model's defaults, keeping what the user already typed. */
export function withModelDefaults(current: GenerationSettings, model: ModelInfo): GenerationSettings {
  const { preset: _preset, ...rest } = current;
  const defaults: GenerationSettings = {
    ...rest,
    steps: model.defaults.steps,
    guidance: model.defaults.guidance,
    innerGuidance: model.hasMotion ? model.defaults.innerGuidance : 0,
    contrast: model.hasContrast ? model.defaults.contrast : 0,
    sampler: model.defaults.sampler,
  };
  // its default size preset (src/package/presets.ts), or the largest this device can make when the
  // default's attention does not fit (src/package/attention-fit.ts); none for a model of one size
  const preset = presetFor(defaults, model);
  return preset === undefined ? defaults : { ...defaults, preset };
}

/**
 * The settings a run on `model` uses: on a model with an explicit sigma list (ModelInfo.fixedSteps)
 * its step count, whatever the form holds, so the request, the history entry and the exported
 * settings all say what was run. The form keeps the user's own number for the next model.
 */
export function settingsForModel<S extends { steps: number; preset?: string } & PassSettings>(settings: S, model: Pick<ModelInfo, 'fixedSteps'> & PresetModel): S {
  const { preset: _preset, ...rest } = settings;
  const preset = presetFor(settings, model);
  return { ...rest, steps: stepsFor(settings.steps, model.fixedSteps), ...(preset === undefined ? {} : { preset }) } as S;
}

/** The settings that decide how many guidance passes a denoiser call holds. */
type PassSettings = Pick<GenerationSettings, 'guidance' | 'innerGuidance' | 'contrast'>;
/** What the page knows of a model's sizes and of this device (ModelInfo). */
type PresetModel = Pick<ModelInfo, 'name' | 'video' | 'presets' | 'defaultPreset' | 'bufferLimits' | 'hasMotion' | 'hasContrast'>;

/**
 * The guidance passes per denoiser call a run of `s` on `model` makes (the engine's batch,
 * guidance.ts planGuidance). A contrast pass is counted whenever it is asked for on a model that
 * has one: whether the prompt has a reading to contrast is the engine's to know, so this may count
 * one more than runs, never fewer.
 */
export function guidancePasses(s: PassSettings, model: Pick<ModelInfo, 'hasMotion' | 'hasContrast'>): number {
  return planGuidance(s.guidance, s.innerGuidance, model.hasMotion, model.hasContrast ? s.contrast ?? 0 : 0).passes.length;
}

/**
 * The size preset a run on `model` makes: the form's when the model has it, else the model's default
 * (the form may still hold another model's preset), or when the default's attention does not fit
 * this device the largest preset that does (presetThatFits); none on a model without presets. A form
 * preset that does not fit is kept: validateSettings refuses it with the reason.
 */
export function presetFor(s: { preset?: string } & PassSettings, model: PresetModel): string | undefined {
  if (!model.presets) return undefined;
  if (model.presets.some((p) => p.name === s.preset)) return s.preset;
  if (model.defaultPreset === undefined) return undefined;
  return presetThatFits(model.presets, model.defaultPreset, guidancePasses(s, model), model.bufferLimits);
}

/**
 * Why the size a run of `s` would make (its preset, or a model without presets its one size) cannot
 * run on this device (one attention step's scores do not fit, src/package/attention-fit.ts: the
 * engine's refusal in the same words), or undefined.
 */
export function presetProblem(s: { preset?: string } & PassSettings, model: PresetModel): string | undefined {
  const name = presetFor(s, model);
  const size = model.presets ? model.presets.find((p) => p.name === name) : oneSize(model.name, model.video);
  return size && attentionProblem(size, guidancePasses(s, model), model.bufferLimits);
}

/** What the form's step control shows: the settings' steps, or the model's fixed count, locked, and why. */
export function stepControl(settings: { steps: number }, model?: Pick<ModelInfo, 'fixedSteps'>): { value: number; fixed: boolean; note?: string } {
  const fixed = model?.fixedSteps;
  if (fixed === undefined) return { value: settings.steps, fixed: false };
  return { value: fixed, fixed: true, note: fixedStepsNote(fixed) };
}

export interface SettingsProblem {
  field: keyof GenerationSettings;
  message: string;
}

/** The form's words for the request's numeric fields. */
const LABELS: Record<LimitedField | OptionalLimitedField, string> = {
  seed: 'Seed', steps: 'Steps', guidance: 'Guidance scale', innerGuidance: 'Inner-Guidance', contrast: 'Shape emphasis',
};

/**
 * Checks the form before it reaches the engine, by the engine's own limits (src/package/request.ts)
 * and, with the loaded `model`, whether its size fits this device (presetProblem); each problem names
 * the field and the values it takes.
 */
export function validateSettings(s: GenerationSettings, model?: PresetModel): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  // With a scene list the plan's own check (checkPlan) names the empty scene instead.
  if (!s.scenes?.length && s.prompt.trim() === '') problems.push({ field: 'prompt', message: 'Describe the clip you want in the prompt.' });
  for (const field of Object.keys(REQUEST_LIMITS) as LimitedField[]) {
    const limit = REQUEST_LIMITS[field];
    if (!isWithin(limit, s[field])) problems.push({ field, message: `${LABELS[field]} must be ${describeLimit(limit)}.` });
  }
  for (const field of Object.keys(OPTIONAL_REQUEST_LIMITS) as OptionalLimitedField[]) {
    const limit = OPTIONAL_REQUEST_LIMITS[field];
    if (s[field] !== undefined && !isWithin(limit, s[field])) problems.push({ field, message: `${LABELS[field]} must be ${describeLimit(limit)}.` });
  }
  if (!isSamplerName(s.sampler)) problems.push({ field: 'sampler', message: `Sampler must be one of ${SAMPLER_NAMES.join(', ')}.` });
  for (const message of validateAdapters(s)) problems.push({ field: 'adapters', message });
  const size = model && presetProblem(s, model);
  if (size) problems.push({ field: 'preset', message: `Size and length: ${size}.` });
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
  for (const field of Object.keys(REQUEST_LIMITS) as LimitedField[]) {
    const value = restored[field];
    if (isWithin(REQUEST_LIMITS[field], value)) merged[field] = value;
  }
  // A record without an optional field was made without it (older files, older history): off.
  for (const field of Object.keys(OPTIONAL_REQUEST_LIMITS) as OptionalLimitedField[]) {
    const value = restored[field];
    if (value === undefined) merged[field] = 0;
    else if (isWithin(OPTIONAL_REQUEST_LIMITS[field], value)) merged[field] = value;
  }
  if (isSamplerName(restored.sampler)) merged.sampler = restored.sampler;
  // A record without a preset was made at its model's own size: the default (settingsForModel).
  if (typeof restored.preset === 'string' && restored.preset !== '') merged.preset = restored.preset;
  else delete merged.preset;
  // Adapters are part of what made the clip: a record without them (older files) means none.
  Object.assign(merged, restoredAdapters(restored));
  // Likewise scenes: a record without them is a one-prompt clip. A plan is kept even when this
  // model would refuse it (an empty scene, a length off its step): the list shows why, and the
  // user's text survives a reload or a restore.
  const scenes = restoredScenes(restored.scenes);
  if (scenes) merged.scenes = scenes;
  else delete merged.scenes;
  return merged;
}

function restoredScenes(v: unknown): ScenePlan | undefined {
  if (!Array.isArray(v) || v.length < 1 || v.length > MAX_SCENES) return undefined;
  const ok = v.every((s) => typeof s === 'object' && s !== null && typeof s.text === 'string' && Number.isFinite(s.frames));
  return ok ? v.map((s: { text: string; frames: number }) => ({ text: s.text, frames: s.frames })) : undefined;
}
