/**
 * A history clip's reward scores as kept with its entry (#9): the three dimensions and overall of
 * a TakeScore, and which reward model made them, since two reward models' Bradley–Terry scores are
 * not on one scale. The feature vector is left out: F floats per clip would grow every summary the
 * gallery lists, and the votes already keep features where the taste head needs them. Pure.
 */
import type { RewardDimension, TakeScore } from '../../package/reward';

/** The package whose reward model scored a clip: its name, and the sha256 of its manifest.json when it could be read (it pins the reward model's weights). */
export interface RewardModelId {
  name: string;
  sha256?: string;
}

export interface ClipScores extends Pick<TakeScore, RewardDimension | 'overall'> {
  rewardModel: RewardModelId;
}

export function clipScores(score: TakeScore, rewardModel: RewardModelId): ClipScores {
  return { VQ: score.VQ, MQ: score.MQ, TA: score.TA, overall: score.overall, rewardModel };
}

/** "VQ 0.12 · MQ -0.30 · TA 0.05 · overall -0.13": two decimals, as the compare view's table shows them. */
export function scoresLine(s: ClipScores): string {
  return `VQ ${s.VQ.toFixed(2)} · MQ ${s.MQ.toFixed(2)} · TA ${s.TA.toFixed(2)} · overall ${s.overall.toFixed(2)}`;
}
