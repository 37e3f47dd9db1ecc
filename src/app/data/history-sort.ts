/**
 * The history list's order: newest first (as stored), or best first by one of the reward model's
 * scores (ClipScores). Entries without scores go last, newest first among themselves, so sorting
 * never hides a clip; equal scores go to the newer clip, then keep the order they came in. Pure.
 */
import { rankValue, type RankBy } from '../../package/reward';
import type { ClipScores } from './clip-scores';
import { rankByLabel } from './take-scores';

export type HistorySort = 'newest' | RankBy;

/** The sort control's choices, in the order it lists them. */
export const HISTORY_SORTS: readonly { value: HistorySort; label: string }[] = [
  { value: 'newest', label: 'Newest' },
  ...(['vq', 'mq', 'ta', 'overall'] as const).map((value) => ({ value, label: rankByLabel(value) })),
];

export function isHistorySort(v: unknown): v is HistorySort {
  return HISTORY_SORTS.some((s) => s.value === v);
}

interface Sortable {
  createdAt: number;
  scores?: ClipScores;
}

/** A sorted copy of `entries` (Array.prototype.sort is stable, so full ties keep their order). */
export function sortHistory<T extends Sortable>(entries: readonly T[], by: HistorySort): T[] {
  const newest = (a: T, b: T) => b.createdAt - a.createdAt;
  if (by === 'newest') return [...entries].sort(newest);
  return [...entries].sort((a, b) => {
    if (!a.scores || !b.scores) return Number(!a.scores) - Number(!b.scores) || newest(a, b);
    return rankValue(b.scores, by) - rankValue(a.scores, by) || newest(a, b);
  });
}
