/**
 * The page on a distilled model with an explicit sigma list (ModelInfo.fixedSteps, issue #11): the
 * step control shows the model's count, locked, with the reason; a run sends that count whatever
 * the form holds, and the form keeps the user's own number for the next model.
 */
import { describe, expect, it } from 'vitest';
import { EngineSession } from '../../../src/app/data/engine-session';
import { FALLBACK_SETTINGS, settingsForModel, stepControl, withModelDefaults } from '../../../src/app/data/generation-settings';
import type { HistoryStore } from '../../../src/app/data/history-store';
import type { ModelStorage } from '../../../src/app/data/model-storage';
import type { Engine, GenerateRequest, ModelInfo } from '../../../src/engine/types';

const video = { frames: 16, height: 128, width: 128, fps: 8 };
const distilled = { video, fixedSteps: 8, hasMotion: false, defaults: { steps: 8, guidance: 1, innerGuidance: 0, sampler: 'x0-renoise' } } as ModelInfo;
const ordinary = { video, hasMotion: true, defaults: { steps: 20, guidance: 5, innerGuidance: 3, sampler: 'euler' } } as ModelInfo;
const typed = { ...FALLBACK_SETTINGS, prompt: 'a red ball', steps: 30 };

describe('the step control on a model with a fixed sigma list', () => {
  it('shows the fixed count, locked, and says why; on other models the user\'s number, editable', () => {
    expect(stepControl(typed, distilled)).toEqual({
      value: 8, fixed: true,
      note: "This model was distilled to sample on a fixed list of 8 noise levels (its manifest's schedule.sigmas), so it always takes 8 steps.",
    });
    expect(stepControl(typed, ordinary)).toEqual({ value: 30, fixed: false });
    expect(stepControl(typed)).toEqual({ value: 30, fixed: false }); // no model loaded yet
  });

  it('a run uses the fixed count; the settings keep the user\'s number for the next model', () => {
    expect(settingsForModel(typed, distilled).steps).toBe(8);
    expect(settingsForModel(typed, ordinary).steps).toBe(30);
    expect(typed.steps).toBe(30);
    // a first visit takes the distilled model's defaults: its count, no CFG, its sampler
    expect(withModelDefaults(typed, distilled)).toMatchObject({ steps: 8, guidance: 1, innerGuidance: 0, sampler: 'x0-renoise' });
  });

  it('EngineSession sends the engine the fixed count, not the form\'s', async () => {
    const sent: GenerateRequest[] = [];
    const engine = {
      loadModel: async () => distilled,
      generate: async (r: GenerateRequest) => {
        sent.push(r);
        throw new Error('stop here: the request is what this test checks');
      },
    } as unknown as Engine;
    const storage = { refresh: async () => {}, keepPersistently: async () => {} } as unknown as ModelStorage;
    const session = new EngineSession(engine, {} as HistoryStore, storage, { source: { base: 'x' } });
    await session.generate(typed);
    expect(sent.map((r) => r.steps)).toEqual([8]);
    expect(session.run.value.kind).toBe('error');
  });
});
