/**
 * The settings record embedded in every export, so that a dropped file can restore the exact
 * generation (prompt, seed, sampler, model…). It is versioned JSON; the parser is strict: an
 * export from another app, or from a newer Vidlet whose fields we cannot know, is refused
 * with a message rather than half-read.
 */
import type { AdapterChoice, CurveSpec, GenerateResult } from '../engine/types';
import {
  ADAPTER_STRENGTH, BLEND_MODES, CONTRAST, GUIDANCE, INNER_GUIDANCE, SAMPLER_NAMES, SEED, STEPS, describeLimit, isWithin,
  type BlendMode, type NumberLimit, type SamplerName,
} from '../package/request';
import { SCENE_FRAMES, MAX_SCENES, type ScenePlan } from '../package/scenes';
import { BACKENDS, VARIANTS, type Backend, type Variant } from '../package/variants';
import { SettingsError } from './errors';

export const SETTINGS_APP = 'vidlet';
/**
 * The newest version this app reads and writes. Version 2 (#10) added `scenes` and `sceneCheck`;
 * a record without them is still written as version 1, so a one-prompt clip stays readable by an
 * app from before scenes, which refuses version 2 with "update Vidlet" rather than dropping them.
 */
export const SETTINGS_VERSION = 2;
/** The first version that may hold scenes. */
export const SCENES_VERSION = 2;
export type SettingsVersion = 1 | 2;

/** What the cut detector found in the finished clip against what the plan asked for (#10). */
export interface SceneCheck {
  asked: number;
  found: number;
  /** Frames that start a new scene in the clip, ascending (src/media/cut-detector.ts). */
  cuts: number[];
}

export interface ClipSettings {
  app: typeof SETTINGS_APP;
  version: SettingsVersion;
  prompt: string;
  negativePrompt: string;
  seed: number;
  steps: number;
  guidance: number;
  innerGuidance: number;
  /** Contrast guidance's w3 ("Shape emphasis"); absent in files from before it, which were made without it. */
  contrast?: number;
  sampler: SamplerName;
  model: string;
  variant: Variant;
  backend: Backend;
  fps: number;
  frames: number;
  width: number;
  height: number;
  /** ISO 8601 time of the export. */
  createdAt: string;
  /**
   * LoRA adapters the clip was made with, as the request named them (strength, hand-set curve).
   * Absent in files written before adapters existed, and when none were used.
   */
  adapters?: AdapterChoice[];
  /** How identity + motion adapters shared the blocks; absent = 'constant'. */
  blend?: BlendMode;
  /** The scene plan the clip was made from (version 2); absent for a one-prompt clip. */
  scenes?: ScenePlan;
  /** Scenes found in the clip against scenes asked (version 2); absent when no plan was checked. */
  sceneCheck?: SceneCheck;
}

/** The version a record must be written as: 2 only when it holds what version 1 cannot. */
export function versionFor(settings: Pick<ClipSettings, 'scenes' | 'sceneCheck'>): SettingsVersion {
  return settings.scenes !== undefined || settings.sceneCheck !== undefined ? SCENES_VERSION : 1;
}

/** The settings of a finished generation. */
export function settingsFromResult(result: GenerateResult, createdAt: Date = new Date()): ClipSettings {
  const r = result.request;
  return {
    app: SETTINGS_APP,
    version: 1,
    prompt: r.prompt,
    negativePrompt: r.negativePrompt ?? '',
    seed: r.seed,
    steps: r.steps,
    guidance: r.guidance,
    innerGuidance: r.innerGuidance,
    ...(r.contrast !== undefined ? { contrast: r.contrast } : {}),
    sampler: r.sampler,
    model: result.model,
    variant: result.variant,
    backend: result.backend,
    fps: result.fps,
    frames: result.video.frames,
    width: result.video.width,
    height: result.video.height,
    createdAt: createdAt.toISOString(),
    ...(r.adapters?.length ? { adapters: r.adapters.map(copyChoice), ...(r.blend ? { blend: r.blend } : {}) } : {}),
  };
}

/**
 * JSON text of the settings. Non-ASCII characters are written as \uXXXX escapes: the text
 * stays 7-bit (what a GIF comment is specified to hold) and JSON.parse restores it exactly.
 */
