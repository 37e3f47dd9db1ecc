/**
 * Spatial tiling (src/engine/vae-tiles.ts) and the decode loop over it (src/engine/vae-decode.ts)
 * with fake decoders: a decoder whose every output pixel depends only on its own latent pixel is
 * reproduced exactly by any tiling, so any difference is a tiling or blending bug.
 */
import { describe, expect, it } from 'vitest';
import { axisStarts, axisWeights, chooseTiling, planTiles, TileBlender } from '../../../src/engine/vae-tiles';
import { decodeLatent, type F32, type VaeGraphs } from '../../../src/engine/vae-decode';
import { memoryBudgetProblem } from '../../../src/engine/engine';
import type { Manifest } from '../../../src/store/types';

/** A seeded latent [1, c, t, h, w]. */
function latent(c: number, t: number, h: number, w: number, seed = 1): F32 {
  let s = seed;
  const data = new Float32Array(c * t * h * w).map(() => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 30 - 1;
  });
  return { data, dims: [1, c, t, h, w] };
}

/**
 * Per-pixel linear "VAE": 8× nearest upsampling in space, 4 video frames per latent frame
 * (1 for the first, as Wan's), RGB = a fixed mix of the channels plus the position inside the
 * 8×8 block and the latent frame's index in the clip, `causalOffset` + its index in `x` (so a
 * misplaced tile, or a cache fed to the wrong tile, shows).
 */
function pixelDecode(x: F32, causalOffset = 0): F32 {
  const [, c, t, h, w] = x.dims as [number, number, number, number, number];
  const s = 8;
  const frames: number[] = [];
  const sub: number[] = [];
  for (let f = 0; f < t; f++) {
    const n = f + causalOffset === 0 ? 1 : 4;
    for (let k = 0; k < n; k++) {
      frames.push(f);
      sub.push(k);
    }
  }
  const T = frames.length;
  const H = h * s;
  const W = w * s;
  const out = new Float32Array(3 * T * H * W);
  for (let o = 0; o < 3; o++) {
    for (let ti = 0; ti < T; ti++) {
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < W; xx++) {
          let v = 0.01 * ((y % s) + 2 * (xx % s)) + 0.1 * (frames[ti]! + causalOffset) + 0.03 * sub[ti]!;
          for (let ch = 0; ch < c; ch++) v += (o + 1) * (ch + 1) * 0.1 * x.data[((ch * t + frames[ti]!) * h + (y >> 3)) * w + (xx >> 3)]!;
          out[((o * T + ti) * H + y) * W + xx] = v;
        }
      }
    }
  }
  return { data: out, dims: [1, 3, T, H, W] };
}

describe('tile layout', () => {
  it('covers the axis with full-size tiles overlapping by at least the overlap', () => {
    expect(axisStarts(16, 32, 8)).toEqual([0]);
    expect(axisStarts(32, 32, 8)).toEqual([0]);
    expect(axisStarts(56, 32, 8)).toEqual([0, 24]);
    expect(axisStarts(60, 32, 8)).toEqual([0, 14, 28]);
    for (const [size, tile, overlap] of [[60, 32, 8], [33, 8, 2], [100, 16, 4], [17, 16, 0]] as const) {
      const s = axisStarts(size, tile, overlap);
      expect(s[0]).toBe(0);
      expect(s.at(-1)! + tile).toBe(size);
      for (let i = 1; i < s.length; i++) expect(s[i - 1]! + tile - s[i]!).toBeGreaterThanOrEqual(overlap);
    }
    expect(planTiles(10, 20, { tile: 8, overlap: 2 })).toHaveLength(2 * 3);
  });

  it('ramps complement each other across an overlap', () => {
    const a = axisWeights(8, 0, 4);
    const b = axisWeights(8, 4, 0);
    for (let k = 0; k < 4; k++) expect(a[4 + k]! + b[k]!).toBeCloseTo(1, 6);
    expect([...a.subarray(0, 4)]).toEqual([1, 1, 1, 1]);
  });
});

