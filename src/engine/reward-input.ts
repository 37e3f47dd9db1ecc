/**
 * A take (FramesRGBA) → the reward model's `video` input: float [3, T, H, W] in [−1, 1] at the
 * graph's fixed size (manifest `reward.video`), the inverse of preview.ts's videoToFrames:
 * video[c, t, y, x] = data[((t·H + y)·W + x)·4 + c] / 127.5 − 1 (training/vidlet_train/reward/CONTRACT.md).
 * A take of the package's own size is copied exactly (the graph was trained on the decoder's
 * output as is); another size is resampled. Pure: plain arrays in and out.
 *
 * Resampling choices:
 * * Frames by nearest (centre-aligned): blending two frames would draw ghosts that are in neither,
 *   and ghosting is what the motion-quality dimension is trained to punish.
 * * Space bilinear with half-pixel centres (PyTorch's interpolate, align_corners=False): a 2×
 *   reduction is then exactly the mean of each 2 × 2 block; no antialiasing beyond that, so
 *   reductions past 2× skip pixels (takes come from Vidlet models, at most a few sizes).
 */
import type { FramesRGBA } from './types';

export interface ClipSize {
  frames: number;
  height: number;
  width: number;
}

/** Values of one take in the reward model's layout. */
export function takeValueCount(size: ClipSize): number {
  return 3 * size.frames * size.height * size.width;
}

/** Source frame of each target frame: the one whose span holds the target frame's centre. */
export function nearestFrames(from: number, to: number): number[] {
  return Array.from({ length: to }, (_, t) => Math.min(from - 1, Math.floor(((t + 0.5) * from) / to)));
}

/** Per target pixel along one axis: the two source pixels and the weight of the second. */
export interface LinearTaps {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

export function linearTaps(from: number, to: number): LinearTaps {
  const taps = { i0: new Int32Array(to), i1: new Int32Array(to), w1: new Float32Array(to) };
  for (let x = 0; x < to; x++) {
    const s = Math.min(from - 1, Math.max(0, ((x + 0.5) * from) / to - 0.5));
    const i0 = Math.floor(s);
    taps.i0[x] = i0;
    taps.i1[x] = Math.min(from - 1, i0 + 1);
    taps.w1[x] = s - i0;
  }
  return taps;
}

/**
 * Writes `take` as [3, T, H, W] in [−1, 1] at `size` into `out` from `offset` (a batch is several
 * takes one after another). Throws RangeError when the take's buffer does not match its dims.
 */
export function takeToRewardVideo(take: FramesRGBA, size: ClipSize, out: Float32Array, offset = 0): void {
  const { width: W0, height: H0, frames: T0, data } = take;
  if (!(W0 >= 1 && H0 >= 1 && T0 >= 1) || data.length !== W0 * H0 * T0 * 4) {
    throw new RangeError(`a take of ${T0} frames of ${W0}×${H0} needs ${W0 * H0 * T0 * 4} RGBA bytes, it has ${data.length}`);
  }
  const { frames: T, height: H, width: W } = size;
  if (out.length < offset + takeValueCount(size)) throw new RangeError(`the output holds ${out.length} values, ${offset + takeValueCount(size)} are needed`);
  const plane = T * H * W;
  const frames = nearestFrames(T0, T);
  if (H0 === H && W0 === W) {
    for (let t = 0; t < T; t++) {
      const src = frames[t]! * H * W * 4;
      const dst = offset + t * H * W;
      for (let i = 0; i < H * W; i++) {
        out[dst + i] = data[src + i * 4]! / 127.5 - 1;
        out[dst + plane + i] = data[src + i * 4 + 1]! / 127.5 - 1;
        out[dst + 2 * plane + i] = data[src + i * 4 + 2]! / 127.5 - 1;
      }
    }
    return;
  }
  const ys = linearTaps(H0, H);
  const xs = linearTaps(W0, W);
  for (let t = 0; t < T; t++) {
    const frame = frames[t]! * H0 * W0;
    for (let y = 0; y < H; y++) {
      const r0 = frame + ys.i0[y]! * W0;
      const r1 = frame + ys.i1[y]! * W0;
      const wy = ys.w1[y]!;
      for (let x = 0; x < W; x++) {
        const a = (r0 + xs.i0[x]!) * 4;
        const b = (r0 + xs.i1[x]!) * 4;
        const c = (r1 + xs.i0[x]!) * 4;
        const d = (r1 + xs.i1[x]!) * 4;
        const wx = xs.w1[x]!;
        const dst = offset + (t * H + y) * W + x;
        for (let ch = 0; ch < 3; ch++) {
          const top = data[a + ch]! + (data[b + ch]! - data[a + ch]!) * wx;
          const bottom = data[c + ch]! + (data[d + ch]! - data[c + ch]!) * wx;
          out[dst + ch * plane] = (top + (bottom - top) * wy) / 127.5 - 1;
        }
      }
    }
  }
}
