/**
 * The vaeDecoder's optional `decode_noise` input (src/package/components.ts optionalRoles; LTX-Video's
 * decode_noise_scale, convert/README.md): a package that maps it gets, with every decode, the clip's
 * own seeded noise of the latent's shape (NoiseStream.decode); a package without it gets no noise
 * and no draw, exactly as before.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import { gaussianNoise, NoiseStream } from '../../../src/engine/noise';
import type { GenerateRequest } from '../../../src/engine/types';
import { cpu, fakeOrt, MODEL, storeFor, type FakeSeen } from './fake-package';

function manifest(noise: boolean) {
  const m = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
  if (noise) m.components.vaeDecoder.inputs.decode_noise = 'decode_noise';
  return m;
}

const req: GenerateRequest = { prompt: 'a red ball bounces on white', seed: 7, steps: 1, guidance: 5, innerGuidance: 0, sampler: 'euler' };

async function vaeFeeds(json: unknown, seeds: number[]) {
  const seen: FakeSeen = { timesteps: [], textBatches: [], vaeFeeds: [] };
  const engine = new VidletEngine(storeFor(json), fakeOrt(json, [], seen), { probe: cpu });
  await engine.loadModel({ base: MODEL });
  for (const seed of seeds) await engine.generate({ ...req, seed });
  return seen.vaeFeeds!;
}

describe('VidletEngine and the decode noise', () => {
  it('feeds a package that maps decode_noise the seed’s own NoiseStream.decode draw, the latent’s shape', async () => {
    const json = manifest(true);
    const { channels: c, frames: t, height: h, width: w } = json.latent;
    const feeds = await vaeFeeds(json, [7, 7, 8]);
    expect(feeds).toHaveLength(3);
    for (const f of feeds) {
      expect(Object.keys(f).sort()).toEqual(['decode_noise', 'latent']);
      expect(f.decode_noise!.dims).toEqual([1, c, t, h, w]);
      expect(f.decode_noise!.dims).toEqual(f.latent!.dims);
    }
    const want = gaussianNoise(7, NoiseStream.decode, c * t * h * w);
    expect(Buffer.from(feeds[0]!.decode_noise!.data.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    // deterministic per seed, another seed another draw, and not the initial noise's stream
    expect(Buffer.from(feeds[1]!.decode_noise!.data.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    expect(feeds[2]!.decode_noise!.data).toEqual(gaussianNoise(8, NoiseStream.decode, c * t * h * w));
    expect(feeds[2]!.decode_noise!.data).not.toEqual(want);
    expect(want).not.toEqual(gaussianNoise(7, NoiseStream.video, c * t * h * w));
  });

  it('feeds a package without the role only the latent, as before', async () => {
    const feeds = await vaeFeeds(manifest(false), [7]);
    expect(feeds).toHaveLength(1);
    expect(Object.keys(feeds[0]!)).toEqual(['latent']);
  });

  it('the latent fed is the same with and without the role (the noise is the graph’s to mix)', async () => {
    const [a] = await vaeFeeds(manifest(true), [7]);
    const [b] = await vaeFeeds(manifest(false), [7]);
    expect(Buffer.from(a!.latent!.data.buffer).equals(Buffer.from(b!.latent!.data.buffer))).toBe(true);
  });
});
