/** Scoring over a fake reward graph (src/engine/reward-scores.ts): batches, text per take, dimension order, shape checks. */
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../../src/engine/errors';
import { readScores, REWARD_BATCH, scoreTakesWith, type RewardFeeds } from '../../../src/engine/reward-scores';
import type { FramesRGBA } from '../../../src/engine/types';
import type { RewardSpec } from '../../../src/package/reward';

const spec: RewardSpec = { component: 'rewardModel', dimensions: ['VQ', 'MQ', 'TA'], features: 2, tieTheta: 5, video: { frames: 1, height: 1, width: 1 } };
/** A 1-pixel take whose red byte is `r`. */
const take = (r: number): FramesRGBA => ({ frames: 1, height: 1, width: 1, data: Uint8ClampedArray.from([r, 0, 0, 255]) });
const f32 = (...v: number[]) => Float32Array.from(v);

describe('scoreTakesWith', () => {
  it(`calls the graph once per ${REWARD_BATCH} takes, with the prompt's text state on every row, scores in take order`, async () => {
    const calls: RewardFeeds[] = [];
    const takes = Array.from({ length: REWARD_BATCH + 2 }, (_, i) => take(i * 10));
    const scores = await scoreTakesWith(
      async (feeds) => {
        calls.push(feeds);
        const B = feeds.video.dims[0]!;
        // VQ = the take's red value in [−1, 1]; MQ = its text mask sum; TA = its first text value.
        const s = new Float32Array(B * 3);
        for (let b = 0; b < B; b++) {
          s[b * 3] = feeds.video.data[b * 3]!;
          s[b * 3 + 1] = feeds.textMask.data.subarray(b * 2, b * 2 + 2).reduce((a, x) => a + x, 0);
          s[b * 3 + 2] = feeds.text.data[b * 6]!;
        }
        return { scores: { data: s, dims: [B, 3] }, features: { data: new Float32Array(B * 2).fill(0.5), dims: [B, 2] } };
      },
      spec,
      takes,
      { hidden: f32(7, 8, 9, 0, 0, 0), mask: f32(1, 0), maxLength: 2, hiddenSize: 3 },
    );
    expect(calls.map((c) => c.video.dims)).toEqual([[REWARD_BATCH, 3, 1, 1, 1], [2, 3, 1, 1, 1]]);
    expect(calls[1]!.text.dims).toEqual([2, 2, 3]);
    expect(Array.from(calls[1]!.text.data)).toEqual([7, 8, 9, 0, 0, 0, 7, 8, 9, 0, 0, 0]);
    expect(scores).toHaveLength(REWARD_BATCH + 2);
    scores.forEach((s, i) => {
      expect(s.VQ).toBeCloseTo((i * 10) / 127.5 - 1, 6);
      expect([s.MQ, s.TA, s.features]).toEqual([1, 7, [0.5, 0.5]]);
      expect(s.overall).toBeCloseTo(s.VQ + 8, 6);
    });
  });
});

describe('readScores', () => {
  it('names each column by manifest.reward.dimensions', () => {
    const [s] = readScores({ ...spec, dimensions: ['TA', 'VQ', 'MQ'] }, 1, { data: f32(1, 2, 3), dims: [1, 3] }, { data: f32(0, 0), dims: [1, 2] });
    expect(s).toMatchObject({ TA: 1, VQ: 2, MQ: 3, overall: 6 });
  });

  it('refuses outputs of another shape than the manifest promises', () => {
    const bad = () => readScores(spec, 2, { data: new Float32Array(6), dims: [2, 3] }, { data: new Float32Array(128), dims: [2, 64] });
    expect(bad).toThrow(ModelFormatError);
    expect(bad).toThrow('The reward model returned scores [2,3] and features [2,64] for 2 takes; manifest.reward promises [2,3] and [2,2]. Re-export the reward model or fix manifest.reward.');
  });

  it('refuses NaN scores (a broken export) instead of ranking by them', () => {
    expect(() => readScores(spec, 1, { data: f32(0, NaN, 0), dims: [1, 3] }, { data: f32(0, 0), dims: [1, 2] })).toThrow(/The reward model produced NaN/);
  });
});
