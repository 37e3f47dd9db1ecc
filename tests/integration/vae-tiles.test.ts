/**
 * Spatially tiled VAE decoding (#11, src/engine/vae-tiles.ts) on real graphs: the converted tiny Wan
 * package (tests/fixtures/wan-tiny, exported with --vae-tiling so its decoders take any latent
 * height and width) in onnxruntime-web's wasm backend. A real decoder's tiles are not independent
 * (convolutions see across the seams, and Wan's mid-block attention spans the whole frame), so
 * tiled ≠ whole; this pins how close it is, that the frame pair tiles exactly as the whole-clip
 * graph does, and that the engine refuses to tile a graph with fixed spatial axes.
 *
 * Measured 2026-12-05 (3×12×16 latent, N(0,1) in diffusion space, video in [-1, 1]): PSNR of tiled
 * vs whole 23.8 dB (tile 6, overlap 2), 24.6 (8/2; 8/3 lays out the same tiles), 25.7 (10/4), 30.7 (14/6), max abs ≈ 1. The random
 * tiny VAE is far from local: diffusers' own `tiled_decode` on the same checkpoint and latent size
 * measured 22.9 / 23.2 / 24.4 / 25.8 dB at the same tile sizes, max abs ≈ 1.1. The floors below sit
 * ~4 dB under the lowest measurement.
 */
import { readFileSync } from 'node:fs';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../src/engine/engine';
import { ModelFormatError } from '../../src/engine/errors';
import type { Ort } from '../../src/engine/sessions';
import type { GenerateRequest } from '../../src/engine/types';
import { decodeLatent, type F32 } from '../../src/engine/vae-decode';
import { parseManifest } from '../../src/store/manifest';
import { NodeFolderStore } from '../../src/store/node-store';
import { available, SHIPPED_MODEL } from '../prerequisites';
import { seededLatent, vaeGraphs } from './helpers/vae-graphs';

const MODEL = 'tests/fixtures/wan-tiny';
const PSNR_FLOOR = 20;
/** 8-bit RGB through the engine, 4×4 latent in 3×3 tiles: measured 23.7 dB. */
const PSNR_FLOOR_ENGINE = 19;
const manifest = parseManifest(JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8')));

/** The package's decoders as vae-decode.ts calls them. */
const graphs = () => vaeGraphs(MODEL, manifest, { whole: true, frames: true });

/** Max abs difference and PSNR for video in [-1, 1] (peak-to-peak 2). */
function compare(a: F32, b: F32): { maxAbs: number; psnr: number } {
  expect(a.dims).toEqual(b.dims);
  let maxAbs = 0;
  let se = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i]! - b.data[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(d));
    se += d * d;
  }
  return { maxAbs, psnr: 10 * Math.log10(4 / (se / a.data.length)) };
}

describe('tiled VAE decoding on the converted Wan package', () => {
  it('decodes a larger latent in overlapping tiles close to the whole decode, with either decoder', async () => {
    const g = await graphs();
    // 3 latent frames of 12 × 16 (96 × 128 pixels), three times the package's own size: the graphs' axes are dynamic.
    const z = seededLatent([1, manifest.latent.channels, 3, 12, 16], 5);
    const whole = await decodeLatent(z, g, { mode: 'whole', tiling: null });
    const frames = await decodeLatent(z, g, { mode: 'frames', tiling: null });
    expect(compare(frames, whole).maxAbs).toBeLessThan(1e-5);
    const rows: string[] = [];
    for (const tiling of [{ tile: 6, overlap: 2 }, { tile: 8, overlap: 2 }, { tile: 10, overlap: 4 }, { tile: 14, overlap: 6 }]) {
      const tiledWhole = await decodeLatent(z, g, { mode: 'whole', tiling });
      const c = compare(tiledWhole, whole);
      rows.push(`tile ${tiling.tile}, overlap ${tiling.overlap}: max abs ${c.maxAbs.toFixed(4)}, PSNR ${c.psnr.toFixed(1)} dB`);
      expect(c.psnr, JSON.stringify(tiling)).toBeGreaterThan(PSNR_FLOOR);
      // The same tiles through the frame pair, each tile with its own cache: the same video.
      const tiledFrames = await decodeLatent(z, g, { mode: 'frames', tiling });
      expect(compare(tiledFrames, tiledWhole).maxAbs, JSON.stringify(tiling)).toBeLessThan(1e-5);
    }
    console.log(`tiled vs whole decode, 3×12×16 latent (video in [-1, 1]):\n  ${rows.join('\n  ')}`);
  }, 300_000);

  it('the engine decodes its clip in tiles when asked, close to the untiled clip', async () => {
    const request: GenerateRequest = { prompt: 'a red ball on the beach', seed: 3, steps: 2, guidance: 5, innerGuidance: 0, sampler: 'euler' };
    const run = async (tiling: 'off' | { tile: number; overlap: number }) => {
      const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort, { vaeDecode: { tiling } });
      await engine.loadModel({ base: MODEL }, { numThreads: 1 });
      const out = await engine.generate(request);
      await engine.unload();
      return out.video;
    };
    const plain = await run('off');
    const tiled = await run({ tile: 3, overlap: 1 });
    let max = 0;
    let differs = 0;
    let se = 0;
    let n = 0;
    for (let i = 0; i < plain.data.length; i++) {
      if (i % 4 === 3) continue; // alpha: always opaque
      n++;
      const d = Math.abs(plain.data[i]! - tiled.data[i]!);
      max = Math.max(max, d);
      se += d * d;
      if (d > 0) differs++;
    }
    const psnr = 10 * Math.log10((255 * 255) / (se / n));
    console.log(`engine, 4×4 latent in 3×3 tiles (overlap 2): max ${max} of 255 levels, PSNR ${psnr.toFixed(1)} dB, ${differs} of ${n} RGB bytes differ`);
    expect([tiled.frames, tiled.height, tiled.width]).toEqual([plain.frames, plain.height, plain.width]);
    expect(differs).toBeGreaterThan(0); // the tiles really ran
    expect(psnr).toBeGreaterThan(PSNR_FLOOR_ENGINE);
  }, 180_000);
});

describe.runIf(available(SHIPPED_MODEL, 'tiling refused on fixed spatial axes'))('tiling a graph with fixed spatial axes', () => {
  it('is refused at load, naming the graph and its shape', async () => {
    const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort, { vaeDecode: { tiling: { tile: 8, overlap: 2 } } });
    const err = await engine.loadModel({ base: 'public/models/vidlet-tiny' }, { numThreads: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(/asks for 8×8 latent tiles, but the vaeDecoder graph \(vaeDecoder\) takes latent \[b,4,t,16,16\], with fixed height and width/);
  }, 120_000);
});
