/** Best-of-N's ranking and seeds (src/package/reward.ts) and its order of work (src/engine/best-of.ts). */
import { describe, expect, it } from 'vitest';
import { checkBestOf, runBestOf } from '../../../src/engine/best-of';
import { InvalidRequestError } from '../../../src/engine/errors';
import type { FramesRGBA, GenerateRequest, GenerateResult } from '../../../src/engine/types';
import { overallScore, rankTakes, takeSeed, type TakeScore } from '../../../src/package/reward';

const score = (VQ: number, MQ: number, TA: number): TakeScore => ({ VQ, MQ, TA, overall: overallScore({ VQ, MQ, TA }), features: [] });

describe('rankTakes', () => {
  const takes = [
    { seed: 10, score: score(1, 0, 0) }, // overall 1
    { seed: 11, score: score(-1, 3, 0) }, // overall 2, best MQ
    { seed: 12, score: score(0, 0, 0.5) }, // overall 0.5, best TA
    { seed: 13, score: score(2, -2, 0) }, // overall 0, best VQ
  ];

  it('overall is the sum of the three scores, best first', () => {
    expect(score(0.5, -1.25, 2).overall).toBe(1.25);
    expect(rankTakes(takes, 'overall').map((t) => t.seed)).toEqual([11, 10, 12, 13]);
  });

  it('ranks by one dimension when asked', () => {
    expect(rankTakes(takes, 'vq').map((t) => t.seed)).toEqual([13, 10, 12, 11]);
    expect(rankTakes(takes, 'mq')[0]!.seed).toBe(11);
    expect(rankTakes(takes, 'ta')[0]!.seed).toBe(12);
  });

  it('breaks ties by the lower seed, whatever order the takes come in', () => {
    const tied = [{ seed: 7, score: score(1, 1, 1) }, { seed: 5, score: score(3, 0, 0) }, { seed: 6, score: score(0, 0, 3) }];
    expect(rankTakes(tied, 'overall').map((t) => t.seed)).toEqual([5, 6, 7]);
    expect(rankTakes([...tied].reverse(), 'overall').map((t) => t.seed)).toEqual([5, 6, 7]);
  });

  it('does not reorder its input', () => {
    const copy = [...takes];
    rankTakes(takes, 'overall');
    expect(takes).toEqual(copy);
  });
});

describe('takeSeed', () => {
  it('counts up from the seed and wraps past 2^32 − 1 to 0', () => {
    expect([0, 1, 2].map((i) => takeSeed(41, i))).toEqual([41, 42, 43]);
    expect([0, 1, 2].map((i) => takeSeed(2 ** 32 - 2, i))).toEqual([2 ** 32 - 2, 2 ** 32 - 1, 0]);
  });
});

describe('runBestOf', () => {
  const request: GenerateRequest = { prompt: 'a red ball', seed: 100, steps: 2, guidance: 5, innerGuidance: 3, sampler: 'euler' };
  const clip = (seed: number): FramesRGBA => ({ width: 1, height: 1, frames: 1, data: Uint8ClampedArray.from([seed % 256, 0, 0, 255]) });

  it('generates seeds seed, seed+1, …, scores them in one call, and returns them ranked', async () => {
    const log: string[] = [];
    const result = await runBestOf(
      {
        generate: async (r) => {
          log.push(`generate ${r.seed}`);
          return { request: r, video: clip(r.seed) } as GenerateResult;
        },
        score: async (takes, prompt) => {
          log.push(`score ${takes.length} "${prompt}"`);
          // Take 101 best overall; take 102 best TA.
          return takes.map((t) => (t.data[0] === 101 ? score(2, 0, 0) : t.data[0] === 102 ? score(0, 0, 1.5) : score(0, 0, 0)));
        },
      },
      request,
      { n: 3 },
      { onTake: (t) => log.push(`take ${t.index + 1}/${t.count} seed ${t.seed}`) },
    );
    expect(log).toEqual(['take 1/3 seed 100', 'generate 100', 'take 2/3 seed 101', 'generate 101', 'take 3/3 seed 102', 'generate 102', 'score 3 "a red ball"']);
    expect(result.rankBy).toBe('overall');
    expect(result.takes.map((t) => [t.rank, t.seed, t.score.overall])).toEqual([[1, 101, 2], [2, 102, 1.5], [3, 100, 0]]);
    expect(result.takes[0]!.result.video.data[0]).toBe(101); // each score stays with its own clip
  });

  it("passes each take's steps and decoded frames on as they come, as a single generation does", async () => {
    const log: string[] = [];
    await runBestOf(
      {
        generate: async (r, cb) => {
          cb.onStep?.({ step: 1, steps: 1, t: 1, elapsedMs: 0, etaMs: 0, preview: clip(r.seed) });
          for (const [first, n] of [[0, 5], [5, 4]] as const) cb.onFrames?.({ firstFrame: first, frames: { ...clip(r.seed), frames: n } });
          return { request: r, video: clip(r.seed) } as GenerateResult;
        },
        score: async (takes) => takes.map(() => score(0, 0, 0)),
      },
      request,
      { n: 2 },
      {
        onTake: (t) => log.push(`take ${t.index + 1}/${t.count}`),
        onStep: (s) => log.push(`step ${s.step} of ${s.preview.data[0]}`),
        onFrames: (p) => log.push(`frames ${p.firstFrame}+${p.frames.frames} of ${p.frames.data[0]}`),
      },
    );
    expect(log).toEqual([
      'take 1/2', 'step 1 of 100', 'frames 0+5 of 100', 'frames 5+4 of 100',
      'take 2/2', 'step 1 of 101', 'frames 0+5 of 101', 'frames 5+4 of 101',
    ]);
  });

  it('asks a take for no decoded frames when the caller did not (the engine then converts none)', async () => {
    const asked: string[][] = [];
    await runBestOf(
      {
        generate: async (r, cb) => (asked.push(Object.keys(cb)), { request: r, video: clip(r.seed) } as GenerateResult),
        score: async (takes) => takes.map(() => score(0, 0, 0)),
      },
      request,
      { n: 2 },
      { onStep: () => {} },
    );
    expect(asked).toEqual([['onStep'], ['onStep']]);
  });

  it('refuses a bad n or rankBy before any work, naming the field', () => {
    const bad = (o: object) => {
      try {
        checkBestOf(o as never);
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidRequestError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ n: 0 })).toBe('n (takes of best-of-N) must be a whole number from 1 to 16, got 0.');
    expect(bad({ n: 2.5 })).toMatch(/^n \(takes of best-of-N\) must be a whole number/);
    expect(bad({ n: 17 })).toMatch(/got 17/);
    expect(bad({ n: 2, rankBy: 'VQ' })).toBe('rankBy must be one of overall, vq, mq, ta, got "VQ".');
    expect(checkBestOf({ n: 4 })).toEqual({ n: 4, rankBy: 'overall' });
  });
});
