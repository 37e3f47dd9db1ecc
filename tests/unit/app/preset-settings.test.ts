/** The form's size preset (src/app/data/generation-settings.ts): the model's default on load, the form's own when the model has it, none for a model of one size, kept in restored records. */
import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../../src/engine/types';
import { FALLBACK_SETTINGS, mergeRestoredSettings, presetFor, settingsForModel, withModelDefaults } from '../../../src/app/data/generation-settings';

const base = {
  name: 'wan-tiny-presets', defaults: { steps: 4, guidance: 5, innerGuidance: 0, contrast: 0, sampler: 'euler' }, hasMotion: false, hasContrast: false,
} as unknown as ModelInfo;
const withPresets = {
  ...base,
  presets: [{ name: '9x32x32', video: { frames: 9, height: 32, width: 32 } }, { name: 'big', video: { frames: 13, height: 48, width: 64 } }],
  defaultPreset: '9x32x32',
} as ModelInfo;

describe('size preset settings', () => {
  it('a loaded model gives its default preset; a model of one size none', () => {
    expect(withModelDefaults({ ...FALLBACK_SETTINGS, preset: 'big' }, withPresets).preset).toBe('9x32x32');
    expect('preset' in withModelDefaults({ ...FALLBACK_SETTINGS, preset: 'big' }, base)).toBe(false);
  });

  it('a run makes the form’s preset when the model has it, else the default, and none on a model without presets', () => {
    expect(presetFor('big', withPresets)).toBe('big');
    expect(presetFor('other-models-size', withPresets)).toBe('9x32x32');
    expect(presetFor(undefined, withPresets)).toBe('9x32x32');
    expect(presetFor('big', base)).toBeUndefined();
    expect(settingsForModel({ ...FALLBACK_SETTINGS, preset: 'big' }, withPresets).preset).toBe('big');
    expect('preset' in settingsForModel({ ...FALLBACK_SETTINGS, preset: 'big' }, base)).toBe(false);
  });

  it('a restored record keeps its preset; one without (older, or one size) has none', () => {
    expect(mergeRestoredSettings(FALLBACK_SETTINGS, { preset: 'big' }).preset).toBe('big');
    expect('preset' in mergeRestoredSettings({ ...FALLBACK_SETTINGS, preset: 'big' }, { prompt: 'x' })).toBe(false);
  });
});
