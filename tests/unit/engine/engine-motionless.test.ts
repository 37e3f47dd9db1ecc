/**
 * A package without a VideoJAM motion head (a converted model such as Wan: no `motion` section, no
 * motion_flag input, no v_motion output) loads and generates: the denoiser gets no motion feeds,
 * and Inner-Guidance falls back to plain CFG (two passes per step, not three).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import type { GenerateRequest } from '../../../src/engine/types';
import { cpu, fakeOrt, MODEL, storeFor } from './fake-package';

function motionlessManifest() {
  const m = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
  delete m.motion;
  delete m.components.denoiser.inputs.motion;
  delete m.components.denoiser.inputs.motion_flag;
  delete m.components.denoiser.outputs.v_motion;
  return m;
}

const req: GenerateRequest = { prompt: 'a red ball bounces on white', seed: 1, steps: 2, guidance: 5, innerGuidance: 3, sampler: 'euler' };

describe('VidletEngine on a package without motion', () => {
  it('loads, feeds no motion inputs, and guides with CFG alone', async () => {
    const json = motionlessManifest();
    const feeds: Record<string, number[]>[] = [];
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, feeds), { probe: cpu });
    const info = await engine.loadModel({ base: MODEL });
    const r = await engine.generate(req);
    expect(feeds).toHaveLength(req.steps);
    for (const f of feeds) {
      expect(f.motion).toBeUndefined();
      expect(f.motion_flag).toBeUndefined();
      expect(f.latent).toEqual([2, json.latent.channels, json.latent.frames, json.latent.height, json.latent.width]);
    }
    expect(r.video.frames).toBe(4 * json.latent.frames);
    expect(info.name).toBe(json.name);
  });
});