export function serializeSettings(settings: ClipSettings): string {
  const checked = parseSettings(settings); // never embed something we could not read back
  return JSON.stringify(checked).replace(
    /[\u007f-\uffff]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

/** Parse and check a settings record (JSON text or an already parsed value). */
export function parseSettings(input: string | unknown): ClipSettings {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new SettingsError(`The embedded settings are not valid JSON (${(e as Error).message}); the file may be damaged.`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SettingsError('The embedded settings are not a JSON object; the file may be damaged.');
  }
  const o = value as Record<string, unknown>;
  if (o.app !== SETTINGS_APP) {
    const who = typeof o.app === 'string' ? `"${o.app}"` : 'another program';
    throw new SettingsError(`These settings were written by ${who}, not by Vidlet, so they cannot be restored.`);
  }
  if (typeof o.version !== 'number' || !Number.isInteger(o.version) || o.version < 1) {
    throw new SettingsError(`The settings version ${JSON.stringify(o.version)} is not a positive integer; the file may be damaged.`);
  }
  if (o.version > SETTINGS_VERSION) {
    throw new SettingsError(
      `settings version ${o.version} is newer than this app (it reads version ${SETTINGS_VERSION}): update Vidlet to restore this clip.`,
    );
  }
  if (o.version < SCENES_VERSION && (o.scenes !== undefined || o.sceneCheck !== undefined)) {
    throw new SettingsError(`Settings version ${o.version} cannot hold scenes, yet these do; the file may be damaged.`);
  }
  return {
    app: SETTINGS_APP,
    version: o.version as SettingsVersion,
    prompt: str(o, 'prompt'),
    negativePrompt: str(o, 'negativePrompt'),
    // The engine's limits: a clip it made can always be written, and one that reads back can be made again.
    seed: limited(o, 'seed', SEED),
    steps: limited(o, 'steps', STEPS),
    guidance: limited(o, 'guidance', GUIDANCE),
    innerGuidance: limited(o, 'innerGuidance', INNER_GUIDANCE),
    ...(o.contrast !== undefined ? { contrast: limited(o, 'contrast', CONTRAST) } : {}),
    sampler: oneOf(o, 'sampler', SAMPLER_NAMES),
    model: str(o, 'model'),
    variant: oneOf(o, 'variant', VARIANTS),
    backend: oneOf(o, 'backend', BACKENDS),
    fps: positive(o, 'fps'),
    frames: int(o, 'frames', 1),
    width: int(o, 'width', 1),
    height: int(o, 'height', 1),
    createdAt: date(o, 'createdAt'),
    ...(o.adapters !== undefined ? { adapters: adapters(o.adapters) } : {}),
    ...(o.blend !== undefined ? { blend: oneOf(o, 'blend', BLEND_MODES) } : {}),
    ...(o.scenes !== undefined ? { scenes: scenes(o.scenes) } : {}),
    ...(o.sceneCheck !== undefined ? { sceneCheck: sceneCheck(o.sceneCheck) } : {}),
  };
}

/**
 * The scene plan: texts and lengths within the contract (src/package/scenes.ts). A model's own
 * narrower limits are checked when the plan is used, as the CLI does, so a clip whose model is
 * not loaded still restores.
 */
function scenes(v: unknown): ScenePlan {
  if (!Array.isArray(v) || v.length < 1 || v.length > MAX_SCENES) throw fieldError('scenes', `a list of 1 to ${MAX_SCENES} scenes`, v);
  return v.map((s, i) => {
    const field = `scenes[${i}]`;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw fieldError(field, 'an object', s);
    const o = s as Record<string, unknown>;
    return { text: str(o, 'text', `${field}.text`), frames: limited(o, 'frames', SCENE_FRAMES, `${field}.frames`) };
  });
}

function sceneCheck(v: unknown): SceneCheck {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fieldError('sceneCheck', 'an object', v);
  const o = v as Record<string, unknown>;
  const cuts = o.cuts;
  if (!Array.isArray(cuts) || !cuts.every((c) => Number.isSafeInteger(c) && (c as number) > 0)) {
    throw fieldError('sceneCheck.cuts', 'a list of frame numbers above 0', cuts);
  }
  return { asked: int(o, 'asked', 1, 'sceneCheck.asked'), found: int(o, 'found', 1, 'sceneCheck.found'), cuts: (cuts as number[]).slice() };
}

/** The adapters list: names, optional strengths and curves (the engine checks curves against the model). */
function adapters(v: unknown): AdapterChoice[] {
  if (!Array.isArray(v)) throw fieldError('adapters', 'a list', v);
  return v.map((a, i) => {
    const field = `adapters[${i}]`;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) throw fieldError(field, 'an object', a);
    const o = a as Record<string, unknown>;
    if (typeof o.name !== 'string' || o.name === '') throw fieldError(`${field}.name`, 'a name', o.name);
    const choice: AdapterChoice = { name: o.name };
    if (o.strength !== undefined) choice.strength = limited(o, 'strength', ADAPTER_STRENGTH, `${field}.strength`);
    if (o.schedule !== undefined) choice.schedule = curve(o.schedule, `${field}.schedule`);
    return choice;
  });
}

function curve(v: unknown, field: string): CurveSpec {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fieldError(field, 'a curve object', v);
  const o = v as Record<string, unknown>;
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  if (!Array.isArray(o.points) || !o.points.every((p) => Array.isArray(p) && p.length === 2 && p.every(finite))) {
    throw fieldError(`${field}.points`, 'a list of [position, weight] number pairs', o.points);
  }
  const spec: CurveSpec = { points: (o.points as [number, number][]).map(([x, y]) => [x, y]) };
  if (o.axis !== undefined) spec.axis = oneOf(o, 'axis', ['t', 'progress'] as const);
  if (o.groups !== undefined) {
    if (!Array.isArray(o.groups) || !o.groups.every((g) => Array.isArray(g) && g.every((d) => Number.isInteger(d)))) {
      throw fieldError(`${field}.groups`, 'a list of lists of block indices', o.groups);
    }
    spec.groups = (o.groups as number[][]).map((g) => g.slice());
  }
  if (o.multipliers !== undefined) {
    if (!Array.isArray(o.multipliers) || !o.multipliers.every(finite)) throw fieldError(`${field}.multipliers`, 'a list of numbers', o.multipliers);
    spec.multipliers = (o.multipliers as number[]).slice();
  }
  return spec;
}

function copyChoice(c: AdapterChoice): AdapterChoice {
  return {
    name: c.name,
    ...(c.strength !== undefined ? { strength: c.strength } : {}),
    ...(c.schedule ? { schedule: JSON.parse(JSON.stringify(c.schedule)) as CurveSpec } : {}),
  };
}

function fieldError(field: string, expected: string, got: unknown): SettingsError {
  return new SettingsError(`The settings field "${field}" should be ${expected} but is ${JSON.stringify(got) ?? 'missing'}; the file may be damaged.`);
}

function str(o: Record<string, unknown>, key: string, field: string = key): string {
  const v = o[key];
  if (typeof v !== 'string') throw fieldError(field, 'a string', v);
  return v;
}

function num(o: Record<string, unknown>, field: string): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fieldError(field, 'a finite number', v);
  return v;
}

function limited(o: Record<string, unknown>, key: string, limit: NumberLimit, field: string = key): number {
  const v = o[key];
  if (!isWithin(limit, v)) throw fieldError(field, describeLimit(limit), v);
  return v;
}

function positive(o: Record<string, unknown>, field: string): number {
  const v = num(o, field);
  if (v <= 0) throw fieldError(field, 'a number above 0', v);
  return v;
}

function int(o: Record<string, unknown>, key: string, min: number, field: string = key): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw fieldError(field, `an integer ≥ ${min}`, v);
  return v;
}

function oneOf<T extends string>(o: Record<string, unknown>, field: string, allowed: readonly T[]): T {
  const v = o[field];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw fieldError(field, `one of ${allowed.join(', ')}`, v);
  }
  return v as T;
}

function date(o: Record<string, unknown>, field: string): string {
  const v = str(o, field);
  if (Number.isNaN(Date.parse(v))) throw fieldError(field, 'an ISO 8601 date', v);
  return v;
}
