/**
 * Spatial tiling of a VAE decode (as diffusers' `tiled_decode`): the latent is cut into overlapping
 * tiles, each decoded on its own, and the decoded tiles are blended linearly across their overlap,
 * so the decoder's working memory follows the tile, not the frame. Pure arithmetic: no onnxruntime,
 * so it is unit-tested with fake decoders (tests/unit/engine/vae-tiles.test.ts).
 *
 * Blending: each decoded pixel gets a weight per axis that ramps (k + ½)/n across an overlap of n
 * pixels shared with a neighbour (1 elsewhere), the neighbour's ramp being its complement; the
 * output is Σ weight·tile / Σ weight. Where two tiles overlap this is exactly diffusers' linear
 * blend; dividing by the sum keeps it exact wherever tiles meet (corners, three tiles on a short
 * axis), so a decoder whose pixels depend only on their own latent pixel is reproduced exactly.
 */
import type { VaeTilingHint } from '../package/vae-decode';

/** A tile in latent pixels: rows [y, y + h), columns [x, x + w). */
export interface Tile {
  y: number;
  x: number;
  h: number;
  w: number;
}

export interface Tiling {
  tile: number;
  overlap: number;
}

/**
 * Start positions of tiles of `tile` along an axis of `size`, each neighbour overlapping by at
 * least `overlap`, spread evenly so every tile has the full size (one shape for every call, which
 * WebGPU compiles once) and the last ends at the edge. One tile when the axis fits in one.
 */
export function axisStarts(size: number, tile: number, overlap: number): number[] {
  if (size <= tile) return [0];
  const stride = tile - overlap;
  const n = Math.ceil((size - tile) / stride) + 1;
  return Array.from({ length: n }, (_, i) => Math.round((i * (size - tile)) / (n - 1)));
}

/** The tiles covering an h × w latent, row by row. */
export function planTiles(h: number, w: number, t: Tiling): Tile[] {
  const ys = axisStarts(h, t.tile, t.overlap);
  const xs = axisStarts(w, t.tile, t.overlap);
  const th = Math.min(h, t.tile);
  const tw = Math.min(w, t.tile);
  return ys.flatMap((y) => xs.map((x) => ({ y, x, h: th, w: tw })));
}

/**
 * The blend weights along one axis of a decoded tile of `len` pixels: ramps across the `before`
 * pixels it shares with the previous tile and the `after` pixels it shares with the next.
 */
export function axisWeights(len: number, before: number, after: number): Float32Array {
  const w = new Float32Array(len).fill(1);
  for (let k = 0; k < Math.min(before, len); k++) w[k]! *= (k + 0.5) / before;
  for (let k = 0; k < Math.min(after, len); k++) w[len - 1 - k]! *= (k + 0.5) / after;
  return w;
}

/** Latent [1, c, t, h, w] (batch 1) → the tile's [1, c, t, tile.h, tile.w], copied. */
export function cropLatent(latent: Float32Array, dims: readonly number[], tile: Tile): Float32Array {
  const [, c, t, h, w] = dims as [number, number, number, number, number];
  if (tile.y === 0 && tile.x === 0 && tile.h === h && tile.w === w) return latent;
  const out = new Float32Array(c * t * tile.h * tile.w);
  let o = 0;
  for (let p = 0; p < c * t; p++) {
    for (let y = tile.y; y < tile.y + tile.h; y++) {
      const row = (p * h + y) * w + tile.x;
      out.set(latent.subarray(row, row + tile.w), o);
      o += tile.w;
    }
  }
  return out;
}

/**
 * Accumulates decoded tiles [1, C, T, tile.h·s, tile.w·s] of one output [1, C, T, H·s, W·s]
 * (s: the decoder's spatial scale, read from the first tile) and returns the blended result.
 */
export class TileBlender {
  private sum: Float32Array | null = null;
  private weight: Float32Array | null = null;
  private outDims: number[] | null = null;
  private scale = 0;
  private readonly ys: number[];
  private readonly xs: number[];

  constructor(private readonly latentH: number, private readonly latentW: number, private readonly tiles: readonly Tile[]) {
    this.ys = [...new Set(tiles.map((t) => t.y))].sort((a, b) => a - b);
    this.xs = [...new Set(tiles.map((t) => t.x))].sort((a, b) => a - b);
  }

