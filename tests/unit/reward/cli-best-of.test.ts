/** `vidlet generate --best-of N [--rank-by …]`: flags (src/cli/args.ts) and what is printed (src/cli/best-of.ts). */
import { describe, expect, it } from 'vitest';
import { parseCli, UsageError } from '../../../src/cli/args';
import { bestOfRefusal, bestOfSummary, rankingLines } from '../../../src/cli/best-of';
import type { BestOfResult, GenerateResult } from '../../../src/engine/types';

const generate = (...flags: string[]) => {
  const o = parseCli(['generate', '--prompt', 'p', ...flags]);
  if (o.command !== 'generate') throw new Error('expected generate');
  return o;
};
const usage = (...flags: string[]) => {
  try {
    generate(...flags);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('--best-of / --rank-by', () => {
  it('are absent unless given', () => {
    const o = generate();
    expect(o.bestOf).toBeUndefined();
    expect(o.rankBy).toBeUndefined();
  });

  it('parse N and a ranking', () => {
    expect(generate('--best-of', '4')).toMatchObject({ bestOf: 4 });
    expect(generate('--best-of', '3', '--rank-by', 'ta')).toMatchObject({ bestOf: 3, rankBy: 'ta' });
  });

  it('refuse what the engine would refuse, naming the flag', () => {
    expect(usage('--best-of', '0')).toBe('--best-of must be a whole number from 1 to 16, got 0.');
    expect(usage('--best-of', '2.5')).toBe('--best-of must be a whole number from 1 to 16, got 2.5.');
    expect(usage('--best-of', '40')).toMatch(/got 40/);
    expect(usage('--best-of', 'many')).toBe('--best-of must be a number, got "many".');
    expect(usage('--best-of', '2', '--rank-by', 'VQ')).toBe('--rank-by must be one of overall, vq, mq, ta, got "VQ".');
    expect(usage('--rank-by', 'vq')).toMatch(/^--rank-by only applies with --best-of N/);
  });
});

describe('best-of output', () => {
  it('a model without a reward model is refused with what to do', () => {
    const why = bestOfRefusal({ displayName: 'Vidlet tiny (embedded)' });
    expect(why).toMatch(/^--best-of: the model "Vidlet tiny \(embedded\)" has no reward model/);
    expect(why).toMatch(/Run without --best-of/);
    expect(why).toMatch(/--model DIR with a package that ships one/);
    expect(bestOfRefusal({ displayName: 'x', reward: { dimensions: ['VQ', 'MQ', 'TA'], features: 64, tieTheta: 5, video: { frames: 16, height: 128, width: 128 } } })).toBeUndefined();
  });

  const best: BestOfResult = {
    rankBy: 'overall',
    takes: [
      { rank: 1, seed: 8, score: { VQ: 0.5, MQ: -0.25, TA: 1, overall: 1.25, features: [] }, result: {} as GenerateResult },
      { rank: 2, seed: 7, score: { VQ: -1.5, MQ: 0, TA: 0.125, overall: -1.375, features: [] }, result: {} as GenerateResult },
    ],
  };

  it('prints every take ranked with its three scores, and which was written', () => {
    const lines = rankingLines(best, 'clip.mp4');
    expect(lines[0]).toMatch(/^best of 2 by overall \(VQ \+ MQ \+ TA\)/);
    expect(lines.slice(1)).toEqual([
      'rank  seed          VQ       MQ       TA       overall',
      '1     8              0.500   -0.250    1.000    1.250   → clip.mp4',
      '2     7             -1.500    0.000    0.125   -1.375',
    ]);
    expect(rankingLines({ ...best, rankBy: 'mq' }, 'x.gif')[0]).toMatch(/^best of 2 by MQ;/);
  });

  it('--json carries the ranking without the clips', () => {
    expect(bestOfSummary(best)).toEqual({
      rankBy: 'overall',
      takes: [{ rank: 1, seed: 8, VQ: 0.5, MQ: -0.25, TA: 1, overall: 1.25 }, { rank: 2, seed: 7, VQ: -1.5, MQ: 0, TA: 0.125, overall: -1.375 }],
    });
  });
});
