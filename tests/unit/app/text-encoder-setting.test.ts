/**
 * The page's "Keep the text encoder loaded" setting: its words with their numbers
 * (text-encoder-setting.ts), the stored preference (load-preferences.ts), and EngineSession loading
 * the model again with it (setKeepTextEncoder), or using it at the next load when none is loaded.
 */
import { describe, expect, it } from 'vitest';
import { EngineSession } from '../../../src/app/data/engine-session';
import type { HistoryStore } from '../../../src/app/data/history-store';
import { LoadPreferences } from '../../../src/app/data/load-preferences';
import type { ModelStorage } from '../../../src/app/data/model-storage';
import { textEncoderSetting } from '../../../src/app/data/text-encoder-setting';
import type { Engine, LoadOptions, ModelInfo } from '../../../src/engine/types';

const GB = 1e9;
const parts = { parts: 4, allBytes: 3.9 * GB, largestPartBytes: 1.07 * GB };

/** A Storage over a Map (what localStorage offers the preferences). */
function memoryStorage(initial: Record<string, string> = {}): Storage {
  const m = new Map(Object.entries(initial));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) } as unknown as Storage;
}

describe('textEncoderSetting', () => {
  it('says what keeping costs in bytes, and, when asked, what the load did', () => {
    const s = textEncoderSetting({ ...parts, kept: false }, false);
    expect(s.label).toBe('Keep the text encoder loaded');
    expect(s.cost).toBe('New prompts start sooner (its 4 parts are not read and set up again); holds 2.83 GB more memory (3.90 GB instead of 1.07 GB). Changing it loads the model again.');
    expect(s.status).toBeUndefined(); // not asked: the cost says it all
    expect(s.pending).toBe(false);
    expect(textEncoderSetting({ ...parts, kept: true }, true)).toMatchObject({ status: expect.stringMatching(/stay loaded after their first use/), pending: false });
  });

  it('a refused keep shows why, and is not pending: the load was asked', () => {
    const s = textEncoderSetting({ ...parts, kept: false, note: 'The text encoder\'s 4 parts run one at a time for each new prompt: too large.' }, true);
    expect(s).toMatchObject({ status: expect.stringMatching(/too large\.$/), pending: false });
  });

  it('a box that differs from the loaded model is pending', () => {
    expect(textEncoderSetting({ ...parts, kept: false }, true).pending).toBe(true);
    expect(textEncoderSetting({ ...parts, kept: true }, false).pending).toBe(true);
  });
});

describe('LoadPreferences', () => {
  it('is off by default, and a change outlives the page', () => {
    const storage = memoryStorage();
    const first = new LoadPreferences(storage);
    expect(first.keepTextEncoder.value).toBe(false);
    expect(first.loadOptions()).toEqual({});
    first.keepTextEncoder.set(true);
    const next = new LoadPreferences(storage);
    expect(next.keepTextEncoder.value).toBe(true);
    expect(next.loadOptions()).toEqual({ keepTextEncoder: true });
  });

  it('corrupt storage reads as the default', () => {
    expect(new LoadPreferences(memoryStorage({ 'vidlet.load.v1': '{not json' })).keepTextEncoder.value).toBe(false);
    expect(new LoadPreferences(memoryStorage({ 'vidlet.load.v1': '{"keepTextEncoder":"yes"}' })).keepTextEncoder.value).toBe(false);
  });
});

describe('EngineSession.setKeepTextEncoder', () => {
  function sessionOver() {
    const loads: (LoadOptions | undefined)[] = [];
    const unloads: number[] = [];
    const info = { name: 'wan', hasMotion: false, defaults: { steps: 4, guidance: 5, innerGuidance: 0, sampler: 'euler' } } as unknown as ModelInfo;
    const engine = {
      loadModel: async (_s: unknown, o?: LoadOptions) => (loads.push(o), info),
      unload: async () => void unloads.push(1),
      cancel: async () => {},
    } as unknown as Engine;
    const storage = { refresh: async () => {}, keepPersistently: async () => {} } as unknown as ModelStorage;
    const session = new EngineSession(engine, {} as HistoryStore, storage, { source: { base: 'x' }, load: { backend: 'wasm' }, preferences: new LoadPreferences(memoryStorage()) });
    return { session, loads, unloads };
  }

  it('a loaded model is loaded again with it, beside the other load options', async () => {
    const { session, loads, unloads } = sessionOver();
    await session.ensureModel();
    expect(loads).toEqual([{ backend: 'wasm' }]);
    await session.setKeepTextEncoder(true);
    expect(unloads).toHaveLength(1);
    expect(loads).toEqual([{ backend: 'wasm' }, { backend: 'wasm', keepTextEncoder: true }]);
    expect(session.model.value.kind).toBe('ready');
    await session.setKeepTextEncoder(false);
    expect(loads.at(-1)).toEqual({ backend: 'wasm' });
  });

  it('with no model loaded it loads nothing now; the next load uses it', async () => {
    const { session, loads } = sessionOver();
    await session.setKeepTextEncoder(true);
    expect(loads).toEqual([]);
    await session.ensureModel();
    expect(loads).toEqual([{ backend: 'wasm', keepTextEncoder: true }]);
  });

  it('is refused while a generation runs, and changes nothing', async () => {
    const { session, loads } = sessionOver();
    await session.ensureModel();
    session.run.set({ kind: 'starting', settings: {} as never, startedAt: 0 });
    await expect(session.setKeepTextEncoder(true)).rejects.toThrow(/generation is running/);
    expect(session.preferences.keepTextEncoder.value).toBe(false);
    expect(loads).toHaveLength(1);
  });
});
