/**
 * scoreTable: sorted by the chosen column, best of N by overall with the lower seed winning a tie,
 * or by the dimension the person chose; with a taste head, a taste score per take (w·features)
 * and best of N by it in place of overall (a chosen dimension still ranks by that dimension).
 */
import { describe, expect, it } from 'vitest';
import { bestColumn, bestLabel, scoreTable } from '../../../src/app/data/take-scores';

const s = (VQ: number, MQ: number, TA: number, features: number[] = []) => ({ VQ, MQ, TA, overall: VQ + MQ + TA, features });

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

  it('with taste weights: scores each take by w·features, sorts by taste, and marks the best by taste', () => {
    // Overall prefers take 0 (3 > 1 > 0); the taste w = (2, −1) prefers take 2: 2·1 − 1·(−3) = 5.
    const scores = [s(1, 1, 1, [1, 1]), s(1, 0, 0, [0, 0]), s(0, 0, 0, [1, -3])];
    const table = scoreTable([10, 11, 12], scores, 'taste', [2, -1]);
    expect(table.rows.map((r) => [r.index, r.taste])).toEqual([[2, 5], [0, 1], [1, 0]]);
    expect(table.best).toBe(2);
    // Sorting by another column keeps the taste score and the best take by taste.
    const byOverall = scoreTable([10, 11, 12], scores, 'overall', [2, -1]);
    expect(byOverall.rows.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(byOverall.rows[0]!.taste).toBe(1);
    expect(byOverall.best).toBe(2);
    // Equal taste scores go to the lower seed, as every ranking does.
    expect(scoreTable([9, 4], [s(0, 0, 0, [1, 0]), s(0, 0, 0, [1, 0])], 'taste', [1, 1]).best).toBe(1);
  });

  it('refuses ranking by taste without weights, and features of another length than the weights', () => {
    expect(() => scoreTable([1], [s(0, 0, 0, [1])], 'taste')).toThrow('Takes can be ranked by taste only once a taste head is fitted and on.');
    expect(() => scoreTable([1, 2], [s(0, 0, 0, [1, 2]), s(0, 0, 0, [1])], 'overall', [1, 1])).toThrow('Take 2 has 1 reward features but the taste head has 2 weights.');
  });

  it('ranks best of N by the chosen dimension, whatever the table is sorted by', () => {
    // Best VQ: take 0; best MQ: take 1; best TA: take 2; best overall: take 1 (3 > 2 > 1).
    const scores = [s(1, 0, 0), s(0, 3, 0), s(0, 0, 2)];
    const best = (by: 'overall' | 'vq' | 'mq' | 'ta') => scoreTable([10, 11, 12], scores, 'vq', undefined, by).best;
    expect([best('overall'), best('vq'), best('mq'), best('ta')]).toEqual([1, 0, 1, 2]);
    // Left out, the choice is overall.
    expect(scoreTable([10, 11, 12], scores, 'ta').best).toBe(1);
    // A tie in the chosen dimension goes to the lower seed.
    expect(scoreTable([9, 4], [s(0, 0, 1), s(5, 0, 1)], 'overall', undefined, 'ta').best).toBe(1);
  });

  it('with a taste head, overall means taste but a chosen dimension ranks by that dimension', () => {
    const scores = [s(1, 1, 1, [1, 1]), s(1, 0, 0, [0, 0]), s(0, 0, 5, [1, -3])];
    expect(scoreTable([10, 11, 12], scores, 'overall', [-1, 0], 'overall').best).toBe(1); // taste: −1, 0, −1
    expect(scoreTable([10, 11, 12], scores, 'overall', [-1, 0], 'ta').best).toBe(2);
    expect(bestColumn('overall', true)).toBe('taste');
    expect(bestColumn('overall', false)).toBe('overall');
    expect(bestColumn('mq', true)).toBe('mq');
  });

  it('labels the best take with what ranked it', () => {
    expect(bestLabel(3, 'overall')).toBe('best of 3');
    expect(bestLabel(2, 'ta')).toBe('best of 2 by TA');
    expect(bestLabel(4, 'taste')).toBe('best of 4 by your taste');
  });
});
