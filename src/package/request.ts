/**
 * What a generation request may hold: the sampler and blend names and the range of every number.
 * The engine (checkRequest), the CLI flags, the page's form, the settings embedded in exports
 * and the manifest's schedule defaults all check against these, so a request one layer accepts
 * is never refused by another halfway through (a clip generated and then lost at export).
 * Pure data and checks: this module imports nothing, so every layer, the store included, may use it.
 */

/**
 * 'x0-renoise' is the consistency-style sampler of few-step distilled models (predict x₀, re-noise
 * to the next level with fresh seeded noise: src/engine/schedulers/x0-renoise.ts). 'unipc' is
 * diffusers' UniPCMultistepScheduler for flow matching, Wan 2.1's published sampler
 * (src/engine/schedulers/unipc.ts).
 */
export const SAMPLER_NAMES = ['euler', 'heun', 'euler-ancestral', 'x0-renoise', 'unipc'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** How identity + motion adapters share the blocks: constant strengths, or DualReal's StageBlender table. */
export const BLEND_MODES = ['constant', 'dualreal'] as const;
export type BlendMode = (typeof BLEND_MODES)[number];

export interface NumberLimit {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only. */
  readonly whole: boolean;
  /** What a value at an end means, for messages. */
  readonly note?: string;
}

/**
 * The noise generator (src/engine/noise.ts) folds a seed into one 32-bit word before it seeds
 * xoshiro128**, so seeds 0 … 2^32 − 1 give 2^32 different clips and any other integer (negative,
 * or ≥ 2^32) repeats one of them. Allowing only these keeps one seed per clip; the CLI's random
 * seed is a uint32 and the page's comes from randomSeed below.
 */
export const SEED: NumberLimit = { min: 0, max: 2 ** 32 - 1, whole: true };
/**
 * Each step is one denoiser call (two for Heun), and the shipped model's default is 20: the
 * bound stops a typo (2000 for 20) from holding the worker a hundred times longer than meant.
 * The page's Cancel test (tests/browser/app-flow.test.ts) runs the full 200.
 */
export const STEPS: NumberLimit = { min: 1, max: 200, whole: true };
/**
 * CFG scale w (docs/model-package.md): 1 is no text guidance. Below 1 the formula steers away
 * from the prompt (0 ignores it), while in diffusers any w ≤ 1 just turns guidance off, so a
 * user typing 0 for "off" would get a clip of nothing they asked for: refused instead. The
 * ceiling guards against typos (50 for 5.0); it is the page form's range since its first
 * version, and the shipped default is 5.
 */
export const GUIDANCE: NumberLimit = { min: 1, max: 30, whole: false, note: '1 = no text guidance' };
/** VideoJAM's Inner-Guidance w2; 0 turns it off (plain CFG). The same ceiling as GUIDANCE. */
export const INNER_GUIDANCE: NumberLimit = { min: 0, max: 30, whole: false, note: '0 = off' };
/**
 * Contrast guidance's w3 (src/engine/guidance.ts): the prompt's object nouns against a neutral noun,
 * "Shape emphasis" in the page. 0 turns it off; the same ceiling as GUIDANCE.
 */
export const CONTRAST: NumberLimit = { min: 0, max: 30, whole: false, note: '0 = off' };
/**
 * An adapter's strength. The shipped adapters recommend 1 and the page's slider spans −1 … 2;
 * typed values beyond ±4 only blow the clip up (the page's form refused them first).
 */
export const ADAPTER_STRENGTH: NumberLimit = { min: -4, max: 4, whole: false, note: '1 = as trained, 0 = off' };

/** The request's numeric fields, by their GenerateRequest names. */
export const REQUEST_LIMITS = { seed: SEED, steps: STEPS, guidance: GUIDANCE, innerGuidance: INNER_GUIDANCE } as const;
export type LimitedField = keyof typeof REQUEST_LIMITS;
/** The request's optional numeric fields: absent is off (0), present obeys its limit. */
export const OPTIONAL_REQUEST_LIMITS = { contrast: CONTRAST } as const;
export type OptionalLimitedField = keyof typeof OPTIONAL_REQUEST_LIMITS;

export function isWithin(limit: NumberLimit, value: unknown): value is number {
  if (typeof value !== 'number' || !(limit.whole ? Number.isInteger(value) : Number.isFinite(value))) return false;
  return value >= limit.min && value <= limit.max;
}

/** "a whole number from 0 to 4294967295", "a number from 0 to 30 (1 = no text guidance)". */
export function describeLimit(limit: NumberLimit): string {
  const what = limit.whole ? 'a whole number' : 'a number';
  return `${what} from ${limit.min} to ${limit.max}${limit.note ? ` (${limit.note})` : ''}`;
}

/** Why `value` breaks `limit` ("must be … , got -3"), or undefined when it does not. */
export function limitProblem(limit: NumberLimit, value: unknown): string | undefined {
  if (isWithin(limit, value)) return undefined;
  return `must be ${describeLimit(limit)}, got ${shown(value)}`;
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value); // NaN and Infinity as themselves, not JSON's null
  return JSON.stringify(value) ?? String(value);
}

export function isSamplerName(v: unknown): v is SamplerName {
  return (SAMPLER_NAMES as readonly unknown[]).includes(v);
}

export function isBlendMode(v: unknown): v is BlendMode {
  return (BLEND_MODES as readonly unknown[]).includes(v);
}

/** A seed drawn uniformly from SEED; `random` returns [0, 1) like Math.random. */
export function randomSeed(random: () => number = Math.random): number {
  return Math.min(SEED.max, Math.floor(random() * (SEED.max + 1)));
}
