/**
 * Which stored votes a person's taste head is fitted on, why the others are not used, and the fit
 * itself with the baselines its held-out accuracy is read against. Pure: records in, numbers out.
 *
 * A vote is used when it has an `overall` outcome (the head is one score, so it learns the one
 * preference; a record has `overall` when the person voted it, or else when its three dimensions
 * do not disagree, see src/app/data/vote-keys.ts), both takes' reward features, and came from the chosen model: features
 * of two reward models are not on one scale, so one head is fitted on one model's votes.
 */
import { fitTasteHead, isHeldOut, type TasteHead, type TasteVote } from './taste-head';
import type { VoteRecord } from './vote-record';

/** Votes with features and an overall outcome needed before a head is fitted: fewer leave ~4 held out, too few to judge it. */
export const TASTE_MIN_VOTES = 20;

/** One split for the fit and its baselines, so both are measured on the same held-out votes. */
export const TASTE_SPLIT = { heldOutFraction: 0.2, splitSeed: 0 } as const;

export interface TasteSelection {
  /** The model whose votes are used: the one with the most usable votes (undefined when none is usable). */
  model?: { name: string; hash: string };
  votes: TasteVote[];
  /** Votes made after the reset (all of them when never reset): every count below is out of these. */
  counted: number;
  /** Votes made at or before the reset, left out. */
  beforeReset: number;
  /** Votes whose takes were not scored (their model has no reward model): no features to fit on. */
  withoutFeatures: number;
  /** Votes with no overall outcome: none was voted, and the dimensions disagree or are not all voted. */
  withoutOverall: number;
  /** Usable votes of other models than `model`. */
  otherModels: number;
}

/** The votes a head can be fitted on, made after `since` (ms since 1970; 0 = all). */
export function selectTasteVotes(records: readonly VoteRecord[], since = 0): TasteSelection {
  const sel: TasteSelection = { votes: [], counted: 0, beforeReset: 0, withoutFeatures: 0, withoutOverall: 0, otherModels: 0 };
  const byModel = new Map<string, { name: string; votes: TasteVote[] }>();
  for (const r of records) {
    if (r.createdAt <= since) {
      sel.beforeReset++;
      continue;
    }
    sel.counted++;
    if (!r.a.features || !r.b.features) sel.withoutFeatures++;
    else if (!r.outcomes.overall) sel.withoutOverall++;
    else {
      const group = byModel.get(r.modelHash) ?? { name: r.model, votes: [] };
      group.votes.push({ id: r.id, a: Float32Array.from(r.a.features), b: Float32Array.from(r.b.features), outcome: r.outcomes.overall });
      byModel.set(r.modelHash, group);
    }
  }
  // The most votes wins; equal counts go to the lower hash, so the choice never depends on the records' order.
  const ranked = [...byModel].sort(([h1, g1], [h2, g2]) => g2.votes.length - g1.votes.length || (h1 < h2 ? -1 : 1));
  const [first, ...rest] = ranked;
  if (first) {
    sel.model = { name: first[1].name, hash: first[0] };
    sel.votes = first[1].votes;
    sel.otherModels = rest.reduce((n, [, g]) => n + g.votes.length, 0);
  }
  return sel;
}

/** Why no head can be fitted on this selection, in the person's words; undefined when one can. */
export function whyNoTasteHead(sel: TasteSelection): string | undefined {
  if (sel.votes.length >= TASTE_MIN_VOTES) return undefined;
  if (sel.counted === 0) {
    return sel.beforeReset ? `No votes since the taste was reset: ${TASTE_MIN_VOTES} are needed.` : `No votes yet: ${TASTE_MIN_VOTES} are needed.`;
  }
  if (sel.withoutFeatures === sel.counted) {
    return `None of the ${sel.counted} vote${sel.counted === 1 ? '' : 's'} has the reward model's features (their model has no reward model, so its takes were not scored): no taste head can be fitted on them.`;
  }
  const notes: string[] = [];
  if (sel.withoutFeatures) notes.push(`${sel.withoutFeatures} without the reward model's features (their takes were not scored)`);
  if (sel.withoutOverall) notes.push(`${sel.withoutOverall} without an overall preference (no overall vote, and the dimensions voted disagree or are not all voted)`);
  if (sel.otherModels) notes.push(`${sel.otherModels} of other models`);
  const usable = `${sel.votes.length} of the ${TASTE_MIN_VOTES} votes needed${sel.model ? ` (of ${sel.model.name})` : ''}`;
  return `${usable}${notes.length ? `; not usable: ${notes.join(', ')}` : ''}.`;
}

export interface TasteFit {
  head: TasteHead;
  /** Chance with three outcomes (A, B, tie). */
  chance: number;
  /** Accuracy of always answering "tie" on the same held-out votes; undefined when none is held out. */
  alwaysTie: number | undefined;
}

/** Fits the head on a selection that has enough votes (whyNoTasteHead is undefined). */
export function fitTaste(sel: TasteSelection): TasteFit {
  const why = whyNoTasteHead(sel);
  if (why) throw new RangeError(why);
  const head = fitTasteHead(sel.votes, TASTE_SPLIT);
  const held = sel.votes.filter((v) => isHeldOut(v.id, TASTE_SPLIT.heldOutFraction, TASTE_SPLIT.splitSeed));
  return { head, chance: 1 / 3, alwaysTie: held.length ? held.filter((v) => v.outcome === 'tie').length / held.length : undefined };
}
