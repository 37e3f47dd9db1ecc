/** scoreTable: sorted by the chosen column, best of N by overall with the lower seed winning a tie. */
import { describe, expect, it } from 'vitest';
import { scoreTable } from '../../../src/app/data/take-scores';

const s = (VQ: number, MQ: number, TA: number) => ({ VQ, MQ, TA, overall: VQ + MQ + TA, features: [] });

describe('scoreTable', () => {
  it('sorts by a column and marks the best take overall', () => {
    const scores = [s(1, 0, 0), s(0, 3, 0), s(0, 0, 2)];
    const byVq = scoreTable([10, 11, 12], scores, 'vq');
    // VQ 1, 0, 0: take 0 first, then the two zeros by seed.
    expect(byVq.rows.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(scoreTable([10, 11, 12], scores, 'ta').rows.map((r) => r.index)).toEqual([2, 0, 1]);
    expect(byVq.best).toBe(1);
  });

  it('a tie in overall goes to the lower seed', () => {
    expect(scoreTable([9, 4], [s(1, 1, 0), s(0, 1, 1)], 'overall').best).toBe(1);
  });

  it('refuses scores that do not match the takes', () => {
    expect(() => scoreTable([1, 2], [s(0, 0, 0)], 'overall')).toThrow('1 scores for 2 takes');
  });
});
