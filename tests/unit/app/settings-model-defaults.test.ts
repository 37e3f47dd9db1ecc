/** Which model's defaults the form takes: a first visit the first model's, a switch the new model's, a returning user keeps theirs. */
import { describe, expect, it } from 'vitest';
import { SettingsStore } from '../../../src/app/data/settings-store';
import type { ModelInfo } from '../../../src/engine/types';

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k), clear: () => m.clear(), key: () => null, get length() { return m.size; } };
}

const model = (name: string, steps: number, guidance: number): ModelInfo =>
  ({ name, hasMotion: false, defaults: { steps, guidance, innerGuidance: 3, sampler: 'euler' } }) as ModelInfo;

describe('SettingsStore.modelReady', () => {
  it('a first visit takes the model\'s defaults; switching takes the new model\'s, keeping prompt and seed', () => {
    const store = new SettingsStore(memoryStorage());
    store.modelReady(model('vidlet-tiny', 20, 5));
    expect(store.settings.value).toMatchObject({ steps: 20, guidance: 5 });
    store.patch({ prompt: 'a red ball', seed: 42, steps: 7 });
    store.modelReady(model('vidlet-tiny', 20, 5)); // the same model again (e.g. reloaded after a delete)
    expect(store.settings.value.steps).toBe(7);
    store.modelReady(model('wan-small', 30, 6));
    expect(store.settings.value).toMatchObject({ prompt: 'a red ball', seed: 42, steps: 30, guidance: 6, innerGuidance: 0 });
  });

  it('on a first visit, a prompt typed while the model downloads keeps it, and the model\'s defaults still come; a guidance typed stays', () => {
    const store = new SettingsStore(memoryStorage());
    store.patch({ prompt: 'a red ball' });
    store.modelReady(model('vidlet-tiny', 20, 3));
    expect(store.settings.value).toMatchObject({ prompt: 'a red ball', steps: 20, guidance: 3 });
    const other = new SettingsStore(memoryStorage());
    other.patch({ prompt: 'a blue star', guidance: 7 });
    other.modelReady(model('vidlet-tiny', 12, 3));
    expect(other.settings.value).toMatchObject({ prompt: 'a blue star', steps: 12, guidance: 7 });
  });

  it('a returning user keeps their saved settings when the first model loads', () => {
    const storage = memoryStorage();
    new SettingsStore(storage).patch({ steps: 9 });
    const store = new SettingsStore(storage);
    store.modelReady(model('wan-small', 30, 6));
    expect(store.settings.value.steps).toBe(9);
    store.modelReady(model('vidlet-tiny', 20, 5));
    expect(store.settings.value.steps).toBe(20);
  });
});
