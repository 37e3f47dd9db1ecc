/**
 * sortHistory: newest first by default; by a reward score best first, with clips that have no
 * scores last (newest first among them), equal scores going to the newer clip, and full ties
 * keeping the order they came in. The input is not changed.
 */
import { describe, expect, it } from 'vitest';
import type { ClipScores } from '../../../src/app/data/clip-scores';
import { HISTORY_SORTS, isHistorySort, sortHistory } from '../../../src/app/data/history-sort';

const scores = (VQ: number, MQ: number, TA: number): ClipScores => ({ VQ, MQ, TA, overall: VQ + MQ + TA, rewardModel: { name: 'vidlet-tiny' } });
const clip = (id: string, createdAt: number, s?: ClipScores) => ({ id, createdAt, ...(s ? { scores: s } : {}) });
const ids = (list: { id: string }[]) => list.map((e) => e.id);

describe('sortHistory', () => {
  const list = [clip('a', 1, scores(0.5, 0, -1)), clip('b', 4), clip('c', 3, scores(-1, 2, 0.25)), clip('d', 2), clip('e', 5, scores(0, 0, 3))];

  it('newest first by default, whatever the stored order', () => {
    expect(ids(sortHistory(list, 'newest'))).toEqual(['e', 'b', 'c', 'd', 'a']);
  });

  it('best first by each score; unscored clips last, newest first among them', () => {
    expect(ids(sortHistory(list, 'vq'))).toEqual(['a', 'e', 'c', 'b', 'd']);
    expect(ids(sortHistory(list, 'mq'))).toEqual(['c', 'e', 'a', 'b', 'd']);
    expect(ids(sortHistory(list, 'ta'))).toEqual(['e', 'c', 'a', 'b', 'd']);
    // overall: a −0.5, c 1.25, e 3.
    expect(ids(sortHistory(list, 'overall'))).toEqual(['e', 'c', 'a', 'b', 'd']);
  });

  it('an equal score goes to the newer clip; full ties keep their order', () => {
    const tied = [clip('old', 1, scores(1, 0, 0)), clip('new', 2, scores(1, 5, 0)), clip('x', 3, scores(0, 0, 0)), clip('y', 3, scores(0, 0, 0))];
    expect(ids(sortHistory(tied, 'vq'))).toEqual(['new', 'old', 'x', 'y']);
    expect(ids(sortHistory([...tied].reverse(), 'vq'))).toEqual(['new', 'old', 'y', 'x']);
    expect(ids(sortHistory([clip('p', 7), clip('q', 7)], 'ta'))).toEqual(['p', 'q']);
    expect(ids(sortHistory([clip('p', 7), clip('q', 7)], 'newest'))).toEqual(['p', 'q']);
  });

  it('returns a copy and leaves the list as it was', () => {
    const before = ids(list);
    expect(sortHistory(list, 'ta')).not.toBe(list);
    expect(ids(list)).toEqual(before);
  });

  it('offers newest, VQ, MQ, TA, overall, and knows only those', () => {
    expect(HISTORY_SORTS.map((s) => s.label)).toEqual(['Newest', 'VQ', 'MQ', 'TA', 'Overall']);
    expect(HISTORY_SORTS.every((s) => isHistorySort(s.value))).toBe(true);
    expect(isHistorySort('taste')).toBe(false);
    expect(isHistorySort('TA')).toBe(false);
  });
});
