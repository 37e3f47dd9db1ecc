/**
 * The vote bar's keyboard: 1/2/0 vote the focused dimension and move on, arrows move focus; the
 * one-click overall vote is recorded as overall alone, never as votes on VQ, MQ and TA.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_VOTE, focused, isComplete, onKey, recordOutcomes, setOverall, type VoteKeysState } from '../../../src/app/data/vote-keys';

const press = (keys: string[], from: VoteKeysState = EMPTY_VOTE) => keys.reduce((s, k) => onKey(s, k) ?? s, from);

describe('vote keys', () => {
  it('"1 0 2" votes VQ = A, MQ = tie, TA = B in order and completes the vote', () => {
    const s = press(['1', '0', '2']);
    expect(s.outcomes).toEqual({ VQ: 'A', MQ: 'tie', TA: 'B' });
    expect(isComplete(s)).toBe(true);
    expect(isComplete(press(['1', '0']))).toBe(false);
  });

  it('arrows move focus within the three dimensions; a vote replaces the focused one', () => {
    expect(focused(press(['ArrowDown']))).toBe('MQ');
    expect(focused(press(['ArrowRight', 'ArrowRight', 'ArrowRight']))).toBe('TA');
    expect(focused(press(['ArrowUp']))).toBe('VQ');
    const s = press(['1', '1', '1', 'ArrowLeft', '2']);
    expect(s.outcomes).toEqual({ VQ: 'A', MQ: 'B', TA: 'A' });
  });

  it('ignores keys that are not the bar\'s, so the page keeps them', () => {
    expect(onKey(EMPTY_VOTE, 'a')).toBeUndefined();
    expect(onKey(EMPTY_VOTE, '3')).toBeUndefined();
  });

  it('one-click overall records overall alone: the dimensions nobody voted stay unvoted', () => {
    const s = setOverall(EMPTY_VOTE, 'B');
    expect(isComplete(s)).toBe(true);
    expect(recordOutcomes(s)).toEqual({ overall: 'B' });
    // With some dimensions voted, those stay as voted and focus stays put.
    const some = setOverall(press(['1', 'ArrowDown']), 'tie');
    expect(recordOutcomes(some)).toEqual({ VQ: 'A', overall: 'tie' });
    expect(focused(some)).toBe('TA');
    // The person's overall wins over what the dimensions would give; a key after it keeps it.
    expect(recordOutcomes(press(['1'], setOverall(press(['2', '2', '2']), 'A')))).toEqual({ VQ: 'B', MQ: 'B', TA: 'A', overall: 'A' });
  });

  it('without an overall vote, the record gets overall only when the three do not disagree', () => {
    expect(recordOutcomes(press(['1', '0', '1'])).overall).toBe('A');
    expect(recordOutcomes(press(['0', '0', '0'])).overall).toBe('tie');
    expect(recordOutcomes(press(['1', '2', '0']))).not.toHaveProperty('overall');
    expect(recordOutcomes(press(['1']))).toEqual({ VQ: 'A' });
  });
});
