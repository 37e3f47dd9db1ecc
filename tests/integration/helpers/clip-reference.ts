/**
 * A stored expected clip, small enough to commit: the mean R, G, B of every BLOCK × BLOCK tile
 * of every frame (16 frames × 8 × 8 tiles × 3 = 3,072 numbers for the 128 × 128 package).
 *
 * Why tiles and not a hash: a hash breaks on any change of float summation order (an onnxruntime
 * upgrade, another kernel), while tile means still see every change that alters the picture.
 * Measured on vidlet-tiny, base request of tests/integration/engine.test.ts, tile means (levels):
 *   wasm 1 thread vs 2 threads, int8 ............ identical (wasm float arithmetic is exact IEEE)
 *   wasm vs native onnxruntime, same fp32 graphs . max 0.008 (kernel order only)
 *   int8 vs fp32 denoiser/VAE (the variant swap) . max 23.6, mean 0.70
 *   guidance 5 → 4.5 ............................. max 84, mean 1.7
 *   seed 7 → 8 ................................... max 233, mean 12
 * so CLIP_TOLERANCE = 1 level allows 100× the kernel-order effect and is 24× below the smallest
 * change that matters (stored values are rounded to 0.1, adding at most 0.05).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const BLOCK = 16;
/** Largest accepted |Δ| of one tile mean, in 8-bit levels (see above for how it was chosen). */
export const CLIP_TOLERANCE = 1;

export interface ClipReference {
  about: string;
  /** sha256 of the package files the reference was recorded on, by path. */
  files: Record<string, string>;
  request: Record<string, unknown>;
  frames: number;
  width: number;
  height: number;
  block: number;
  /** [frame][tileY][tileX][rgb], flattened, rounded to 0.1. */
  tiles: number[];
}

/** Tile means of RGBA frames [frames, height, width, 4]. */
export function tileMeans(video: { data: Uint8ClampedArray; width: number; height: number; frames: number }, block = BLOCK): number[] {
  const { data, width: W, height: H, frames: F } = video;
  if (W % block || H % block) throw new RangeError(`${W}×${H} frames do not split into ${block}-pixel tiles`);
  const out: number[] = [];
  for (let f = 0; f < F; f++) {
    for (let ty = 0; ty < H / block; ty++) {
      for (let tx = 0; tx < W / block; tx++) {
        for (let ch = 0; ch < 3; ch++) {
          let s = 0;
          for (let y = 0; y < block; y++) {
            const row = ((f * H + ty * block + y) * W + tx * block) * 4 + ch;
            for (let x = 0; x < block; x++) s += data[row + x * 4]!;
          }
          out.push(s / (block * block));
        }
      }
    }
  }
  return out;
}

/** Largest |a − b| over tiles, and where (frame, tile row, tile column, channel). */
export function largestTileDifference(a: readonly number[], b: readonly number[], width: number, height: number, block = BLOCK): { max: number; mean: number; at: string } {
  if (a.length !== b.length) throw new RangeError(`${a.length} tile values vs ${b.length}`);
  const tx = width / block;
  const ty = height / block;
  let max = 0;
  let sum = 0;
  let at = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) [max, at] = [d, i];
  }
  const ch = at % 3;
  const tile = Math.floor(at / 3);
  const where = `frame ${Math.floor(tile / (tx * ty))}, tile row ${Math.floor(tile / tx) % ty}, column ${tile % tx}, ${'RGB'[ch]}`;
  return { max, mean: sum / a.length, at: where };
}

export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
