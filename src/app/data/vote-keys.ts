/**
 * The vote bar's state: an outcome per VideoAlign dimension (VQ, MQ, TA), which one has focus, and
 * the one-click overall vote. Keys: 1 = take A better, 2 = take B better, 0 = tie, for the focused
 * dimension, after which focus moves on (so "1 1 2" votes all three in three presses);
 * ArrowUp/ArrowLeft and ArrowDown/ArrowRight move focus. `setOverall` records only the overall
 * preference: the dimensions stay as the person left them, since a clear winner overall says
 * nothing about which of VQ, MQ or TA made it win. The vote is complete when all three dimensions
 * or the overall are voted. Pure: every function returns a new state.
 */
import type { Outcome } from '../../votes/btt';
import type { VoteDimension } from '../../votes/vote-record';

export const KEY_DIMENSIONS = ['VQ', 'MQ', 'TA'] as const;
export type KeyDimension = (typeof KEY_DIMENSIONS)[number];

export interface VoteKeysState {
  outcomes: Partial<Record<KeyDimension, Outcome>>;
  /** The one-click overall vote, when the person gave one. */
  overall?: Outcome;
  /** Index into KEY_DIMENSIONS. */
  focus: number;
}

export const EMPTY_VOTE: VoteKeysState = { outcomes: {}, focus: 0 };

const KEY_OUTCOME: Record<string, Outcome> = { '1': 'A', '2': 'B', '0': 'tie' };

export function focused(state: VoteKeysState): KeyDimension {
  return KEY_DIMENSIONS[state.focus]!;
}

/** Sets one dimension and moves focus to the next (staying on the last). */
export function choose(state: VoteKeysState, dimension: KeyDimension, outcome: Outcome): VoteKeysState {
  const at = KEY_DIMENSIONS.indexOf(dimension);
  return { ...state, outcomes: { ...state.outcomes, [dimension]: outcome }, focus: Math.min(at + 1, KEY_DIMENSIONS.length - 1) };
}

/** The overall preference alone; the dimensions and focus stay where they are. */
export function setOverall(state: VoteKeysState, outcome: Outcome): VoteKeysState {
  return { ...state, overall: outcome };
}

export function moveFocus(state: VoteKeysState, by: number): VoteKeysState {
  return { ...state, focus: Math.min(Math.max(state.focus + by, 0), KEY_DIMENSIONS.length - 1) };
}

/** The new state for a key, or undefined when the key is not the vote bar's (so the page keeps it). */
export function onKey(state: VoteKeysState, key: string): VoteKeysState | undefined {
  const outcome = KEY_OUTCOME[key];
  if (outcome) return choose(state, focused(state), outcome);
  if (key === 'ArrowUp' || key === 'ArrowLeft') return moveFocus(state, -1);
  if (key === 'ArrowDown' || key === 'ArrowRight') return moveFocus(state, 1);
  return undefined;
}

export function isComplete(state: VoteKeysState): boolean {
  return state.overall !== undefined || KEY_DIMENSIONS.every((d) => state.outcomes[d] !== undefined);
}

/**
 * The record's outcomes: the dimensions the person voted, and `overall` as they voted it. Without
 * an overall vote, `overall` is recorded when all three dimensions are voted and none goes against
 * the other side: then one take is at least as good in every way and better in one (A, A, tie is
 * overall A), or they tie in all three. A against B is left for the voter, not guessed.
 */
export function recordOutcomes(state: VoteKeysState): Partial<Record<VoteDimension, Outcome>> {
  const out: Partial<Record<VoteDimension, Outcome>> = { ...state.outcomes };
  if (state.overall !== undefined) return { ...out, overall: state.overall };
  const set = KEY_DIMENSIONS.map((d) => state.outcomes[d]).filter((o): o is Outcome => o !== undefined);
  if (set.length === KEY_DIMENSIONS.length) {
    const sides = new Set(set.filter((o) => o !== 'tie'));
    if (sides.size === 0) out.overall = 'tie';
    else if (sides.size === 1) out.overall = [...sides][0]!;
  }
  return out;
}
