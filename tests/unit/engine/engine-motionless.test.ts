/**
 * A package as the converter writes Wan: no VideoJAM motion head (no `motion` section, no
 * motion_flag input, no v_motion output) and no LoRA slots (no `lora` section, no lora_* inputs,
 * no adapters). It loads and generates: the denoiser gets neither motion nor LoRA feeds,
 * Inner-Guidance falls back to plain CFG (two passes per step, not three), and a request with an
 * adapter is refused by name before any work.
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
  for (const role of ['lora_scales', 'lora_down', 'lora_up']) delete m.components.denoiser.inputs[role];
  delete m.lora;
  delete m.blender;
  m.adapters = [];
  return m;
}

const req: GenerateRequest = { prompt: 'a red ball bounces on white', seed: 1, steps: 2, guidance: 5, innerGuidance: 3, sampler: 'euler' };

describe('VidletEngine on a package without motion or LoRA slots', () => {
  it('loads, feeds neither, guides with CFG alone, and refuses adapters', async () => {
    const json = motionlessManifest();
    const feeds: Record<string, number[]>[] = [];
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, feeds), { probe: cpu });
    const info = await engine.loadModel({ base: MODEL });
    const r = await engine.generate(req);
    expect(feeds).toHaveLength(req.steps);
    for (const f of feeds) {
      expect(f.motion).toBeUndefined();
      expect(f.motion_flag).toBeUndefined();
      for (const role of ['lora_scales', 'lora_down', 'lora_up']) expect(f[role]).toBeUndefined();
      expect(f.latent).toEqual([2, json.latent.channels, json.latent.frames, json.latent.height, json.latent.width]);
    }
    expect(r.video.frames).toBe(4 * json.latent.frames);
    expect(info.lora).toEqual({ slots: [], depth: 0 });
    feeds.length = 0;
    await expect(engine.generate({ ...req, adapters: [{ name: 'pip', strength: 1 }] })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: expect.stringMatching(/has no LoRA slots .*takes no adapters/),
    });
    expect(feeds).toHaveLength(0);
  });
});
