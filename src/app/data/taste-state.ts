/**
 * The page's taste head as saved state: whether it is on, when it was last reset, and the fitted
 * head (its weights, the votes it was fitted on and its held-out numbers), so a reload ranks takes
 * without refitting and the panel shows the same numbers. Deciding when to refit and whether the
 * head applies to a take's scores lives here too. Pure: the store (taste-store.ts) does the I/O.
 */
import { fitTaste, selectTasteVotes, whyNoTasteHead, type TasteSelection } from '../../votes/taste-votes';
import type { VoteRecord } from '../../votes/vote-record';

export interface SavedTasteHead {
  /** The model whose votes (and so whose reward features) it was fitted on. */
  model: { name: string; hash: string };
  weights: number[];
  /** Ids of the votes it was fitted on, sorted: a different set means a refit. */
  fittedOn: string[];
  trainCount: number;
  heldOutCount: number;
  /** Undefined when no vote was held out. */
  heldOutAccuracy?: number;
  alwaysTie?: number;
  chance: number;
}

export interface TasteState {
  /** Off: takes are ranked by the reward model alone and the head is not refitted (it is kept). */
  enabled: boolean;
  /** Votes made at or before this time (ms since 1970) are not used: a reset starts the taste afresh without deleting votes. */
  since: number;
  head?: SavedTasteHead;
}

export const DEFAULT_TASTE: TasteState = { enabled: true, since: 0 };

/** What a refresh found: the new state, and why there is no head when there is none. */
export interface TasteRefresh {
  state: TasteState;
  selection: TasteSelection;
  /** Set when no head can be fitted (too few usable votes, none with features). */
  why?: string;
  /** Whether a fit ran (false: the saved head already matches the votes, or the taste is off). */
  refitted: boolean;
}

/** Refits when the taste is on and the usable votes are not the ones the saved head was fitted on. */
export function refreshTaste(state: TasteState, records: readonly VoteRecord[]): TasteRefresh {
  const selection = selectTasteVotes(records, state.since);
  const why = whyNoTasteHead(selection);
  if (!state.enabled) return { state, selection, why, refitted: false };
  if (why) return { state: withoutHead(state), selection, why, refitted: false };
  const ids = selection.votes.map((v) => v.id).sort();
  const saved = state.head;
  if (saved && saved.model.hash === selection.model!.hash && sameList(saved.fittedOn, ids)) return { state, selection, refitted: false };
  const { head, chance, alwaysTie } = fitTaste(selection);
  const fitted: SavedTasteHead = {
    model: selection.model!,
    weights: [...head.weights],
    fittedOn: ids,
    trainCount: head.trainCount,
    heldOutCount: head.heldOutCount,
    ...(head.heldOutAccuracy !== undefined ? { heldOutAccuracy: head.heldOutAccuracy } : {}),
    ...(alwaysTie !== undefined ? { alwaysTie } : {}),
    chance,
  };
  return { state: { ...state, head: fitted }, selection, refitted: true };
}

/** Forgets the head and every vote made until `now`: the taste starts again from the next votes. */
export function resetTaste(state: TasteState, now: number): TasteState {
  return { ...withoutHead(state), since: now };
}

/**
 * The weights that rank these takes by taste, or why they cannot: only a head that is on, fitted
 * on votes of the model that made the takes (its reward features are on the head's scale).
 * `undefined` when the taste is off or not fitted (nothing to say beside the scores).
 */
export function activeTaste(state: TasteState, modelHash: string | undefined, featureLength: number): { weights: number[] } | { why: string } | undefined {
  const head = state.head;
  if (!state.enabled || !head) return undefined;
  if (modelHash === undefined) return { why: "The model's manifest.json could not be read, so which model made these takes is not known and your taste head does not rank them." };
  if (modelHash !== head.model.hash) return { why: `Your taste head was fitted on votes of another model (${head.model.name}), so it does not rank these takes.` };
  if (featureLength !== head.weights.length) {
    return { why: `The reward model gives ${featureLength} features but your taste head has ${head.weights.length} weights, so it does not rank these takes.` };
  }
  return { weights: head.weights };
}

/** A saved state as read back from storage; anything malformed is the default state, with why. */
export function readTasteState(value: unknown): { state: TasteState; problem?: string } {
  const dropped = (why: string) => ({ state: DEFAULT_TASTE, problem: `Your saved taste settings were unreadable (${why}) and were reset.` });
  if (!isObject(value)) return dropped('not an object');
  if (typeof value.enabled !== 'boolean') return dropped('"enabled" is not true or false');
  if (typeof value.since !== 'number' || !Number.isFinite(value.since) || value.since < 0) return dropped('"since" is not a time');
  const state: TasteState = { enabled: value.enabled, since: value.since };
  if (value.head === undefined) return { state };
  const h = value.head;
  const numbers = (x: unknown): x is number[] => Array.isArray(x) && x.every((n) => typeof n === 'number' && Number.isFinite(n));
  const fraction = (x: unknown) => x === undefined || (typeof x === 'number' && x >= 0 && x <= 1);
  if (
    !isObject(h) ||
    !isObject(h.model) ||
    typeof h.model.name !== 'string' ||
    typeof h.model.hash !== 'string' ||
    !numbers(h.weights) ||
    h.weights.length === 0 ||
    !(Array.isArray(h.fittedOn) && h.fittedOn.every((id) => typeof id === 'string')) ||
    !Number.isInteger(h.trainCount) ||
    !Number.isInteger(h.heldOutCount) ||
    !fraction(h.heldOutAccuracy) ||
    !fraction(h.alwaysTie) ||
    !(typeof h.chance === 'number' && fraction(h.chance))
  ) {
    // The votes are kept elsewhere, so a damaged head costs only a refit.
    return { state, problem: 'Your saved taste head was unreadable and will be fitted again from your votes.' };
  }
  return { state: { ...state, head: structuredClone(h) as unknown as SavedTasteHead } };
}

function withoutHead(state: TasteState): TasteState {
  const { head: _dropped, ...rest } = state;
  return rest;
}

function sameList(x: readonly string[], y: readonly string[]): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
