/**
 * The frame-by-frame VAE decoder (`vaeDecoderFrames`, #11) of a package the converter made from a
 * random tiny Wan 2.1 checkpoint (tests/fixtures/wan-tiny, scripts/make-wan-tiny-fixture.sh), in
 * onnxruntime-web's wasm backend in Node: `first` + `next`… must give what the whole-clip graph
 * gives, at the float level (src/engine/vae-decode.ts over the raw sessions) and through the
 * engine (a generation with each, same seed).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../src/engine/engine';
import { ModelFormatError } from '../../src/engine/errors';
import type { Ort } from '../../src/engine/sessions';
import type { FramesRGBA, GenerateRequest } from '../../src/engine/types';
import { decodeLatent } from '../../src/engine/vae-decode';
import { parseManifest } from '../../src/store/manifest';
import { NodeFolderStore } from '../../src/store/node-store';
import { seededLatent, vaeGraphs } from './helpers/vae-graphs';

const MODEL = 'tests/fixtures/wan-tiny';
const manifest = parseManifest(JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8')));

function maxAbs(a: Float32Array | Uint8ClampedArray, b: Float32Array | Uint8ClampedArray): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('the frame-by-frame VAE decoder of a converted Wan package', () => {
  it('gives the whole-clip graph’s video, frame group by frame group', async () => {
    const pair = manifest.vaeDecoderFrames!;
    expect(pair).toBeDefined();
    const graphs = await vaeGraphs(MODEL, manifest, { whole: true, frames: true });
    const { channels, frames, height, width } = manifest.latent;
    const z = seededLatent([1, channels, frames, height, width], 11);
    const ref = await decodeLatent(z, graphs, { mode: 'whole', tiling: null });
    const chunks: [number, number][] = [];
    const got = await decodeLatent(z, graphs, { mode: 'frames', tiling: null }, (f, c) => chunks.push([f, c.dims[2]!]));
    expect(got.dims).toEqual(ref.dims);
    expect(ref.dims).toEqual([1, 3, manifest.video.frames, manifest.video.height, manifest.video.width]);
    // 3 latent frames → video frames 0–4 from `first`, 5–8 from one `next`
    expect(chunks).toEqual([[0, 5], [5, 4]]);
    const err = maxAbs(got.data, ref.data);
    console.log(`frame-by-frame vs whole-clip decode: max abs ${err.toExponential(2)} on video in [-1, 1]`);
    expect(err).toBeLessThan(1e-5);
    let peak = 0;
    for (const v of ref.data) peak = Math.max(peak, Math.abs(v));
    expect(peak).toBeGreaterThan(0.01); // not an all-zero video agreeing with itself
  }, 120_000);

  it('makes the same clip through the engine either way, and reports frame groups as they come', async () => {
    const request: GenerateRequest = { prompt: 'a red ball on the beach', seed: 3, steps: 2, guidance: 5, innerGuidance: 0, sampler: 'euler' };
    const run = async (graphs: 'whole' | 'frames') => {
      const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort, { vaeDecode: { graphs } });
      await engine.loadModel({ base: MODEL }, { numThreads: 1 });
      const groups: [number, number][] = [];
      const out = await engine.generate(request, { onFrames: (p) => groups.push([p.firstFrame, p.frames.frames]) });
      await engine.unload();
      return { video: out.video, groups };
    };
    const whole = await run('whole');
    const frames = await run('frames');
    expect(whole.groups).toEqual([[0, 9]]);
    expect(frames.groups).toEqual([[0, 5], [5, 4]]);
    const clip = (v: FramesRGBA) => [v.frames, v.height, v.width];
    expect(clip(frames.video)).toEqual(clip(whole.video));
    // 8-bit frames: float differences of ~1e-6 may still round one level apart
    expect(maxAbs(frames.video.data, whole.video.data)).toBeLessThanOrEqual(1);
  }, 180_000);

  it('a cache name the graph lacks is a ModelFormatError naming the frame graph and the cache entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wan-tiny-'));
    try {
      cpSync(MODEL, dir, { recursive: true });
      const m = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));
      m.vaeDecoderFrames.cache[3].input = 'no_such_cache';
      writeFileSync(`${dir}/manifest.json`, JSON.stringify(m));
      const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort);
      const err = await engine.loadModel({ base: dir }, { numThreads: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelFormatError);
      expect((err as Error).message).toMatch(/no output named "no_such_cache" \(manifest role cache\.3\).*Fix manifest\.vaeDecoderFrames\.first\.outputs or manifest\.vaeDecoderFrames\.cache\[3\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