describe('tiled decode', () => {
  const whole: VaeGraphs = { whole: async (x) => pixelDecode(x) };

  it('reproduces a per-pixel decoder exactly, tile size and overlap regardless', async () => {
    const z = latent(4, 3, 13, 10);
    const ref = pixelDecode(z);
    for (const tiling of [{ tile: 4, overlap: 1 }, { tile: 6, overlap: 2 }, { tile: 5, overlap: 0 }, { tile: 12, overlap: 5 }]) {
      const got = await decodeLatent(z, whole, { mode: 'whole', tiling });
      expect(got.dims).toEqual(ref.dims);
      let max = 0;
      for (let i = 0; i < ref.data.length; i++) max = Math.max(max, Math.abs(got.data[i]! - ref.data[i]!));
      expect(max, JSON.stringify(tiling)).toBeLessThan(1e-5);
    }
  });

  it('blends linearly across the overlap when neighbouring tiles disagree', () => {
    // Two 1×2-latent tiles of a 1×3 latent (scale 1) that decode to constants 0 and 1: the shared
    // column is their mean, the rest each tile's own value.
    const tiles = planTiles(1, 3, { tile: 2, overlap: 1 });
    expect(tiles.map((t) => t.x)).toEqual([0, 1]);
    const b = new TileBlender(1, 3, tiles);
    b.add(tiles[0]!, new Float32Array([0, 0]), [1, 1, 1, 1, 2]);
    b.add(tiles[1]!, new Float32Array([1, 1]), [1, 1, 1, 1, 2]);
    expect([...b.result().data]).toEqual([0, 0.5, 1]);
  });

  it('frame by frame with a cache per tile equals the whole decode, chunks reported in order', async () => {
    const z = latent(4, 5, 9, 12, 7);
    const ref = pixelDecode(z);
    // A causal pair: the cache counts frames, so a tile fed another tile's cache would misplace frames.
    const frames: VaeGraphs = {
      frames: {
        latentFrames: { first: 2, next: 1 },
        first: async (x) => ({ video: pixelDecode(x), cache: [{ data: new Float32Array([x.dims[2]!]), dims: [1] }] }),
        next: async (x, cache) => ({ video: pixelDecode(x, cache[0]!.data[0]!), cache: [{ data: new Float32Array([cache[0]!.data[0]! + 1]), dims: [1] }] }),
      },
    };
    for (const tiling of [null, { tile: 4, overlap: 1 }]) {
      const chunks: [number, number][] = [];
      const got = await decodeLatent(z, frames, { mode: 'frames', tiling }, (first, c) => chunks.push([first, c.dims[2]!]));
      expect(chunks).toEqual([[0, 5], [5, 4], [9, 4], [13, 4]]);
      expect(got.dims).toEqual(ref.dims);
      let max = 0;
      for (let i = 0; i < ref.data.length; i++) max = Math.max(max, Math.abs(got.data[i]! - ref.data[i]!));
      expect(max).toBeLessThan(1e-5);
    }
  });

  it('refuses a latent length the frame pair cannot make', async () => {
    const frames: VaeGraphs = { frames: { latentFrames: { first: 2, next: 2 }, first: async (x) => ({ video: x, cache: [] }), next: async (x) => ({ video: x, cache: [] }) } };
    await expect(decodeLatent(latent(1, 3, 2, 2), frames, { mode: 'frames', tiling: null })).rejects.toThrow(/cannot make 3/);
  });
});

