/**
 * The scene denoiser's session is made on first use, not at load (#13): a warm start creates only
 * the sessions a plain prompt needs. Counted on the fake onnxruntime (fake-package.ts): a plain
 * prompt never creates it, the first scene plan creates it once and later plans reuse it; a failed
 * creation gives the load's message (naming the file) and leaves plain prompts working; a cancel
 * while it is being made stops the request like any cancel. Its files are still made sure of at
 * load (here, a store without ensureStored, read and verified), so a scene plan works offline later;
 * engine-scene-files.test.ts has a store that skips reading them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import type { Ort } from '../../../src/engine/sessions';
import type { GenerateRequest } from '../../../src/engine/types';
import type { PackageFile } from '../../../src/store/types';
import { cpu, fakeOrt, MODEL, storeFor } from './fake-package';

const shipped = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
const plan = [{ text: 'a red ball bounces on white', frames: 8 }, { text: 'a blue star spins on yellow', frames: 16 }];
const req: GenerateRequest = { prompt: 'a red ball bounces on white', seed: 1, steps: 1, guidance: 5, innerGuidance: 3, sampler: 'euler' };
const isScene = (path: string) => path.startsWith('scene_denoiser');

/**
 * The fake onnxruntime, recording the graph file of each session created and released; `hook`
 * runs before a session is made (to fail it or hold it back).
 */
function countingOrt(hook?: (path: string) => Promise<void> | void) {
  const created: string[] = [];
  const released: string[] = [];
  const ort = fakeOrt(shipped, []);
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (bytes: Uint8Array, o?: unknown) => Promise<{ release: () => Promise<void> }>;
  const counting = {
    ...ort,
    InferenceSession: {
      create: async (bytes: Uint8Array, options?: unknown) => {
        const path = new TextDecoder().decode(bytes);
        await hook?.(path);
        created.push(path);
        const session = await create(bytes, options);
        return { ...session, release: async () => void released.push(path) };
      },
    },
  } as unknown as Ort;
  return { ort: counting, created, released };
}

function storeCounting() {
  const read: string[] = [];
  const store = storeFor(shipped);
  const getFile = store.getFile.bind(store);
  return { read, store: { ...store, getFile: (b: string, f: PackageFile) => (read.push(f.path), getFile(b, f)) } };
}

describe('VidletEngine: the scene denoiser session on first use', () => {
  it('a load and a plain prompt do not create it; the first scene plan does, once; unload releases it', async () => {
    const { ort, created, released } = countingOrt();
    const { store, read } = storeCounting();
    const engine = new VidletEngine(store, ort, { probe: cpu });
    await engine.loadModel({ base: MODEL });
    expect(created.length).toBe(4); // text encoder, denoiser, preview decoder, VAE decoder
    expect(created.some(isScene)).toBe(false);
    // this store has no ensureStored: its file is read and verified at load instead (offline later), once
    expect(read.filter(isScene)).toHaveLength(1);

    await engine.generate(req);
    await engine.generate({ ...req, scenes: [{ text: 'a red ball bounces on white', frames: 16 }] }); // one scene of video.frames: the plain denoiser
    expect(created.length).toBe(4);

    await engine.generate({ ...req, scenes: plan });
    expect(created.filter(isScene)).toHaveLength(1);
    expect(read.filter(isScene)).toHaveLength(2); // read again (verified by the store) to make the session
    await engine.generate({ ...req, scenes: plan, seed: 2 });
    await engine.generate(req);
    await engine.generate({ ...req, scenes: plan.slice(0, 1) }); // one scene of another length: the scene denoiser
    expect(created.filter(isScene)).toHaveLength(1);
    expect(created.length).toBe(5);

    await engine.unload();
    expect(released.sort()).toEqual(created.slice().sort());
  });

  it('a failed creation names the file as a load would, leaves plain prompts working, and is retried', async () => {
    let fail = true;
    const { ort, created } = countingOrt((path) => {
      if (isScene(path) && fail) throw new Error('boom: out of memory');
    });
    const engine = new VidletEngine(storeFor(shipped), ort, { probe: cpu });
    await engine.loadModel({ base: MODEL });
    const err = await engine.generate({ ...req, scenes: plan }).then(() => null, (e: unknown) => e as Error & { details?: unknown });
    expect(err).toMatchObject({ name: 'ModelLoadError' });
    expect(err!.message).toMatch(/Could not load the denoiser \(scene_denoiser(\.int8)?\.onnx, (int8|fp32)\) on WebAssembly.*boom: out of memory/);

    // The same failure at load (the message a load failure gives): the same words.
    const atLoad = await new VidletEngine(storeFor(shipped), countingOrt((p) => {
      if (p.startsWith('denoiser')) throw new Error('boom: out of memory');
    }).ort, { probe: cpu }).loadModel({ base: MODEL }).then(() => null, (e: Error) => e);
    expect(atLoad!.message.replace(/^Could not load the denoiser \(\S+/, '')).toBe(err!.message.replace(/^Could not load the denoiser \(\S+/, ''));

    const plain = await engine.generate(req);
    expect(plain.video.frames).toBe(shipped.video.frames);
    fail = false;
    const r = await engine.generate({ ...req, scenes: plan });
    expect(r.scenes).toEqual({ asked: 2, conditioned: 2 });
    expect(created.filter(isScene)).toHaveLength(1);
  });

  it('cancel while it is being made: the request is cancelled, the engine free, the session kept for the next plan', async () => {
    let release!: () => void;
    let started!: () => void;
    const making = new Promise<void>((r) => (started = r));
    const { ort, created } = countingOrt(async (path) => {
      if (!isScene(path)) return;
      started();
      await new Promise<void>((r) => (release = r));
    });
    const engine = new VidletEngine(storeFor(shipped), ort, { probe: cpu });
    await engine.loadModel({ base: MODEL });
    const steps: number[] = [];
    const run = engine.generate({ ...req, scenes: plan }, { onStep: (s) => void steps.push(s.step) });
    await making;
    await engine.cancel();
    release();
    await expect(run).rejects.toMatchObject({ name: 'CancelledError', message: 'Generation cancelled.' });
    expect(steps).toEqual([]);
    const r = await engine.generate({ ...req, scenes: plan });
    expect(r.video.frames).toBe(24);
    expect(created.filter(isScene)).toHaveLength(1);
  });
});
