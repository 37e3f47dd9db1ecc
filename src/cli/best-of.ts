/** `vidlet generate --best-of N`: the refusal for a model without a reward model, and the ranking as printed (pure). */
import type { BestOfResult, ModelInfo } from '../engine/types';

/** Why --best-of cannot run on this model and what to do, or undefined when it can. */
export function bestOfRefusal(info: Pick<ModelInfo, 'displayName' | 'reward'>): string | undefined {
  if (info.reward) return undefined;
  return (
    `--best-of: the model "${info.displayName}" has no reward model, so its takes cannot be scored or ranked. ` +
    'Run without --best-of (and try seeds by hand with --seed), or use --model DIR with a package that ships one ' +
    '(manifest components.rewardModel and "reward"; docs/model-package.md, "Reward model").'
  );
}

const fixed = (v: number) => (v >= 0 ? ' ' : '') + v.toFixed(3);

/** One line per take, best first: rank, seed, the three scores and the overall, and which was written. */
export function rankingLines(best: BestOfResult, written: string): string[] {
  const by = best.rankBy === 'overall' ? 'overall (VQ + MQ + TA)' : best.rankBy.toUpperCase();
  return [
    `best of ${best.takes.length} by ${by}; rewards are Bradley–Terry scores: only differences between these takes mean anything`,
    'rank  seed          VQ       MQ       TA       overall',
    ...best.takes.map((t) =>
      `${String(t.rank).padEnd(6)}${String(t.seed).padEnd(12)}${[t.score.VQ, t.score.MQ, t.score.TA, t.score.overall].map((v) => fixed(v).padStart(8)).join(' ')}` +
        (t.rank === 1 ? `   → ${written}` : ''),
    ),
  ];
}

/** The --json summary's bestOf entry. */
export function bestOfSummary(best: BestOfResult) {
  return {
    rankBy: best.rankBy,
    takes: best.takes.map((t) => ({ rank: t.rank, seed: t.seed, VQ: t.score.VQ, MQ: t.score.MQ, TA: t.score.TA, overall: t.score.overall })),
  };
}
