/**
 * Scoring takes with the reward model (#9), independent of how its session is made: the engine
 * passes a `run` over its rewardModel session (engine.ts), unit tests a fake. Takes go in batches
 * (one graph call per REWARD_BATCH takes, the prompt's text state repeated per take); the outputs
 * become a TakeScore per take with the dimensions named by the manifest's `reward.dimensions`.
 */
import { overallScore, type RewardDimension, type RewardSpec, type TakeScore } from '../package/reward';
import type { Manifest } from '../store/types';
import { InvalidRequestError, ModelFormatError, NoRewardModelError } from './errors';
import { assertFinite } from './health';
import { takeToRewardVideo, takeValueCount } from './reward-input';
import type { FramesRGBA } from './types';

/**
 * Takes per graph call: a take is 3·16·128·128 floats (3 MB) at the shipped size, so 8 keep a call
 * under ~25 MB of input while a best-of-8 is still one call.
 */
export const REWARD_BATCH = 8;

export interface RewardFeeds {
  /** [B, 3, T, H, W] in [−1, 1] */
  video: { data: Float32Array; dims: number[] };
  /** [B, L, hidden] */
  text: { data: Float32Array; dims: number[] };
  /** [B, L], 1 = token, 0 = pad */
  textMask: { data: Float32Array; dims: number[] };
}

/** The manifest's reward section, or NoRewardModelError saying what to do. */
export function requireReward(manifest: Manifest): RewardSpec {
  if (manifest.reward && manifest.components.rewardModel) return manifest.reward;
  throw new NoRewardModelError(
    `${manifest.displayName} has no reward model (its manifest has no components.rewardModel and "reward" section), so takes cannot be scored or ranked. ` +
      'Load a model package that ships one (docs/model-package.md, "Reward model"), or generate single takes.',
    { model: manifest.name },
  );
}

/** Refuses, before any work, takes that are not clips (they may come from the page over the worker). */
export function checkTakes(takes: readonly FramesRGBA[], prompt: string): void {
  if (!Array.isArray(takes) || takes.length === 0) throw new InvalidRequestError('takes must be a non-empty list of clips (FramesRGBA).', { field: 'takes' });
  if (typeof prompt !== 'string') throw new InvalidRequestError('prompt must be text.', { field: 'prompt' });
  takes.forEach((t, i) => {
    if (!t || !ArrayBuffer.isView(t.data) || !(t.width >= 1 && t.height >= 1 && t.frames >= 1) || t.data.length !== t.width * t.height * t.frames * 4) {
      throw new InvalidRequestError(`takes[${i}] is not a clip: it needs width, height, frames and width·height·frames·4 RGBA bytes in data.`, { field: 'takes' });
    }
  });
}

export type RunReward = (feeds: RewardFeeds) => Promise<{ scores: { data: Float32Array; dims: readonly number[] }; features: { data: Float32Array; dims: readonly number[] } }>;

/**
 * Scores of `takes` against one prompt's text encoding (`hidden` [1, L, hiddenSize], `mask` [1, L]),
 * in the takes' order.
 */
export async function scoreTakesWith(
  run: RunReward,
  spec: RewardSpec,
  takes: readonly FramesRGBA[],
  text: { hidden: Float32Array; mask: Float32Array; maxLength: number; hiddenSize: number },
): Promise<TakeScore[]> {
  const { maxLength: L, hiddenSize: Hd } = text;
  const per = takeValueCount(spec.video);
  const out: TakeScore[] = [];
  for (let start = 0; start < takes.length; start += REWARD_BATCH) {
    const batch = takes.slice(start, start + REWARD_BATCH);
    const B = batch.length;
    const video = new Float32Array(B * per);
    batch.forEach((take, b) => takeToRewardVideo(take, spec.video, video, b * per));
    const hidden = new Float32Array(B * L * Hd);
    const mask = new Float32Array(B * L);
    for (let b = 0; b < B; b++) {
      hidden.set(text.hidden.subarray(0, L * Hd), b * L * Hd);
      mask.set(text.mask.subarray(0, L), b * L);
    }
    const r = await run({
      video: { data: video, dims: [B, 3, spec.video.frames, spec.video.height, spec.video.width] },
      text: { data: hidden, dims: [B, L, Hd] },
      textMask: { data: mask, dims: [B, L] },
    });
    out.push(...readScores(spec, B, r.scores, r.features));
  }
  return out;
}

/** scores [B, 3] and features [B, F] → one TakeScore per take, checked against the manifest. */
export function readScores(
  spec: RewardSpec,
  B: number,
  scores: { data: Float32Array; dims: readonly number[] },
  features: { data: Float32Array; dims: readonly number[] },
): TakeScore[] {
  const D = spec.dimensions.length;
  const F = spec.features;
  const same = (dims: readonly number[], want: number[]) => dims.length === want.length && dims.every((d, i) => d === want[i]);
  if (!same(scores.dims, [B, D]) || !same(features.dims, [B, F])) {
    throw new ModelFormatError(
      `The reward model returned scores [${scores.dims.join(',')}] and features [${features.dims.join(',')}] for ${B} take${B === 1 ? '' : 's'}; ` +
        `manifest.reward promises [${B},${D}] and [${B},${F}]. Re-export the reward model or fix manifest.reward.`,
      { component: 'rewardModel' },
    );
  }
  assertFinite(scores.data, 'reward model');
  return Array.from({ length: B }, (_, b) => {
    const byName = {} as Record<RewardDimension, number>;
    spec.dimensions.forEach((d, i) => (byName[d] = scores.data[b * D + i]!));
    return { ...byName, overall: overallScore(byName), features: Array.from(features.data.subarray(b * F, (b + 1) * F)) };
  });
}
