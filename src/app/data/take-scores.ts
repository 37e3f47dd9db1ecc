/**
 * The takes' reward scores as the compare view lists them: sorted by a column, and which take is
 * best of N (rankTakes' rule: equal scores go to the lower seed, so the same seeds always pick the
 * same take). Best of N is by overall unless the person picks one dimension; with a taste head
 * (taste-state.ts's activeTaste) each take also gets its taste score, w·features, and best of N
 * by overall becomes best by taste: the head is the person's own overall. Pure.
 */
import { rankTakesBy, rankValue, type RankBy, type TakeScore } from '../../package/reward';
import { tasteScore } from '../../votes/taste-head';

/** A column of the scores table: the reward model's, or 'taste' (only with a taste head). */
export type ScoreColumn = RankBy | 'taste';

export interface ScoredRow {
  /** Index of the take in the batch (0 = take 1). */
  index: number;
  seed: number;
  score: TakeScore;
  /** The taste head's score of the take; absent without a taste head. */
  taste?: number;
}

/** The column best of N is ranked by: the person's choice, with overall read as taste while a taste head is on. */
export function bestColumn(bestBy: RankBy, tasteOn: boolean): ScoreColumn {
  return bestBy === 'overall' && tasteOn ? 'taste' : bestBy;
}

/** Rows best first by `by`; `best` is the index of the best take by bestColumn(bestBy, with `tasteWeights`). */
export function scoreTable(
  seeds: readonly number[],
  scores: readonly TakeScore[],
  by: ScoreColumn,
  tasteWeights?: readonly number[],
  bestBy: RankBy = 'overall',
): { rows: ScoredRow[]; best: number } {
  if (seeds.length !== scores.length) throw new Error(`${scores.length} scores for ${seeds.length} takes: the reward model must score every take.`);
  if (by === 'taste' && !tasteWeights) throw new Error('Takes can be ranked by taste only once a taste head is fitted and on.');
  const rows: ScoredRow[] = seeds.map((seed, index) => {
    const score = scores[index]!;
    if (!tasteWeights) return { index, seed, score };
    // A wrong length would silently score a prefix: refuse it (activeTaste checks this before).
    if (score.features.length !== tasteWeights.length) throw new Error(`Take ${index + 1} has ${score.features.length} reward features but the taste head has ${tasteWeights.length} weights.`);
    return { index, seed, score, taste: tasteScore(tasteWeights, score.features) };
  });
  const value = (column: ScoreColumn) => (r: ScoredRow) => (column === 'taste' ? r.taste! : rankValue(r.score, column));
  return { rows: rankTakesBy(rows, value(by)), best: rankTakesBy(rows, value(bestColumn(bestBy, tasteWeights !== undefined)))[0]?.index ?? -1 };
}

/** How the page names a ranking score: "Overall", "VQ", "MQ", "TA". */
export function rankByLabel(by: RankBy): string {
  return by === 'overall' ? 'Overall' : by.toUpperCase();
}

/** The mark under the best take: "best of 3", "best of 3 by TA", "best of 3 by your taste". */
export function bestLabel(n: number, column: ScoreColumn): string {
  return `best of ${n}${column === 'taste' ? ' by your taste' : column === 'overall' ? '' : ` by ${rankByLabel(column)}`}`;
}
