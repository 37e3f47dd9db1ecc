/**
 * The form's size preset (src/app/data/generation-settings.ts): the model's default on load, the form's own when the
 * model has it, none for a model of one size, kept in restored records; and a preset whose attention does not fit
 * this device (src/package/attention-fit.ts) is never the default, refused by the form and never sent; nor is the
 * one size of a model without presets that does not fit.
 */
import { describe, expect, it } from 'vitest';
import type { Engine, GenerateRequest, ModelInfo } from '../../../src/engine/types';
import { EngineSession } from '../../../src/app/data/engine-session';
import {
  FALLBACK_SETTINGS, guidancePasses, mergeRestoredSettings, presetFor, presetProblem, settingsForModel, validateSettings, withModelDefaults,
} from '../../../src/app/data/generation-settings';
import type { HistoryStore } from '../../../src/app/data/history-store';
import type { ModelStorage } from '../../../src/app/data/model-storage';

const base = {
  name: 'wan-tiny-presets', defaults: { steps: 4, guidance: 5, innerGuidance: 0, contrast: 0, sampler: 'euler' }, hasMotion: false, hasContrast: false,
} as unknown as ModelInfo;
const withPresets = {
  ...base,
  presets: [{ name: '9x32x32', video: { frames: 9, height: 32, width: 32 } }, { name: 'big', video: { frames: 13, height: 48, width: 64 } }],
  defaultPreset: '9x32x32',
} as ModelInfo;
const form = { ...FALLBACK_SETTINGS, prompt: 'a red ball', guidance: 5, innerGuidance: 0, contrast: 0 };

/** An EngineSession over an engine that loads `info` and records each request it is sent (and then fails it). */
function recordingSession(info: ModelInfo): { session: EngineSession; sent: GenerateRequest[] } {
  const sent: GenerateRequest[] = [];
  const engine = {
    loadModel: async () => info,
    generate: async (r: GenerateRequest) => {
      sent.push(r);
      throw new Error('stop here: the request is what this test checks');
    },
  } as unknown as Engine;
  const storage = { refresh: async () => {}, keepPersistently: async () => {} } as unknown as ModelStorage;
  return { session: new EngineSession(engine, {} as HistoryStore, storage, { source: { base: 'x' } }), sent };
}

describe('size preset settings', () => {
  it('a loaded model gives its default preset; a model of one size none', () => {
    expect(withModelDefaults({ ...FALLBACK_SETTINGS, preset: 'big' }, withPresets).preset).toBe('9x32x32');
    expect('preset' in withModelDefaults({ ...FALLBACK_SETTINGS, preset: 'big' }, base)).toBe(false);
  });

  it('a run makes the form’s preset when the model has it, else the default, and none on a model without presets', () => {
    expect(presetFor({ ...form, preset: 'big' }, withPresets)).toBe('big');
    expect(presetFor({ ...form, preset: 'other-models-size' }, withPresets)).toBe('9x32x32');
    expect(presetFor(form, withPresets)).toBe('9x32x32');
    expect(presetFor({ ...form, preset: 'big' }, base)).toBeUndefined();
    expect(settingsForModel({ ...FALLBACK_SETTINGS, preset: 'big' }, withPresets).preset).toBe('big');
    expect('preset' in settingsForModel({ ...FALLBACK_SETTINGS, preset: 'big' }, base)).toBe(false);
  });

  it('a restored record keeps its preset; one without (older, or one size) has none', () => {
    expect(mergeRestoredSettings(FALLBACK_SETTINGS, { preset: 'big' }).preset).toBe('big');
    expect('preset' in mergeRestoredSettings({ ...FALLBACK_SETTINGS, preset: 'big' }, { prompt: 'x' })).toBe(false);
  });
});