  add(tile: Tile, data: Float32Array, dims: readonly number[]): void {
    const [, C, T, th, tw] = dims as [number, number, number, number, number];
    if (th % tile.h !== 0 || tw % tile.w !== 0 || th / tile.h !== tw / tile.w) {
      throw new RangeError(`a ${tile.h}×${tile.w} latent tile decoded to ${th}×${tw}, not a whole multiple of it`);
    }
    const s = th / tile.h;
    if (!this.sum) {
      this.scale = s;
      this.outDims = [1, C, T, this.latentH * s, this.latentW * s];
      this.sum = new Float32Array(C * T * this.latentH * s * this.latentW * s);
      this.weight = new Float32Array(this.latentH * s * this.latentW * s);
    } else if (s !== this.scale || C !== this.outDims![1] || T !== this.outDims![2]) {
      throw new RangeError(`decoded tiles disagree: [${dims.join(',')}] after tiles of scale ${this.scale}, [${this.outDims!.join(',')}] overall`);
    }
    const wy = axisWeights(th, this.shared(this.ys, tile.y, tile.h, -1) * s, this.shared(this.ys, tile.y, tile.h, 1) * s);
    const wx = axisWeights(tw, this.shared(this.xs, tile.x, tile.w, -1) * s, this.shared(this.xs, tile.x, tile.w, 1) * s);
    const H = this.outDims![3]!;
    const W = this.outDims![4]!;
    const oy = tile.y * s;
    const ox = tile.x * s;
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) this.weight![(oy + y) * W + ox + x]! += wy[y]! * wx[x]!;
    }
    for (let p = 0; p < C * T; p++) {
      for (let y = 0; y < th; y++) {
        const src = (p * th + y) * tw;
        const dst = (p * H + oy + y) * W + ox;
        const wyy = wy[y]!;
        for (let x = 0; x < tw; x++) this.sum[dst + x]! += wyy * wx[x]! * data[src + x]!;
      }
    }
  }

  /** The blended output; every output pixel must have been covered by a tile. */
  result(): { data: Float32Array; dims: number[] } {
    if (!this.sum) throw new RangeError('no tiles were decoded');
    const plane = this.weight!.length;
    for (let i = 0; i < this.sum.length; i++) this.sum[i]! /= this.weight![i % plane]!;
    const out = { data: this.sum, dims: this.outDims! };
    this.sum = null;
    return out;
  }

  /** Latent pixels a tile at `start` shares with its neighbour before (dir −1) or after (+1) on this axis. */
  private shared(starts: number[], start: number, len: number, dir: -1 | 1): number {
    const i = starts.indexOf(start);
    const j = i + dir;
    if (j < 0 || j >= starts.length) return 0;
    return dir < 0 ? Math.max(0, starts[j]! + len - start) : Math.max(0, start + len - starts[j]!);
  }
}

/**
 * The tiling a decode uses, or null for none. An explicit option wins; 'off' never tiles. With a
 * memory budget and the package's bytes per latent pixel, the largest square tile whose call fits
 * (null when the whole frame fits); otherwise the package's hint. A tile covering the whole latent
 * is no tiling.
 */
export function chooseTiling(
  latent: { h: number; w: number; framesPerCall: number },
  hint: VaeTilingHint | undefined,
  option: Tiling | 'off' | 'auto' | undefined,
  budgetBytes: number | undefined,
): Tiling | null {
  if (option === 'off') return null;
  const covers = (t: Tiling) => t.tile >= latent.h && t.tile >= latent.w;
  if (option && option !== 'auto') return covers(option) ? null : option;
  if (budgetBytes !== undefined && hint?.bytesPerLatentPixel) {
    const perRow = hint.bytesPerLatentPixel * latent.framesPerCall;
    if (perRow * latent.h * latent.w <= budgetBytes) return null;
    const side = Math.floor(Math.sqrt(budgetBytes / perRow));
    // At least twice the overlap plus one, or the tiles cannot advance; a budget below that is
    // reported by the decode running out of memory, not silently exceeded here.
    const tile = Math.max(side, 2 * hint.overlap + 1);
    return covers({ tile, overlap: hint.overlap }) ? null : { tile, overlap: hint.overlap };
  }
  if (!hint) return null;
  const t = { tile: hint.tile, overlap: hint.overlap };
  return covers(t) ? null : t;
}
