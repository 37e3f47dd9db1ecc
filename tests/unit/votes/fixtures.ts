/** Valid vote records for the votes tests, changed per test with plain spreads. */
import { FALLBACK_SETTINGS } from '../../../src/app/data/generation-settings';
import type { VoteRecord, VoteTake } from '../../../src/votes/vote-record';

export const MODEL_HASH = '3f'.repeat(32);
export const PIP_HASH = '0123456789abcdef'.repeat(4);
export const PROMPT = 'a red star moves left on a blue background';

export function take(seed: number, extra: Partial<VoteTake> = {}): VoteTake {
  return { settings: { ...FALLBACK_SETTINGS, prompt: PROMPT, seed }, adapterHashes: {}, ...extra };
}

export function vote(id: string, extra: Partial<VoteRecord> = {}): VoteRecord {
  return {
    version: 1,
    id,
    createdAt: 1_790_000_000_000,
    prompt: PROMPT,
    negative: '',
    model: 'vidlet-tiny',
    modelHash: MODEL_HASH,
    variant: 'int8',
    a: take(7),
    b: take(8),
    outcomes: { VQ: 'A', MQ: 'tie', TA: 'B', overall: 'A' },
    ...extra,
  };
}

/** A take with an adapter on a hand-set curve, and the history entry it came from. */
export const adapterTake = (): VoteTake =>
  take(9, {
    settings: {
      ...FALLBACK_SETTINGS,
      prompt: PROMPT,
      negativePrompt: 'blurry',
      seed: 9,
      adapters: [{ name: 'pip', strength: 0.8, schedule: { axis: 't', points: [[0, 1], [1, 0.5]], groups: [[0], [1]], multipliers: [1, 2] } }],
      blend: 'constant',
    },
    adapterHashes: { pip: PIP_HASH },
    historyId: 'mk3x-1a2b',
  });
