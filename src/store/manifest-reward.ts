/**
 * The manifest's optional `reward` section (#9; docs/model-package.md, "Reward model"): how to read
 * the rewardModel component's outputs. Kept out of manifest.ts, which already holds every other
 * section, and checked against the contract in src/package/reward.ts.
 */
import { REWARD_DIMENSIONS, rewardSpecProblems, type RewardDimension, type RewardSpec } from '../package/reward';
import { arr, fail, int, join, num, obj, oneOf, optStr, str } from './json-fields';

/**
 * `reward` as a RewardSpec, or undefined when the package has neither it nor a rewardModel. The two
 * come together: scores without their meaning (which axis is VQ, which θ) cannot be used, and a
 * meaning without a graph scores nothing.
 */
export function parseRewardSpec(v: unknown, hasComponent: boolean): RewardSpec | undefined {
  if (v === undefined) {
    if (hasComponent) fail('reward', 'is missing, but components.rewardModel is present; the engine needs it to read the scores', 'add the "reward" section that training/vidlet_train/reward/export.py writes in manifest-fragment.json');
    return undefined;
  }
  if (!hasComponent) fail('reward', 'is present, but components.rewardModel is missing; there is no graph to score with', 'add components.rewardModel from manifest-fragment.json, or remove "reward"');
  const o = obj(v, 'reward');
  const video = obj(o.video, 'reward.video');
  const spec: RewardSpec = {
    component: oneOf(o.component, 'reward.component', ['rewardModel'] as const),
    dimensions: arr(o.dimensions, 'reward.dimensions').map((d, i) => oneOf(d, join('reward.dimensions', i), REWARD_DIMENSIONS) as RewardDimension),
    features: int(o.features, 'reward.features', 1),
    tieTheta: num(o.tieTheta, 'reward.tieTheta'),
    video: {
      frames: int(video.frames, 'reward.video.frames', 1),
      height: int(video.height, 'reward.video.height', 1),
      width: int(video.width, 'reward.video.width', 1),
    },
  };
  const problem = rewardSpecProblems(spec)[0];
  if (problem) fail(`reward.${problem.field}`, `is ${JSON.stringify(spec[problem.field as keyof RewardSpec])}, but ${problem.problem}`);
  const appliesTo = optStr(o.appliesTo, 'reward.appliesTo');
  const data = optStr(o.data, 'reward.data');
  if (appliesTo !== undefined) spec.appliesTo = appliesTo;
  if (data !== undefined) spec.data = data;
  if (o.training !== undefined) {
    const t = obj(o.training, 'reward.training');
    spec.training = {
      ...(t.command === undefined ? {} : { command: str(t.command, 'reward.training.command') }),
      ...(t.commit === undefined ? {} : { commit: str(t.commit, 'reward.training.commit') }),
    };
  }
  return spec;
}
