/**
 * The taste head as saved state: fitted once enough votes are usable, not refitted for the same
 * votes, refitted for a new one, kept but unused while off, forgotten by a reset; applied only to
 * takes of its own model; read back from storage (and over a reload through TasteStore), with a
 * damaged save dropped and said so.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TASTE, activeTaste, readTasteState, refreshTaste, resetTaste, type TasteState } from '../../../src/app/data/taste-state';
import { TasteStore } from '../../../src/app/data/taste-store';
import { TASTE_MIN_VOTES } from '../../../src/votes/taste-votes';
import type { VoteRecord } from '../../../src/votes/vote-record';
import { MODEL_HASH, take, vote } from '../votes/fixtures';

/** n votes where the take with the larger first feature wins by a margin, else a tie (ids v0 …). */
function votes(n: number, from = 0): VoteRecord[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const x = ((i * 7) % 13) - 6;
    return vote(`v${i}`, {
      createdAt: 1_000 + i,
      a: take(7, { features: [x, 0.5] }),
      b: take(8, { features: [0, -0.5] }),
      outcomes: { overall: x > 1.5 ? 'A' : x < -1.5 ? 'B' : 'tie' },
    });
  });
}

/** A Storage over a Map, so a second TasteStore on it is a reload. */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

describe('refreshTaste', () => {
  it(`fits at ${TASTE_MIN_VOTES} usable votes, not before, and not again for the same votes`, () => {
    const few = refreshTaste(DEFAULT_TASTE, votes(TASTE_MIN_VOTES - 1));
    expect(few.state.head).toBeUndefined();
    expect(few.why).toBe(`${TASTE_MIN_VOTES - 1} of the ${TASTE_MIN_VOTES} votes needed (of vidlet-tiny).`);
    const first = refreshTaste(DEFAULT_TASTE, votes(TASTE_MIN_VOTES));
    expect(first.refitted).toBe(true);
    const head = first.state.head!;
    expect(head.model).toEqual({ name: 'vidlet-tiny', hash: MODEL_HASH });
    expect(head.weights).toHaveLength(2);
    expect(head.weights[0]).toBeGreaterThan(0.5); // the first feature decides these votes
    expect(head.trainCount + head.heldOutCount).toBe(TASTE_MIN_VOTES);
    expect(head.fittedOn).toEqual(votes(TASTE_MIN_VOTES).map((v) => v.id).sort());
    expect(head.chance).toBeCloseTo(1 / 3, 12);
    // The same votes in another order: nothing to do.
    const again = refreshTaste(first.state, votes(TASTE_MIN_VOTES).reverse());
    expect(again.refitted).toBe(false);
    expect(again.state).toBe(first.state);
    // One vote more: refitted on it.
    const more = refreshTaste(first.state, votes(TASTE_MIN_VOTES + 1));
    expect(more.refitted).toBe(true);
    expect(more.state.head!.fittedOn).toContain(`v${TASTE_MIN_VOTES}`);
  });

  it('while off: neither fits nor drops the head; a reset forgets it and the votes until then', () => {
    const on = refreshTaste(DEFAULT_TASTE, votes(30)).state;
    const off = { ...on, enabled: false };
    const whileOff = refreshTaste(off, votes(40));
    expect(whileOff.refitted).toBe(false);
    expect(whileOff.state).toBe(off);
    expect(refreshTaste({ ...DEFAULT_TASTE, enabled: false }, votes(30)).state.head).toBeUndefined();

    const reset = resetTaste(on, 1_000 + 29); // votes v0…v29 were made at 1000…1029
    expect(reset).toEqual({ enabled: true, since: 1_029 });
    const after = refreshTaste(reset, votes(30));
    expect(after.state.head).toBeUndefined();
    expect(after.why).toBe(`No votes since the taste was reset: ${TASTE_MIN_VOTES} are needed.`);
    const later = refreshTaste(reset, [...votes(30), ...votes(TASTE_MIN_VOTES, 30)]);
    expect(later.state.head!.fittedOn).toEqual(votes(TASTE_MIN_VOTES, 30).map((v) => v.id).sort());
  });

  it('drops the head when votes are deleted below the threshold', () => {
    const on = refreshTaste(DEFAULT_TASTE, votes(25)).state;
    expect(refreshTaste(on, votes(5)).state.head).toBeUndefined();
  });
});

describe('activeTaste', () => {
  const state = refreshTaste(DEFAULT_TASTE, votes(25)).state;
  it("gives the weights for takes of the head's own model, and says why not for another model or feature length", () => {
    expect(activeTaste(state, MODEL_HASH, 2)).toEqual({ weights: state.head!.weights });
    expect(activeTaste(state, 'ab'.repeat(32), 2)).toEqual({ why: 'Your taste head was fitted on votes of another model (vidlet-tiny), so it does not rank these takes.' });
    expect(activeTaste(state, MODEL_HASH, 64)).toEqual({ why: 'The reward model gives 64 features but your taste head has 2 weights, so it does not rank these takes.' });
    expect(activeTaste(state, undefined, 2)).toMatchObject({ why: expect.stringMatching(/manifest.json could not be read/) });
    expect(activeTaste({ ...state, enabled: false }, MODEL_HASH, 2)).toBeUndefined();
    expect(activeTaste(DEFAULT_TASTE, MODEL_HASH, 2)).toBeUndefined();
  });
});

describe('readTasteState and TasteStore', () => {
  it('reads back what it saves; a damaged head or state is dropped with a reason', () => {
    const state: TasteState = refreshTaste({ enabled: false, since: 5 }, votes(25)).state;
    expect(readTasteState(JSON.parse(JSON.stringify(state)))).toEqual({ state });
    const withHead = refreshTaste(DEFAULT_TASTE, votes(25)).state;
    expect(readTasteState(JSON.parse(JSON.stringify(withHead)))).toEqual({ state: withHead });
    expect(readTasteState({ ...withHead, head: { ...withHead.head, weights: [1, 'x'] } })).toEqual({
      state: DEFAULT_TASTE,
      problem: 'Your saved taste head was unreadable and will be fitted again from your votes.',
    });
    expect(readTasteState({ enabled: 'yes', since: 0 })).toEqual({ state: DEFAULT_TASTE, problem: 'Your saved taste settings were unreadable ("enabled" is not true or false) and were reset.' });
    expect(readTasteState(null).problem).toMatch(/not an object/);
  });

  it('keeps on/off, the reset and the fitted weights over a reload', () => {
    const storage = memoryStorage();
    const store = new TasteStore(storage);
    expect(store.state.value).toEqual(DEFAULT_TASTE);
    const fitted = store.refresh(votes(25));
    expect(fitted.refitted).toBe(true);
    store.setEnabled(false);
    const reloaded = new TasteStore(storage);
    expect(reloaded.loadProblem).toBeUndefined();
    expect(reloaded.state.value).toEqual({ ...fitted.state, enabled: false });
    reloaded.setEnabled(true);
    // The reloaded head already matches the votes: no refit.
    expect(reloaded.refresh(votes(25)).refitted).toBe(false);
    reloaded.reset(2_000);
    expect(new TasteStore(storage).state.value).toEqual({ enabled: true, since: 2_000 });
    storage.setItem('vidlet.taste.v1', '{not json');
    const damaged = new TasteStore(storage);
    expect(damaged.state.value).toEqual(DEFAULT_TASTE);
    expect(damaged.loadProblem).toBe('Your saved taste settings were not readable JSON and were reset.');
  });
});