describe('decode noise (the optional decode_noise role)', () => {
  /** Noise derived from the latent element by element, so a call whose noise is not its latent's own cut shows. */
  const derived = (z: F32): F32 => ({ data: z.data.map((v) => 2 * v + 1), dims: [...z.dims] });
  /** Every call's noise must be `derived` of its latent, same dims, element for element. */
  function expectCutAlike(latent: F32, noise: F32 | undefined) {
    expect(noise).toBeDefined();
    expect(noise!.dims).toEqual(latent.dims);
    expect(noise!.data).toEqual(derived(latent).data);
  }
  const frameGraphs = (decode: (x: F32, n: F32 | undefined, offset: number) => F32, calls: number[]): VaeGraphs => ({
    frames: {
      latentFrames: { first: 2, next: 1 },
      first: async (...a: [F32, F32?]) => {
        calls.push(a.length);
        return { video: decode(a[0], a[1], 0), cache: [{ data: new Float32Array([a[0].dims[2]!]), dims: [1] }] };
      },
      next: async (...a: [F32, F32[], F32?]) => {
        calls.push(a.length - 1);
        return { video: decode(a[0], a[2], a[1][0]!.data[0]!), cache: [{ data: new Float32Array([a[1][0]!.data[0]! + 1]), dims: [1] }] };
      },
    },
  });

  it('is cut exactly as the latent, per tile and per frame group', async () => {
    const z = latent(3, 5, 9, 12, 3);
    let checked = 0;
    const whole: VaeGraphs = { whole: async (x, n) => (expectCutAlike(x, n), checked++, pixelDecode(x)) };
    for (const tiling of [null, { tile: 4, overlap: 1 }, { tile: 6, overlap: 2 }]) {
      await decodeLatent(z, whole, { mode: 'whole', tiling }, undefined, derived(z));
      await decodeLatent(z, frameGraphs((x, n, o) => (expectCutAlike(x, n), checked++, pixelDecode(x, o)), []), { mode: 'frames', tiling }, undefined, derived(z));
    }
    // one call per tile in whole mode, and per tile for each of the 4 frame calls (first + 3 next)
    const tiles = 1 + planTiles(9, 12, { tile: 4, overlap: 1 }).length + planTiles(9, 12, { tile: 6, overlap: 2 }).length;
    expect(tiles).toBe(1 + 12 + 6);
    expect(checked).toBe(tiles + 4 * tiles);
  });

  it('a decoder that passes the noise through decodes the same tiled and whole, in either mode', async () => {
    const z = latent(4, 5, 13, 10, 5);
    const eps = latent(4, 5, 13, 10, 99);
    // the decoder's output depends on the noise only (per pixel), so tiling must reproduce it exactly
    const ref = pixelDecode(eps);
    const whole: VaeGraphs = { whole: async (_x, n) => pixelDecode(n!) };
    const frames = frameGraphs((_x, n, o) => pixelDecode(n!, o), []);
    for (const tiling of [null, { tile: 4, overlap: 1 }, { tile: 6, overlap: 2 }, { tile: 5, overlap: 0 }]) {
      for (const [mode, graphs] of [['whole', whole], ['frames', frames]] as const) {
        const got = await decodeLatent(z, graphs, { mode, tiling }, undefined, eps);
        expect(got.dims).toEqual(ref.dims);
        let max = 0;
        for (let i = 0; i < ref.data.length; i++) max = Math.max(max, Math.abs(got.data[i]! - ref.data[i]!));
        expect(max, `${mode} ${JSON.stringify(tiling)}`).toBeLessThan(1e-5);
      }
    }
  });

  it('without noise no call is given any (a package without the role decodes as before)', async () => {
    const z = latent(2, 3, 6, 6, 4);
    const wholeArgs: number[] = [];
    const whole: VaeGraphs = { whole: async (...a: [F32, F32?]) => (wholeArgs.push(a.length), pixelDecode(a[0])) };
    const frameArgs: number[] = [];
    const frames = frameGraphs((x, _n, o) => pixelDecode(x, o), frameArgs);
    for (const tiling of [null, { tile: 4, overlap: 1 }]) {
      const a = await decodeLatent(z, whole, { mode: 'whole', tiling });
      const b = await decodeLatent(z, frames, { mode: 'frames', tiling });
      expect(b.data).toEqual(a.data);
    }
    expect(new Set(wholeArgs)).toEqual(new Set([1]));
    expect(new Set(frameArgs)).toEqual(new Set([1]));
    // and with noise, every call gets it
    frameArgs.length = 0;
    await decodeLatent(z, frames, { mode: 'frames', tiling: { tile: 4, overlap: 1 } }, undefined, derived(z));
    expect(new Set(frameArgs)).toEqual(new Set([2]));
  });

  it('refuses noise of another shape than the latent', async () => {
    const whole: VaeGraphs = { whole: async (x) => pixelDecode(x) };
    await expect(decodeLatent(latent(2, 3, 4, 4), whole, { mode: 'whole', tiling: null }, undefined, latent(2, 3, 4, 5))).rejects.toThrow(/decode noise \[1,2,3,4,5\] must have the latent's shape \[1,2,3,4,4\]/);
  });
});

describe('chooseTiling', () => {
  const size = { h: 30, w: 52, framesPerCall: 2 };
  it('an explicit option wins; off never tiles; a tile covering the latent is no tiling', () => {
    expect(chooseTiling(size, { tile: 16, overlap: 4 }, { tile: 20, overlap: 2 }, undefined)).toEqual({ tile: 20, overlap: 2 });
    expect(chooseTiling(size, { tile: 16, overlap: 4 }, 'off', 1)).toBeNull();
    expect(chooseTiling(size, undefined, { tile: 64, overlap: 2 }, undefined)).toBeNull();
    expect(chooseTiling(size, { tile: 16, overlap: 4 }, 'auto', undefined)).toEqual({ tile: 16, overlap: 4 });
    expect(chooseTiling(size, undefined, undefined, 1e9)).toBeNull();
  });

  it('a memory budget sizes square tiles from the package’s bytes per latent pixel', () => {
    const hint = { tile: 16, overlap: 4, bytesPerLatentPixel: 1000 };
    // whole frame: 1000 · 2 · 30 · 52 = 3.12 MB
    expect(chooseTiling(size, hint, undefined, 4e6)).toBeNull();
    // 1000 · 2 · 20² = 0.8 MB
    expect(chooseTiling(size, hint, undefined, 0.8e6)).toEqual({ tile: 20, overlap: 4 });
    // never below 2 · overlap + 1
    expect(chooseTiling(size, hint, undefined, 1)).toEqual({ tile: 9, overlap: 4 });
  });
});

describe('memoryBudgetProblem (the engine refuses a budget it cannot apply, at load)', () => {
  const manifest = (vaeTiling?: object) => ({ name: 'm', vaeTiling }) as unknown as Manifest;
  it('no budget, tiles set by the option, or a package that gives its bytes per latent pixel: nothing to refuse', () => {
    expect(memoryBudgetProblem(manifest(), {})).toBeUndefined();
    expect(memoryBudgetProblem(manifest(), { tiling: 'off', memoryBudgetBytes: 1 })).toBeUndefined();
    expect(memoryBudgetProblem(manifest(), { tiling: { tile: 8, overlap: 2 }, memoryBudgetBytes: 1 })).toBeUndefined();
    expect(memoryBudgetProblem(manifest({ tile: 16, overlap: 4, bytesPerLatentPixel: 1000 }), { tiling: 'auto', memoryBudgetBytes: 1 })).toBeUndefined();
  });

  it('a budget on a package without bytesPerLatentPixel: says why it cannot be applied', () => {
    expect(memoryBudgetProblem(manifest(), { memoryBudgetBytes: 512 * 2 ** 20 })).toMatch(
      /^A VAE memory budget of 512 MiB was asked for, but m cannot be decoded to a budget: it has no vaeTiling \(the decoder's peak memory per latent pixel/,
    );
    expect(memoryBudgetProblem(manifest({ tile: 16, overlap: 4 }), { tiling: 'auto', memoryBudgetBytes: 2 ** 19 })).toMatch(
      /budget of 0\.5 MiB .*its vaeTiling gives tiles of 16 overlapping 4 but no bytesPerLatentPixel/,
    );
  });
});
