/**
 * Float video in [-1, 1], layout [B, 3, T, H, W] (docs/model-package.md) → FramesRGBA
 * (frame-major RGBA, opaque). Used for the preview decoder's output every step and for the VAE
 * output at the end. Values outside [-1, 1] are clamped; rounding is to nearest.
 */
import type { FramesRGBA } from './types';

export function videoToFrames(video: Float32Array, dims: readonly number[], batchIndex = 0): FramesRGBA {
  if (dims.length !== 5 || dims[1] !== 3) {
    throw new RangeError(`expected a video tensor [B,3,T,H,W], got [${dims.join(',')}]`);
  }
  const [B, , T, H, W] = dims as [number, number, number, number, number];
  if (video.length !== B * 3 * T * H * W) throw new RangeError(`video has ${video.length} values, dims say ${B * 3 * T * H * W}`);
  if (batchIndex < 0 || batchIndex >= B) throw new RangeError(`batch index ${batchIndex} outside 0…${B - 1}`);
  const plane = T * H * W;
  const base = batchIndex * 3 * plane;
  const data = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    // (v + 1)·127.5, rounded; Uint8ClampedArray clamps to [0, 255] and rounds half to even.
    data[i * 4] = (video[base + i]! + 1) * 127.5;
    data[i * 4 + 1] = (video[base + plane + i]! + 1) * 127.5;
    data[i * 4 + 2] = (video[base + 2 * plane + i]! + 1) * 127.5;
    data[i * 4 + 3] = 255;
  }
  return { width: W, height: H, frames: T, data };
}
