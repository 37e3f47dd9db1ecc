import { describe, expect, it } from 'vitest';
import { FALLBACK_SETTINGS, mergeRestoredSettings, validateSettings, withModelDefaults } from '../../../src/app/data/generation-settings';
import type { ModelInfo } from '../../../src/engine/types';
import { randomSeed, SEED } from '../../../src/package/request';

const valid = { ...FALLBACK_SETTINGS, prompt: 'a red ball' };

describe('generation settings', () => {
  it('accepts valid settings and names each bad field', () => {
    expect(validateSettings(valid)).toEqual([]);
    const problems = validateSettings({ ...valid, prompt: '  ', seed: -1, steps: 2.5, guidance: 0.5, innerGuidance: -1 });
    expect(problems.map((p) => p.field)).toEqual(['prompt', 'seed', 'steps', 'guidance', 'innerGuidance']);
    expect(validateSettings({ ...valid, contrast: -1 })).toEqual([{ field: 'contrast', message: 'Shape emphasis must be a number from 0 to 30 (0 = off).' }]);
    expect(validateSettings({ ...valid, contrast: undefined })).toEqual([]);
    expect(validateSettings({ ...valid, sampler: 'ddim' as never })[0].field).toBe('sampler');
  });

  it('restores valid fields and keeps the current value for invalid ones', () => {
    const merged = mergeRestoredSettings(valid, { prompt: 'blue star', seed: 1.5, steps: 8, sampler: 'nope' as never });
    expect(merged).toEqual({ ...valid, prompt: 'blue star', steps: 8 });
    // Out of the request limits counts as invalid too: the form never holds what Generate would refuse.
    expect(mergeRestoredSettings(valid, { seed: -3, steps: 500, guidance: 0, innerGuidance: 31 })).toEqual(valid);
  });

  it('restores shape emphasis; a record without it was made without it', () => {
    const current = { ...valid, contrast: 2 };
    expect(mergeRestoredSettings(current, { contrast: 1.5 }).contrast).toBe(1.5);
    expect(mergeRestoredSettings(current, {}).contrast).toBe(0);
    expect(mergeRestoredSettings(current, { contrast: 31 }).contrast).toBe(2);
  });

  it('random seeds stay in range', () => {
    expect(randomSeed(() => 0)).toBe(0);
    expect(randomSeed(() => 0.999999999)).toBeLessThanOrEqual(SEED.max);
  });

  it('takes model defaults, turning Inner-Guidance off for a model without motion', () => {
    const model = { hasMotion: false, defaults: { steps: 12, guidance: 4, innerGuidance: 3, sampler: 'heun' } } as unknown as ModelInfo;
    expect(withModelDefaults(valid, model)).toEqual({ ...valid, steps: 12, guidance: 4, innerGuidance: 0, sampler: 'heun' });
  });

  it('takes the model\'s shape emphasis, or 0 on a package that names no object nouns', () => {
    const model = { hasMotion: true, hasContrast: true, defaults: { steps: 20, guidance: 3, innerGuidance: 2, contrast: 1.5, sampler: 'euler' } } as ModelInfo;
    expect(withModelDefaults(valid, model).contrast).toBe(1.5);
    expect(withModelDefaults({ ...valid, contrast: 4 }, { ...model, hasContrast: false }).contrast).toBe(0);
  });
});
