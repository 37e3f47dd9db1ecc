/**
 * VidletEngine.cancel() during loadModel (issue #12): the load's downloads run through a
 * signalled view of the store (withSignal); cancel aborts it, and the load rejects with a
 * CancelledError that says how many bytes stay stored. The engine is free for the next load.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EnvironmentProbe } from '../../../src/engine/backend';
import { VidletEngine } from '../../../src/engine/engine';
import { CancelledError } from '../../../src/engine/errors';
import type { Ort } from '../../../src/engine/sessions';
import { DownloadAbortedError, FileUnavailableError } from '../../../src/store/errors';
import type { ModelFileStore, PackageFile } from '../../../src/store/types';

const MODEL = 'public/models/vidlet-tiny';
const manifestJson = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
const cpu = async (): Promise<EnvironmentProbe> => ({ webgpu: null, wasm: true, hardwareConcurrency: 4, crossOriginIsolated: true, isNode: false });
const noOrt = { env: { wasm: {} } } as unknown as Ort; // never reached: the load stops while reading files

/**
 * The first file arrives at once; the second "downloads" until the view's signal aborts, then
 * fails as BrowserModelStore does, keeping `kept` bytes of it. `signals` records each view.
 */
function fakeStore(kept: number) {
  const signals: AbortSignal[] = [];
  const files: PackageFile[] = [];
  let failNext = false;
  const view = (signal?: AbortSignal): ModelFileStore => ({
    readManifest: async () => manifestJson,
    readText: async (_b, path) => readFileSync(`${MODEL}/${path}`, 'utf8'),
    getFile: (_b, f, onProgress) => {
      if (failNext) return Promise.reject(new FileUnavailableError(f.path, 'test', 'offline'));
      files.push(f);
      if (files.length === 1) return Promise.resolve(new Uint8Array(f.bytes));
      const pending = new Promise<Uint8Array>((_, reject) => {
        if (!signal) return; // a store without withSignal would just go on downloading
        signal.addEventListener('abort', () => reject(new DownloadAbortedError(f.path, kept, f.bytes)), { once: true });
      });
      onProgress?.({ path: f.path, loadedBytes: kept, totalBytes: f.bytes, fromCache: false });
      return pending;
    },
    withSignal: (s) => {
      signals.push(s);
      return view(s);
    },
  });
  return { store: view(), signals, files, failAfterThis: () => (failNext = true) };
}

describe('cancelling a model load', () => {
  it('aborts the download and says how much is kept; the engine is free afterwards', { timeout: 20_000 }, async () => {
    const kept = 3 << 20;
    const fake = fakeStore(kept);
    const engine = new VidletEngine(fake.store, noOrt, { probe: cpu });
    let cancelAsked = false;
    let cancelledAt = 0;
    const load = engine.loadModel({ base: '/m/' }, {}, (p) => {
      if (p.phase === 'download' && !cancelAsked) {
        cancelAsked = true;
        cancelledAt = performance.now();
        void engine.cancel();
      }
    });
    const error = await load.then(() => undefined, (e: unknown) => e);
    expect(cancelledAt).toBeGreaterThan(0);
    expect(performance.now() - cancelledAt).toBeLessThan(1000); // rejected at the abort, not after the file
    expect(error).toBeInstanceOf(CancelledError);
    expect(fake.signals).toHaveLength(1);
    expect(fake.signals[0]!.aborted).toBe(true);
    const [first, second] = fake.files;
    const total = (error as CancelledError).details.totalBytes as number;
    expect((error as CancelledError).details).toMatchObject({ keptBytes: first!.bytes + kept });
    expect(total).toBeGreaterThan(first!.bytes + second!.bytes - 1);
    expect((error as Error).message).toMatch(/^Download cancelled: .* of .* are kept in this browser, and the next load resumes from there\.$/);

    // Not busy any more: the next load runs (and fails here for its own reason, not BusyError).
    fake.failAfterThis();
    await expect(engine.loadModel({ base: '/m/' })).rejects.toBeInstanceOf(FileUnavailableError);
    expect(fake.signals).toHaveLength(2);
    expect(fake.signals[1]!.aborted).toBe(false);
  });

  it('cancel with nothing running does nothing', async () => {
    const engine = new VidletEngine(fakeStore(0).store, noOrt, { probe: cpu });
    await expect(engine.cancel()).resolves.toBeUndefined();
  });
});
