/**
 * The vaeDecoder's optional `decode_noise` input (src/package/components.ts optionalRoles; LTX-Video's
 * decode_noise_scale, convert/README.md): a package that maps it gets, with every decode, the clip's
 * own seeded noise of the latent's shape (NoiseStream.decode); a package without it gets no noise
 * and no draw, exactly as before.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import { Tensor } from 'onnxruntime-web';
import { gaussianNoise, NoiseStream } from '../../../src/engine/noise';
import type { Ort } from '../../../src/engine/sessions';
import type { GenerateRequest } from '../../../src/engine/types';
import { sliceFrames, type F32 } from '../../../src/engine/vae-decode';
import { cropLatent, planTiles } from '../../../src/engine/vae-tiles';
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

/** vidlet-tiny's manifest with a frame pair (first 2 latent frames, then 1 at a time, one cache tensor) taking decode_noise. */
function framesManifest() {
  const m = manifest(true);
  const file = (path: string) => ({ path, bytes: 10, sha256: 'a'.repeat(64) });
  const graph = (latentFrames: number, path: string) => ({
    latentFrames, inputs: { latent: 'latent', decode_noise: 'eps' }, outputs: { video: 'video' }, variants: { fp32: { files: [file(path)] } },
  });
  m.vaeDecoderFrames = { first: graph(2, 'vae_first.onnx'), next: graph(1, 'vae_next.onnx'), cache: [{ input: 'cache_0', output: 'next_cache_0' }] };
  return m;
}

/** fakeOrt, with the frame graphs: 8× upsampling, 4 frames per latent frame; each call's feeds recorded. */
function framesOrt(json: unknown, calls: { graph: string; feeds: Record<string, F32> }[]): Ort {
  const base = fakeOrt(json, []);
  const zeros = (dims: number[]) => new Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  return {
    ...base,
    InferenceSession: {
      create: async (bytes: Uint8Array, opts?: unknown) => {
        const path = new TextDecoder().decode(bytes);
        if (!path.startsWith('vae_first') && !path.startsWith('vae_next')) return base.InferenceSession.create(bytes, opts as never);
        const first = path.startsWith('vae_first');
        return {
          inputNames: first ? ['latent', 'eps'] : ['latent', 'eps', 'cache_0'],
          outputNames: first ? ['video', 'cache_0'] : ['video', 'next_cache_0'],
          release: async () => {},
          run: async (feeds: Record<string, Tensor>) => {
            calls.push({ graph: first ? 'first' : 'next', feeds: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { data: (t.data as Float32Array).slice(), dims: [...t.dims] }])) });
            const [, , t, h, w] = feeds.latent!.dims as number[];
            return { video: zeros([1, 3, 4 * t!, 8 * h!, 8 * w!]), [first ? 'cache_0' : 'next_cache_0']: zeros([1]) };
          },
        };
      },
    },
  } as unknown as Ort;
}

describe('VidletEngine, the frame pair over tiles, and the decode noise', () => {
  it('feeds each call the cut of the clip’s noise that matches its latent: per frame group, per tile', async () => {
    const json = framesManifest();
    const { channels: c, frames: t, height: h, width: w } = json.latent;
    const calls: { graph: string; feeds: Record<string, F32> }[] = [];
    const tiling = { tile: 8, overlap: 2 };
    const engine = new VidletEngine(storeFor(json), framesOrt(json, calls), { probe: cpu, vaeDecode: { graphs: 'frames', tiling } });
    const info = await engine.loadModel({ base: MODEL });
    expect(info.vaeDecode).toEqual({ graphs: 'frames', tiling });
    await engine.generate({ ...req, seed: 3 });
    // The fake denoiser returns v = 0, so the decoded latent is the initial noise itself.
    const full = (data: Float32Array): F32 => ({ data, dims: [1, c, t, h, w] });
    const x0 = full(gaussianNoise(3, NoiseStream.video, c * t * h * w));
    const eps = full(gaussianNoise(3, NoiseStream.decode, c * t * h * w));
    const tiles = planTiles(h, w, tiling);
    const groups = [[0, 2], [2, 1], [3, 1]] as const; // first: frames 0–1, then next per frame
    expect(calls).toHaveLength(groups.length * tiles.length);
    let k = 0;
    for (const [start, count] of groups) {
      for (const tile of tiles) {
        const call = calls[k++]!;
        expect(call.graph).toBe(start === 0 ? 'first' : 'next');
        const cut = (z: F32) => cropLatent(sliceFrames(z, start, count).data, [1, c, count, h, w], tile);
        expect(call.feeds.latent!.data).toEqual(cut(x0));
        expect(call.feeds.eps!.dims).toEqual(call.feeds.latent!.dims);
        expect(call.feeds.eps!.data).toEqual(cut(eps));
      }
    }
  });
});
