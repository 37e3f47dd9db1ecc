/**
 * The takes' reward scores as the compare view lists them: sorted by a column, and which take is
 * best of N by the overall score (rankTakes' rule: equal scores go to the lower seed, so the same
 * seeds always pick the same take). Pure.
 */
import { rankTakes, type RankBy, type TakeScore } from '../../package/reward';

export interface ScoredRow {
  /** Index of the take in the batch (0 = take 1). */
  index: number;
  seed: number;
  score: TakeScore;
}

/** Rows best first by `by`; `best` is the index of the best take overall. */
export function scoreTable(seeds: readonly number[], scores: readonly TakeScore[], by: RankBy): { rows: ScoredRow[]; best: number } {
  if (seeds.length !== scores.length) throw new Error(`${scores.length} scores for ${seeds.length} takes: the reward model must score every take.`);
  const rows = seeds.map((seed, index) => ({ index, seed, score: scores[index]! }));
  return { rows: rankTakes(rows, by), best: rankTakes(rows, 'overall')[0]?.index ?? -1 };
}
