/**
 * VidletEngine's scene path over a fake onnxruntime (#10): a per-scene package's denoiser gets
 * the clip's latent frames, the (1 + S)·L text and text_frame_mask [B, t, L′]; a package without
 * per-scene conditioning gets today's inputs and the result says the plan was one caption.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import type { GenerateRequest } from '../../../src/engine/types';
import { cpu, fakeOrt, MODEL, storeFor } from './fake-package';

const shipped = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));

/** The shipped manifest declaring per-scene conditioning (what export --scenes writes). */
function perSceneManifest() {
  const m = oneSceneManifest();
  m.scenes = { maxScenes: 3, minFrames: 8, maxFrames: 16, frameStep: 4, defaultFrames: 16, conditioning: 'per-scene' };
  m.components.denoiser.inputs.text_frame_mask = 'text_frame_mask';
  return m;
}

/** The shipped manifest without scenes or a scene denoiser: a one-scene package. */
function oneSceneManifest() {
  const m = JSON.parse(JSON.stringify(shipped));
  delete m.scenes;
  delete m.components.sceneDenoiser;
  delete m.components.denoiser.inputs.text_frame_mask;
  return m;
}

/** A per-scene package whose plain denoiser stays the single-scene graph (export --scene-dit). */
function splitManifest() {
  const m = oneSceneManifest();
  m.scenes = { maxScenes: 3, minFrames: 8, maxFrames: 16, frameStep: 4, defaultFrames: 16, conditioning: 'per-scene' };
  m.components.sceneDenoiser = JSON.parse(JSON.stringify(m.components.denoiser));
  m.components.sceneDenoiser.inputs.text_frame_mask = 'text_frame_mask';
  for (const v of Object.values(m.components.sceneDenoiser.variants) as { files: { path: string; sha256: string }[] }[]) {
    for (const f of v.files) {
      f.path = `scene_${f.path}`;
      f.sha256 = 'e'.repeat(64);
    }
  }
  return m;
}

const plan = [{ text: 'a red ball bounces on white', frames: 8 }, { text: 'a blue star spins on yellow', frames: 16 }];
const req: GenerateRequest = { prompt: 'a red ball bounces on white Then cut to a blue star spins on yellow', seed: 1, steps: 1, guidance: 5, innerGuidance: 3, sampler: 'euler' };

describe('VidletEngine with scene plans', () => {
  it('a per-scene package: the plan\'s latent frames, (1 + S)·L text tokens and text_frame_mask', async () => {
    const json = perSceneManifest();
    const feeds: Record<string, number[]>[] = [];
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, feeds), { probe: cpu });
    await engine.loadModel({ base: MODEL });
    const r = await engine.generate({ ...req, scenes: plan });
    const L = shipped.text.maxLength;
    expect(feeds[0]!.latent).toEqual([3, 4, 6, 16, 16]); // 8 + 16 frames = 6 latent frames, 3 guidance passes
    expect(feeds[0]!.text).toEqual([3, 3 * L, 384]);
    expect(feeds[0]!.text_mask).toEqual([3, 3 * L]);
    expect(feeds[0]!.text_frame_mask).toEqual([3, 6, 3 * L]);
    expect(r.video.frames).toBe(24);
    expect(r.scenes).toEqual({ asked: 2, conditioned: 2 });
    // a plain prompt on the same package: one scene of video.frames, the mask still fed
    feeds.length = 0;
    const plain = await engine.generate(req);
    expect(feeds[0]!.text_frame_mask).toEqual([3, 4, L]);
    expect(plain.scenes).toBeUndefined();
    // a plan it cannot make is refused before any work
    feeds.length = 0;
    await expect(engine.generate({ ...req, scenes: [...plan, ...plan] })).rejects.toMatchObject({ name: 'InvalidRequestError' });
    expect(feeds.length).toBe(0);
  });

  it('a package without per-scene conditioning: today\'s inputs, one clip, and a note', async () => {
    const feeds: Record<string, number[]>[] = [];
    const json = oneSceneManifest();
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, feeds), { probe: cpu });
    await engine.loadModel({ base: MODEL });
    const r = await engine.generate({ ...req, scenes: plan });
    expect(feeds[0]!.latent).toEqual([3, 4, shipped.latent.frames, 16, 16]);
    expect(feeds[0]!.text).toEqual([3, shipped.text.maxLength, 384]);
    expect(feeds[0]!.text_frame_mask).toBeUndefined();
    expect(r.scenes).toMatchObject({ asked: 2, conditioned: 1, note: expect.stringMatching(/one scene per clip/) });
  });

  it('a package with a sceneDenoiser: plans run on it, plain prompts on the untouched denoiser without a mask', async () => {
    const json = splitManifest();
    const feeds: Record<string, number[]>[] = [];
    const seen = { timesteps: [], textBatches: [], denoisers: [] as string[] };
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, feeds, seen), { probe: cpu });
    await engine.loadModel({ base: MODEL });
    const L = shipped.text.maxLength;
    const r = await engine.generate({ ...req, scenes: plan });
    expect(seen.denoisers).toEqual(['sceneDenoiser']);
    expect(feeds[0]!.text_frame_mask).toEqual([3, 6, 3 * L]);
    expect(r.video.frames).toBe(24);
    expect(r.scenes).toEqual({ asked: 2, conditioned: 2 });
    for (const request of [req, { ...req, scenes: [{ text: 'a red ball bounces on white', frames: 16 }] }]) {
      feeds.length = 0;
      seen.denoisers.length = 0;
      await engine.generate(request);
      expect(seen.denoisers).toEqual(['denoiser']);
      expect(feeds[0]!.latent).toEqual([3, 4, shipped.latent.frames, 16, 16]);
      expect(feeds[0]!.text).toEqual([3, L, 384]);
      expect(feeds[0]!.text_frame_mask).toBeUndefined();
    }
  });
});
