/**
 * A text encoder in parts that WebGPU failed at its first prompt moves to WebAssembly during the
 * run (src/engine/parts-fallback.ts); the result carries the model's new BackendInfo
 * (GenerateResult.modelBackend) and EngineSession puts it in the model state, so the model panel's
 * "Runs on" and its reason say what the load's own fall-back would have said.
 */
import { describe, expect, it } from 'vitest';
import { EngineSession } from '../../../src/app/data/engine-session';
import { FALLBACK_SETTINGS } from '../../../src/app/data/generation-settings';
import type { HistoryStore } from '../../../src/app/data/history-store';
import type { ModelStorage } from '../../../src/app/data/model-storage';
import type { BackendInfo, Engine, GenerateResult, ModelInfo } from '../../../src/engine/types';

const gpu: BackendInfo = { backend: 'webgpu', description: 'RTX (webgpu)', reason: 'WebGPU on a hardware adapter.', shaderF16: false, threads: 0 };
const info = { video: { frames: 16, height: 128, width: 128, fps: 8 }, hasMotion: false, defaults: { steps: 4, guidance: 5, innerGuidance: 0, sampler: 'euler' }, backend: gpu } as unknown as ModelInfo;

function sessionOver(result: Partial<GenerateResult>) {
  const engine = {
    loadModel: async () => info,
    cancel: async () => {},
    // Cancelled as it ends, so the session makes no clip of this result (only what the test reads).
    generate: async () => {
      await session.cancel();
      return result as GenerateResult;
    },
  } as unknown as Engine;
  const storage = { refresh: async () => {}, keepPersistently: async () => {} } as unknown as ModelStorage;
  const session = new EngineSession(engine, {} as HistoryStore, storage, { source: { base: 'x' } });
  return session;
}

describe('EngineSession: the backend changed by a run', () => {
  it("takes the result's modelBackend into the model state", async () => {
    const moved: BackendInfo = { ...gpu, description: 'RTX (webgpu); text encoder on WebAssembly, 4 threads', reason: 'WebGPU could not run the text encoder (…); using WebAssembly for it.' };
    const session = sessionOver({ modelBackend: moved });
    await session.generate({ ...FALLBACK_SETTINGS, prompt: 'a red ball' });
    expect(session.run.value.kind).toBe('cancelled');
    const model = session.model.value;
    expect(model.kind === 'ready' && model.info.backend).toEqual(moved);
  });

  it('keeps the load\'s BackendInfo when the result has none', async () => {
    const session = sessionOver({});
    await session.generate({ ...FALLBACK_SETTINGS, prompt: 'a red ball' });
    const model = session.model.value;
    expect(model.kind === 'ready' && model.info.backend).toEqual(gpu);
  });
});