describe('size presets this device cannot make (one attention step over its buffer limit)', () => {
  // a GPU binding at most 1 GB of one buffer; sizes whose scores for the CFG pair are 0.5, 1.6 and 3 GB
  const gpu = { backend: 'webgpu' as const, maxBufferSize: 4e9, maxStorageBufferBindingSize: 1e9 };
  const model = {
    ...base,
    presets: [
      { name: 'small', video: { frames: 17, height: 160, width: 288 }, attentionScoresBytes: 0.5e9 },
      { name: 'medium', video: { frames: 33, height: 240, width: 416 }, attentionScoresBytes: 1.6e9 },
      { name: 'large', video: { frames: 49, height: 320, width: 576 }, attentionScoresBytes: 3e9 },
    ],
    defaultPreset: 'medium',
    bufferLimits: gpu,
  } as ModelInfo;

  it('counts the guidance passes the engine batches: one without CFG, two with it (the package has no motion or contrast passes)', () => {
    expect(guidancePasses({ guidance: 5, innerGuidance: 3, contrast: 2 }, model)).toBe(2);
    expect(guidancePasses({ guidance: 1, innerGuidance: 0, contrast: 0 }, model)).toBe(1);
    expect(guidancePasses({ guidance: 5, innerGuidance: 3, contrast: 2 }, { hasMotion: true, hasContrast: true })).toBe(4);
  });

  it('a loaded model whose default does not fit gives the largest preset that does', () => {
    expect(withModelDefaults(form, model).preset).toBe('small');
    // with no CFG (a distilled model's default guidance 1) the default's one pass needs 0.8 GB: it fits
    expect(withModelDefaults(form, { ...model, defaults: { ...model.defaults, guidance: 1 } }).preset).toBe('medium');
    // limits unknown: the default, as before
    expect(withModelDefaults(form, { ...model, bufferLimits: undefined }).preset).toBe('medium');
  });

  it('a chosen preset that does not fit is refused by the form with the engine’s words, one that fits is not', () => {
    const problem = presetProblem({ ...form, preset: 'large' }, model);
    expect(problem).toBe(
      'large (49 frames of 576×320) needs 3.00 GB in one buffer for one attention step (its scores, 2 passes per step), ' +
        'but this GPU binds at most 1.00 GB of one buffer (maxStorageBufferBindingSize); choose a smaller size',
    );
    expect(validateSettings({ ...form, preset: 'large' }, model)).toEqual([{ field: 'preset', message: `Size and length: ${problem}.` }]);
    expect(validateSettings({ ...form, preset: 'small' }, model)).toEqual([]);
    expect(validateSettings({ ...form, preset: 'medium', guidance: 1 }, model)).toEqual([]);
    expect(validateSettings({ ...form, preset: 'large' })).toEqual([]); // no model loaded yet: nothing to judge by
  });

  it('EngineSession never sends a preset that does not fit: it fails the run with the engine’s refusal', async () => {
    const { session, sent } = recordingSession(model);
    await session.generate({ ...form, preset: 'large' });
    expect(sent).toEqual([]);
    const state = session.run.value;
    expect(state.kind === 'error' && state.error).toMatchObject({ name: 'InvalidRequestError', detail: expect.stringMatching(/^preset large \(49 frames of 576×320\) needs 3\.00 GB in one buffer/) });
    await session.generate({ ...form, preset: 'small' });
    expect(sent.map((r) => r.preset)).toEqual(['small']);
  });
});

describe('a model without presets: its one size, judged by the figure in its manifest’s video', () => {
  const gpu = { backend: 'webgpu' as const, maxBufferSize: 4e9, maxStorageBufferBindingSize: 1e9 };
  const oneSized = { ...base, name: 'wan-1-3b', video: { frames: 33, height: 240, width: 416, fps: 16, attentionScoresBytes: 1.6e9 }, bufferLimits: gpu } as ModelInfo;

  it('is refused by the form with the engine’s words, named by the model, and runs at one pass per step', () => {
    const problem = presetProblem(form, oneSized);
    expect(problem).toBe(
      'wan-1-3b (33 frames of 416×240) needs 1.60 GB in one buffer for one attention step (its scores, 2 passes per step), ' +
        "but this GPU binds at most 1.00 GB of one buffer (maxStorageBufferBindingSize); it is the package's only size, so a smaller clip needs the model converted at a smaller size, " +
        'or fewer guidance passes (guidance 1: one pass per step needs 800 MB)',
    );
    expect(validateSettings(form, oneSized)).toEqual([{ field: 'preset', message: `Size and length: ${problem}.` }]);
    expect(validateSettings({ ...form, guidance: 1 }, oneSized)).toEqual([]);
    // no figure (converted before it was written) or no limits: not judged
    expect(presetProblem(form, { ...oneSized, video: { frames: 33, height: 240, width: 416, fps: 16 } })).toBeUndefined();
    expect(presetProblem(form, { ...oneSized, bufferLimits: undefined })).toBeUndefined();
  });

  it('EngineSession never sends it: it fails the run with the engine’s refusal', async () => {
    const { session, sent } = recordingSession(oneSized);
    await session.generate(form);
    expect(sent).toEqual([]);
    const state = session.run.value;
    expect(state.kind === 'error' && state.error).toMatchObject({ name: 'InvalidRequestError', detail: expect.stringMatching(/^wan-1-3b \(33 frames of 416×240\) needs 1\.60 GB in one buffer .*\.$/) });
    await session.generate({ ...form, guidance: 1 });
    expect(sent.map((r) => r.guidance)).toEqual([1]);
  });
});
