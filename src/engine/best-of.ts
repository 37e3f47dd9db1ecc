/**
 * Best-of-N (#9): N generations of one request from seeds seed, seed + 1, …, scored together by the
 * reward model (one batched call) and ranked by src/package/reward.ts's rankTakes. Written over two
 * functions rather than the engine, so the order of work is unit-tested with fakes; the engine
 * (engine.ts generateBestOf) checks the model has a reward model before calling it.
 */
import { BEST_OF, isRankBy, RANK_BY, rankTakes, takeSeed, type RankBy, type TakeScore } from '../package/reward';
import { limitProblem } from '../package/request';
import { InvalidRequestError } from './errors';
import type { AdapterSettings, BestOfCallbacks, BestOfOptions, BestOfResult, FramesRGBA, GenerateCallbacks, GenerateRequest, GenerateResult } from './types';

export interface BestOfParts {
  /** One take, reporting its steps and decoded frames as a single generation does. */
  generate(request: GenerateRequest & AdapterSettings, callbacks: GenerateCallbacks): Promise<GenerateResult>;
  score(takes: FramesRGBA[], prompt: string): Promise<TakeScore[]>;
}

/** The options with defaults, or an InvalidRequestError naming the field. */
export function checkBestOf(options: BestOfOptions): { n: number; rankBy: RankBy } {
  const problem = limitProblem(BEST_OF, options?.n);
  if (problem) throw new InvalidRequestError(`n (takes of best-of-N) ${problem}.`, { field: 'n' });
  const rankBy = options.rankBy ?? 'overall';
  if (!isRankBy(rankBy)) throw new InvalidRequestError(`rankBy must be one of ${RANK_BY.join(', ')}, got ${JSON.stringify(rankBy)}.`, { field: 'rankBy' });
  return { n: options.n, rankBy };
}

export async function runBestOf(
  parts: BestOfParts,
  request: GenerateRequest & AdapterSettings,
  options: BestOfOptions,
  callbacks: BestOfCallbacks = {},
): Promise<BestOfResult> {
  const { n, rankBy } = checkBestOf(options);
  const results: GenerateResult[] = [];
  // Each take's steps and decoded frames go to the caller as they come (onTake said which take:
  // its frames count from 0 again).
  const { onStep, onFrames } = callbacks;
  const perTake: GenerateCallbacks = { ...(onStep ? { onStep } : {}), ...(onFrames ? { onFrames } : {}) };
  for (let i = 0; i < n; i++) {
    const seed = takeSeed(request.seed, i);
    callbacks.onTake?.({ index: i, count: n, seed });
    results.push(await parts.generate({ ...request, seed }, perTake));
  }
  // Scored after all takes, in one batched call: the reward session then runs once per N, and a
  // cancelled run costs no scoring.
  const scores = await parts.score(results.map((r) => r.video), request.prompt);
  const ranked = rankTakes(results.map((result, i) => ({ seed: result.request.seed, score: scores[i]!, result })), rankBy);
  return { rankBy, takes: ranked.map((t, i) => ({ ...t, rank: i + 1 })) };
}
