/**
 * The reward model's contract (#9; training/vidlet_train/reward/CONTRACT.md): what a package's
 * optional `reward` section declares, what a take's scores are, and how best-of-N ranks takes.
 * Pure data and checks with no imports, so the manifest parser, the engine, the worker, the CLI
 * and the page all read the same rules.
 */

/** The three dimensions a reward model scores (VideoAlign): visual quality, motion quality, text alignment. */
export const REWARD_DIMENSIONS = ['VQ', 'MQ', 'TA'] as const;
export type RewardDimension = (typeof REWARD_DIMENSIONS)[number];

/** The manifest's `reward` section as the engine uses it (docs/model-package.md, "Reward model"). */
export interface RewardSpec {
  /** The component that holds the graph: always 'rewardModel' in format 1. */
  component: 'rewardModel';
  /** The order of the `scores` output's last axis: each dimension once. */
  dimensions: RewardDimension[];
  /** F, the length of the `features` output's last axis (what a per-person taste head is fitted on). */
  features: number;
  /** θ of Bradley–Terry with ties the scores were fitted with (> 1; src/votes/btt.ts). */
  tieTheta: number;
  /** The clip size the graph takes; takes of another size are resampled to it. */
  video: { frames: number; height: number; width: number };
  /** Informational: what the scores apply to, what the model was trained on, how. */
  appliesTo?: string;
  data?: string;
  training?: { command?: string; commit?: string };
}

/** One take's scores: Bradley–Terry rewards, so only differences between takes of one prompt mean anything. */
export interface TakeScore {
  VQ: number;
  MQ: number;
  TA: number;
  /** VQ + MQ + TA (see overallScore). */
  overall: number;
  /** The reward model's feature vector (length RewardSpec.features). */
  features: number[];
}

/** What best-of-N may rank by: the overall score or one dimension. */
export const RANK_BY = ['overall', 'vq', 'mq', 'ta'] as const;
export type RankBy = (typeof RANK_BY)[number];

export function isRankBy(v: unknown): v is RankBy {
  return (RANK_BY as readonly unknown[]).includes(v);
}

/**
 * Takes per best-of-N run. Each take is a whole generation (20 denoiser calls at the shipped
 * defaults), so 16 is already minutes on WebAssembly; the bound stops a typo (100 for 10) from
 * holding the engine for an hour. 1 is allowed: one take, scored.
 */
export const BEST_OF = { min: 1, max: 16, whole: true } as const;

/**
 * The overall score: the plain sum of the three rewards. Every dimension was fitted on the same
 * Bradley–Terry scale with the same θ, so a unit means the same odds in each; a weighting would be
 * a taste, which is what the per-person taste head on `features` is for.
 */
export function overallScore(s: Pick<TakeScore, RewardDimension>): number {
  return s.VQ + s.MQ + s.TA;
}

export function rankValue(s: Pick<TakeScore, RewardDimension | 'overall'>, by: RankBy): number {
  return by === 'overall' ? s.overall : s[by.toUpperCase() as RewardDimension];
}

/**
 * Takes best first by `by`; equal values are broken by the lower seed, so a ranking never depends
 * on the order takes were scored in and a re-run of the same seeds picks the same take.
 */
export function rankTakes<T extends { seed: number; score: Pick<TakeScore, RewardDimension | 'overall'> }>(takes: readonly T[], by: RankBy): T[] {
  return rankTakesBy(takes, (t) => rankValue(t.score, by));
}

/** rankTakes' rule for any score of a take (the page's taste head ranks by its own): highest first, the lower seed on a tie. */
export function rankTakesBy<T extends { seed: number }>(takes: readonly T[], value: (take: T) => number): T[] {
  return [...takes].sort((a, b) => value(b) - value(a) || a.seed - b.seed);
}

/** The seed of take i of a best-of-N run from `seed`: seed, seed + 1, …, wrapping past 2^32 − 1 to 0 (SEED's range). */
export function takeSeed(seed: number, i: number): number {
  return (seed + i) % 2 ** 32;
}

/** Problems with a declared spec beyond the types (the parser checks types and names the field). */
export function rewardSpecProblems(s: Pick<RewardSpec, 'dimensions' | 'tieTheta'>): { field: string; problem: string }[] {
  const out: { field: string; problem: string }[] = [];
  const missing = REWARD_DIMENSIONS.filter((d) => !s.dimensions.includes(d));
  if (s.dimensions.length !== REWARD_DIMENSIONS.length || missing.length > 0) {
    out.push({ field: 'dimensions', problem: `must list ${REWARD_DIMENSIONS.join(', ')} once each, in the order of the scores output${missing.length ? ` (missing ${missing.join(', ')})` : ''}` });
  }
  // θ = 1 is plain Bradley–Terry, which cannot express a tie (src/votes/btt.ts refuses it as well).
  if (!(s.tieTheta > 1)) out.push({ field: 'tieTheta', problem: 'must be above 1 (θ = 1 is plain Bradley–Terry, which has no ties)' });
  return out;
}
