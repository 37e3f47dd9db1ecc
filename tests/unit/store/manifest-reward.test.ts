/**
 * The optional rewardModel component and `reward` section (#9), as training's reward export writes
 * them (tests/fixtures/reward/manifest-fragment.json, made by export.py), read by parseManifest.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../../src/store/errors';
import { parseManifest, variantFiles } from '../../../src/store/manifest';
import { errorOf, validManifest } from './manifest-fixture';

const fragment = JSON.parse(readFileSync('tests/fixtures/reward/manifest-fragment.json', 'utf8'));

function withReward(): Record<string, any> {
  const m = validManifest();
  m.components.rewardModel = structuredClone(fragment.components.rewardModel);
  m.reward = structuredClone(fragment.reward);
  return m;
}

describe('manifest rewardModel + reward', () => {
  it('a package without them loads exactly as before', () => {
    const m = parseManifest(validManifest());
    expect(m.reward).toBeUndefined();
    expect(m.components.rewardModel).toBeUndefined();
    expect(Object.keys(m.components).sort()).toEqual(['denoiser', 'previewDecoder', 'textEncoder', 'vaeDecoder']);
  });

  it("reads what training's export writes", () => {
    const m = parseManifest(withReward());
    expect(m.reward).toEqual({
      component: 'rewardModel', dimensions: ['VQ', 'MQ', 'TA'], features: 64, tieTheta: 5,
      video: { frames: 16, height: 128, width: 128 },
      appliesTo: fragment.reward.appliesTo, data: fragment.reward.data, training: fragment.reward.training,
    });
    expect(m.components.rewardModel?.inputs).toEqual({ video: 'video', text: 'text', text_mask: 'text_mask' });
    expect(variantFiles(m, { rewardModel: 'int8' }).map((f) => f.path)).toEqual(['reward_model.int8.onnx']);
  });

  it('accepts the dimensions in another order (the order of the scores axis)', () => {
    const m = withReward();
    m.reward.dimensions = ['TA', 'VQ', 'MQ'];
    expect(parseManifest(m).reward?.dimensions).toEqual(['TA', 'VQ', 'MQ']);
  });

  type Mutation = [label: string, field: string, message: RegExp, mutate: (m: Record<string, any>) => void];
  const bad: Mutation[] = [
    ['reward without the component', 'reward', /components\.rewardModel is missing/, (m) => delete m.components.rewardModel],
    ['the component without reward', 'reward', /is missing, but components\.rewardModel is present/, (m) => delete m.reward],
    ['a missing role', 'components.rewardModel.inputs.text_mask', /role "text_mask"/, (m) => delete m.components.rewardModel.inputs.text_mask],
    ['a missing output role', 'components.rewardModel.outputs.features', /role "features"/, (m) => delete m.components.rewardModel.outputs.features],
    ['no variants', 'components.rewardModel.variants', /at least one variant/, (m) => (m.components.rewardModel.variants = {})],
    ['reward not an object', 'reward', /must be an object/, (m) => (m.reward = 'yes')],
    ['another component', 'reward.component', /must be one of "rewardModel"/, (m) => (m.reward.component = 'vaeDecoder')],
    ['an unknown dimension', 'reward.dimensions[2]', /must be one of "VQ", "MQ", "TA"/, (m) => (m.reward.dimensions = ['VQ', 'MQ', 'AES'])],
    ['a dimension twice', 'reward.dimensions', /once each.*missing TA/, (m) => (m.reward.dimensions = ['VQ', 'MQ', 'MQ'])],
    ['too few dimensions', 'reward.dimensions', /once each/, (m) => (m.reward.dimensions = ['VQ', 'MQ'])],
    ['dimensions not a list', 'reward.dimensions', /must be an array/, (m) => (m.reward.dimensions = 'VQ,MQ,TA')],
    ['features 0', 'reward.features', /at least 1/, (m) => (m.reward.features = 0)],
    ['features fractional', 'reward.features', /must be an integer/, (m) => (m.reward.features = 6.5)],
    ['tieTheta 1', 'reward.tieTheta', /above 1/, (m) => (m.reward.tieTheta = 1)],
    ['tieTheta missing', 'reward.tieTheta', /finite number/, (m) => delete m.reward.tieTheta],
    ['video missing', 'reward.video', /must be an object/, (m) => delete m.reward.video],
    ['video frames 0', 'reward.video.frames', /at least 1/, (m) => (m.reward.video.frames = 0)],
    ['video height text', 'reward.video.height', /finite number/, (m) => (m.reward.video.height = '128')],
    ['video width missing', 'reward.video.width', /finite number/, (m) => delete m.reward.video.width],
    ['appliesTo empty', 'reward.appliesTo', /non-empty string/, (m) => (m.reward.appliesTo = '')],
    ['training not an object', 'reward.training', /must be an object/, (m) => (m.reward.training = 'train.py')],
  ];
  it.each(bad)('refuses %s, naming %s', (_label, field, message, mutate) => {
    const m = withReward();
    mutate(m);
    const e = errorOf(m);
    expect(e.field).toBe(field);
    expect(e.message.startsWith(`manifest.${field} `)).toBe(true);
    expect(e.message).toMatch(message);
  });
});
