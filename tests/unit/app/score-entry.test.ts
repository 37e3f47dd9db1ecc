/**
 * Scores reaching the history through EngineSession: keepScores stores each take's scores with
 * its own entry (in the takes' order) and never throws; scoreEntry scores one stored clip's frames
 * against its prompt with the reward model, names the reward model by its package and manifest
 * sha256, and keeps the scores; it refuses while a generation runs and stores nothing when the
 * model has no reward model. The engine is a fake; the history is a real store on fake-indexeddb.
 */
import 'fake-indexeddb/auto';
import { createStore } from 'idb-keyval';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EngineSession } from '../../../src/app/data/engine-session';
import { FALLBACK_SETTINGS } from '../../../src/app/data/generation-settings';
import { HistoryStore, type HistoryEntry } from '../../../src/app/data/history-store';
import type { ModelStorage } from '../../../src/app/data/model-storage';
import { NoRewardModelError } from '../../../src/engine/errors';
import type { Engine, FramesRGBA, ModelInfo } from '../../../src/engine/types';
import type { TakeScore } from '../../../src/package/reward';
import { sha256Hex } from '../../../src/store/sha256';

const MANIFEST = new TextEncoder().encode('{"name":"vidlet-tiny"}');
const score = (VQ: number, MQ: number, TA: number): TakeScore => ({ VQ, MQ, TA, overall: VQ + MQ + TA, features: [1, 2] });

let n = 0;
async function setUp(scoreTakes: (takes: FramesRGBA[], prompt: string) => Promise<TakeScore[]>) {
  const name = `vidlet-score-test-${n++}`;
  const history = new HistoryStore(createStore(name, 'entries'));
  const calls: { takes: FramesRGBA[]; prompt: string }[] = [];
  const engine = {
    loadModel: async () => ({ name: 'vidlet-tiny', reward: { features: 2 } }) as unknown as ModelInfo,
    scoreTakes: async (takes: FramesRGBA[], prompt: string) => {
      calls.push({ takes, prompt });
      return scoreTakes(takes, prompt);
    },
  } as unknown as Engine;
  const storage = { refresh: async () => {}, keepPersistently: async () => 'granted' } as unknown as ModelStorage;
  const session = new EngineSession(engine, history, storage, { source: { base: 'http://models.test/vidlet-tiny/' } });
  const reopen = async () => {
    const store = new HistoryStore(createStore(name, 'entries'));
    await store.load();
    return store;
  };
  return { history, session, calls, reopen };
}

function entry(id: string, createdAt: number): HistoryEntry {
  return {
    id, createdAt, settings: { ...FALLBACK_SETTINGS, prompt: `prompt ${id}` }, model: 'vidlet-tiny', variant: 'int8', backend: 'wasm', fps: 8,
    totalMs: 1, unknownWords: [], thumbnail: new Blob([new Uint8Array([1])]),
    video: { width: 1, height: 1, frames: 1, data: new Uint8ClampedArray(4).fill(createdAt) },
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('EngineSession and history scores', () => {
  it('keepScores stores each take\'s scores with its own entry, in the takes\' order', async () => {
    const { history, session, reopen } = await setUp(async () => []);
    await history.add(entry('t1', 1));
    await history.add(entry('t2', 2));
    await session.keepScores([{ id: 't1' }, { id: 't2' }], [score(1, 0, 0), score(0, 0, 2)], { name: 'vidlet-tiny', sha256: 'cd'.repeat(32) });
    const stored = (await reopen()).entries.value;
    expect(stored.map((e) => [e.id, e.scores])).toEqual([
      ['t2', { VQ: 0, MQ: 0, TA: 2, overall: 2, rewardModel: { name: 'vidlet-tiny', sha256: 'cd'.repeat(32) } }],
      ['t1', { VQ: 1, MQ: 0, TA: 0, overall: 1, rewardModel: { name: 'vidlet-tiny', sha256: 'cd'.repeat(32) } }],
    ]);
  });

  it('keepScores does not throw when the history cannot keep them (the scores on screen stand)', async () => {
    const { history, session } = await setUp(async () => []);
    vi.spyOn(history, 'keepScores').mockRejectedValue(new Error('QuotaExceededError'));
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(session.keepScores([{ id: 'x' }], [score(0, 0, 0)], { name: 'vidlet-tiny' })).resolves.toBeUndefined();
    expect(logged).toHaveBeenCalledOnce();
  });

  it('scoreEntry scores the stored clip against its prompt and keeps the scores with the reward model\'s identity', async () => {
    vi.stubGlobal('fetch', async (url: URL) => (String(url) === 'http://models.test/vidlet-tiny/manifest.json' ? new Response(MANIFEST) : new Response('', { status: 404 })));
    const { history, session, calls, reopen } = await setUp(async () => [score(0.5, 0.25, -1)]);
    await history.add(entry('clip', 7));
    const kept = await session.scoreEntry('clip');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.prompt).toBe('prompt clip');
    expect(calls[0]!.takes).toEqual([entry('clip', 7).video]);
    const expected = { VQ: 0.5, MQ: 0.25, TA: -1, overall: -0.25, rewardModel: { name: 'vidlet-tiny', sha256: await sha256Hex(MANIFEST) } };
    expect(kept).toEqual(expected);
    expect((await reopen()).summary('clip')?.scores).toEqual(expected);
  });

  it('scoreEntry refuses while a generation runs, and stores nothing without a reward model', async () => {
    const busy = await setUp(async () => [score(1, 1, 1)]);
    await busy.history.add(entry('clip', 1));
    busy.session.run.set({ kind: 'starting', settings: FALLBACK_SETTINGS, startedAt: 0 });
    await expect(busy.session.scoreEntry('clip')).rejects.toThrow('A generation is running');
    expect(busy.calls).toHaveLength(0);

    const none = await setUp(async () => {
      throw new NoRewardModelError('This model package has no reward model.');
    });
    await none.history.add(entry('clip', 1));
    await expect(none.session.scoreEntry('clip')).rejects.toBeInstanceOf(NoRewardModelError);
    expect((await none.reopen()).summary('clip')?.scores).toBeUndefined();
  });
});
