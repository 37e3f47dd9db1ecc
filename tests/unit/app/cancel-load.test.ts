/**
 * The model panel's Cancel during a download (EngineSession.cancelLoad, issue #12): it cancels the
 * engine's load, the model goes back to idle with the engine's note of what stays stored (the next
 * load resumes from it: tests/unit/engine/engine-cancel-load.test.ts, tests/unit/store/download-cancel.test.ts),
 * and the storage figures are read again. With no download under way it does nothing.
 */
import { describe, expect, it } from 'vitest';
import { EngineSession } from '../../../src/app/data/engine-session';
import type { HistoryStore } from '../../../src/app/data/history-store';
import type { ModelStorage } from '../../../src/app/data/model-storage';
import { CancelledError } from '../../../src/engine/errors';
import type { Engine, LoadProgress } from '../../../src/engine/types';

const KEPT = 'Download cancelled: 1.0 MiB of 4.0 MiB are kept in this browser, and the next load resumes from there.';

function setUp() {
  const calls = { cancel: 0, refresh: 0 };
  let rejectLoad: ((e: unknown) => void) | undefined;
  const engine = {
    loadModel: (_source: unknown, _options: unknown, onProgress?: (p: LoadProgress) => void) =>
      new Promise((_resolve, reject) => {
        rejectLoad = reject;
        onProgress?.({ phase: 'download', file: 'denoiser.int8.onnx', loadedBytes: 1 << 20, totalBytes: 4 << 20, fromCache: false });
      }),
    cancel: async () => {
      calls.cancel++;
      rejectLoad?.(new CancelledError(KEPT));
    },
  } as unknown as Engine;
  const storage = { refresh: async () => void calls.refresh++, keepPersistently: async () => 'granted' } as unknown as ModelStorage;
  return { calls, session: new EngineSession(engine, {} as HistoryStore, storage, { source: { base: '/models/x/' } }) };
}

describe('Cancel during a model download', () => {
  it('stops the load; the model is idle again with what is kept, and storage is re-read', async () => {
    const { calls, session } = setUp();
    const loading = session.ensureModel().then(() => undefined, (e: unknown) => e);
    expect(session.model.value).toMatchObject({ kind: 'loading', progress: { phase: 'download', fromCache: false } });
    await session.cancelLoad();
    expect(await loading).toBeInstanceOf(CancelledError);
    expect(calls.cancel).toBe(1);
    expect(session.model.value).toEqual({ kind: 'idle', note: KEPT });
    expect(calls.refresh).toBe(1);
  });

  it('does nothing when no download is under way', async () => {
    const { calls, session } = setUp();
    await session.cancelLoad();
    expect(calls.cancel).toBe(0);
    expect(session.model.value).toEqual({ kind: 'idle' });
  });
});
