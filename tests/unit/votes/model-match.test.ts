/** Matching a vote to the installed model: by sha256 only, and a sentence naming the model needed when it does not match. */
import { describe, expect, it } from 'vitest';
import { modelMismatch } from '../../../src/votes/model-match';
import { MODEL_HASH, vote } from './fixtures';

const OTHER = 'c0ffee'.padEnd(64, '0');

describe('modelMismatch', () => {
  it('matches by digest, in any case, whatever the name', () => {
    expect(modelMismatch(vote('v'), { name: 'vidlet-tiny', hash: MODEL_HASH })).toBeUndefined();
    expect(modelMismatch(vote('v'), { name: 'renamed', hash: MODEL_HASH.toUpperCase() })).toBeUndefined();
  });

  it('says which model is needed: none loaded, another build of the same name, another model', () => {
    expect(modelMismatch(vote('v'), undefined)).toBe(
      'This vote was made with model "vidlet-tiny" (sha256 3f3f3f3f3f3f…), and no model is loaded: load that model to make its takes again.',
    );
    expect(modelMismatch(vote('v'), { name: 'vidlet-tiny', hash: OTHER })).toBe(
      'This vote was made with another build of "vidlet-tiny" (sha256 3f3f3f3f3f3f…) than the one installed (sha256 c0ffee000000…), ' +
        'so its takes would not come out the same: install the build whose sha256 starts 3f3f3f3f3f3f.',
    );
    expect(modelMismatch(vote('v'), { name: 'vidlet-base', hash: OTHER })).toBe(
      'This vote was made with model "vidlet-tiny" (sha256 3f3f3f3f3f3f…), but the installed model is "vidlet-base": load "vidlet-tiny" to make its takes again.',
    );
  });
});
