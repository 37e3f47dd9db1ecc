/** The votes panel's sentences: an import's counts and bad lines, and votes of a model not installed. */
import { describe, expect, it } from 'vitest';
import { importSummary, mismatchNotes } from '../../../src/app/data/vote-summary';
import { MODEL_HASH, vote } from '../votes/fixtures';

describe('importSummary', () => {
  it('counts added and skipped votes and lists each bad line', () => {
    const s = importSummary('votes.jsonl', { added: 3, skippedDuplicates: 2, problems: [{ line: 4, message: 'Line 4: prompt should be a non-empty string.', fields: [] }] });
    expect(s.text).toBe('From "votes.jsonl": 3 votes added, 2 already here, skipped, 1 line not read.');
    expect(s.lines).toEqual(['Line 4: prompt should be a non-empty string.']);
    expect(importSummary('v', { added: 1, skippedDuplicates: 0, problems: [] }).text).toBe('From "v": 1 vote added.');
  });
});

describe('mismatchNotes', () => {
  const other = 'ab'.repeat(32);
  it('says nothing for votes of the installed model, and one sentence per other model', () => {
    const votes = [vote('a'), vote('b', { modelHash: other, model: 'vidlet-big' }), vote('c', { modelHash: other, model: 'vidlet-big' })];
    expect(mismatchNotes([vote('a')], { name: 'vidlet-tiny', hash: MODEL_HASH })).toEqual([]);
    const notes = mismatchNotes(votes, { name: 'vidlet-tiny', hash: MODEL_HASH });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^2 votes: they were made with model "vidlet-big" \(sha256 abababababab…\), but the installed model is "vidlet-tiny"/);
  });

  it('with no model loaded every vote needs its model', () => {
    expect(mismatchNotes([vote('a')], undefined)[0]).toContain('no model is loaded');
  });
});
