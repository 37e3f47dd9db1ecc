/**
 * Which votes the taste head is fitted on: only votes with both takes' features and an overall
 * outcome, of one model (the one with the most of them), made after a reset; the reason when too
 * few are left; and the fit with its always-tie baseline on the same held-out votes.
 */
import { describe, expect, it } from 'vitest';
import { isHeldOut } from '../../../src/votes/taste-head';
import { TASTE_MIN_VOTES, TASTE_SPLIT, fitTaste, selectTasteVotes, whyNoTasteHead } from '../../../src/votes/taste-votes';
import type { VoteRecord } from '../../../src/votes/vote-record';
import type { Outcome } from '../../../src/votes/btt';
import { take, vote } from './fixtures';

const OTHER_HASH = 'ab'.repeat(32);

/** A scored vote: take A's features are [x, 1], take B's [0, 1]; the outcome is given. */
function scored(id: string, x: number, overall: Outcome | undefined, extra: Partial<VoteRecord> = {}): VoteRecord {
  return vote(id, {
    a: take(7, { features: [x, 1] }),
    b: take(8, { features: [0, 1] }),
    outcomes: overall ? { VQ: overall, overall } : { VQ: 'A', MQ: 'B' },
    ...extra,
  });
}

/**
 * Votes a person with a clear taste would give: the take with the larger first feature wins when
 * the two differ by more than 1.5, else a tie. Held out by id like the head does.
 */
function consistentVotes(n: number): VoteRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const x = ((i * 7) % 13) - 6; // −6 … 6, spread over the ids
    return scored(`c${i}`, x, x > 1.5 ? 'A' : x < -1.5 ? 'B' : 'tie', { createdAt: 1_000 + i });
  });
}

describe('selectTasteVotes', () => {
  it('counts every vote once, by the first reason it cannot be used, and keeps the others with their overall outcome', () => {
    const records = [
      scored('use1', 1, 'A'),
      scored('use2', -2, 'tie'),
      scored('oneclick', 2, 'B', { outcomes: { overall: 'B' } }), // the one-click overall vote: no dimension voted
      vote('nofeat'), // not scored: no features
      scored('disagree', 3, undefined),
      scored('other', 1, 'B', { modelHash: OTHER_HASH, model: 'vidlet-other' }),
      scored('old', 1, 'A', { createdAt: 500 }),
    ];
    const sel = selectTasteVotes(records, 600);
    expect(sel).toMatchObject({ counted: 6, beforeReset: 1, withoutFeatures: 1, withoutOverall: 1, otherModels: 1, model: { name: 'vidlet-tiny' } });
    expect(sel.votes.map((v) => [v.id, v.outcome, [...v.a], [...v.b]])).toEqual([
      ['use1', 'A', [1, 1], [0, 1]],
      ['use2', 'tie', [-2, 1], [0, 1]],
      ['oneclick', 'B', [2, 1], [0, 1]],
    ]);
  });

  it('picks the model with the most usable votes, whatever the order; equal counts go to the lower hash', () => {
    const two = [scored('o1', 1, 'A', { modelHash: OTHER_HASH, model: 'other' }), scored('o2', 1, 'A', { modelHash: OTHER_HASH, model: 'other' }), scored('t1', 1, 'B')];
    expect(selectTasteVotes(two).model).toEqual({ name: 'other', hash: OTHER_HASH });
    expect(selectTasteVotes([...two].reverse()).model).toEqual({ name: 'other', hash: OTHER_HASH });
    expect(selectTasteVotes(two).otherModels).toBe(1);
    const even = [scored('o1', 1, 'A', { modelHash: OTHER_HASH, model: 'other' }), scored('t1', 1, 'B')];
    expect(selectTasteVotes(even).model!.hash).toBe('3f'.repeat(32)); // '3f…' < 'ab…'
    expect(selectTasteVotes([...even].reverse()).model!.hash).toBe('3f'.repeat(32));
  });
});

describe('whyNoTasteHead', () => {
  it(`says why until ${TASTE_MIN_VOTES} votes are usable, then nothing`, () => {
    expect(whyNoTasteHead(selectTasteVotes([]))).toBe(`No votes yet: ${TASTE_MIN_VOTES} are needed.`);
    expect(whyNoTasteHead(selectTasteVotes([scored('a', 1, 'A', { createdAt: 5 })], 10))).toBe(`No votes since the taste was reset: ${TASTE_MIN_VOTES} are needed.`);
    // A model without a reward model: its votes are counted but can never train a head.
    const unscored = Array.from({ length: 25 }, (_, i) => vote(`u${i}`));
    expect(whyNoTasteHead(selectTasteVotes(unscored))).toBe(
      "None of the 25 votes has the reward model's features (their model has no reward model, so its takes were not scored): no taste head can be fitted on them.",
    );
    const mixed = [...consistentVotes(12), vote('u'), scored('d', 1, undefined), scored('o', 1, 'A', { modelHash: OTHER_HASH })];
    expect(whyNoTasteHead(selectTasteVotes(mixed))).toBe(
      `12 of the ${TASTE_MIN_VOTES} votes needed (of vidlet-tiny); not usable: 1 without the reward model's features (their takes were not scored), 1 without an overall preference (no overall vote, and the dimensions voted disagree or are not all voted), 1 of other models.`,
    );
    expect(whyNoTasteHead(selectTasteVotes(consistentVotes(TASTE_MIN_VOTES - 1)))).toBe(`${TASTE_MIN_VOTES - 1} of the ${TASTE_MIN_VOTES} votes needed (of vidlet-tiny).`);
    expect(whyNoTasteHead(selectTasteVotes(consistentVotes(TASTE_MIN_VOTES)))).toBeUndefined();
  });
});

describe('fitTaste', () => {
  it('learns a consistent taste: the first feature gets a positive weight and the held-out votes are predicted above both baselines', () => {
    const records = consistentVotes(60);
    const fit = fitTaste(selectTasteVotes(records));
    expect(fit.head.trainCount + fit.head.heldOutCount).toBe(60);
    expect(fit.head.weights[0]).toBeGreaterThan(0.5);
    // The same held-out votes as the head's: always-tie is the share of ties among them.
    const held = records.filter((r) => isHeldOut(r.id, TASTE_SPLIT.heldOutFraction, TASTE_SPLIT.splitSeed));
    expect(fit.head.heldOutCount).toBe(held.length);
    expect(held.length).toBeGreaterThan(5);
    expect(fit.alwaysTie).toBeCloseTo(held.filter((r) => r.outcomes.overall === 'tie').length / held.length, 12);
    expect(fit.chance).toBeCloseTo(1 / 3, 12);
    expect(fit.head.heldOutAccuracy).toBeGreaterThanOrEqual(0.8);
    expect(fit.head.heldOutAccuracy!).toBeGreaterThan(fit.alwaysTie!);
  });

  it('refuses a selection with too few votes, with the reason', () => {
    expect(() => fitTaste(selectTasteVotes(consistentVotes(3)))).toThrow(`3 of the ${TASTE_MIN_VOTES} votes needed (of vidlet-tiny).`);
  });
});
