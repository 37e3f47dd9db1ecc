/** Deterministic clips and settings for the media tests (no randomness: failures reproduce). */
import type { FramesRGBA } from '../../../src/engine/types';
import type { ClipSettings } from '../../../src/media/settings';

/**
 * Four flat quadrants whose colours change per frame: flat colours survive GIF quantisation
 * almost exactly, so decoded pixels can be compared with a small tolerance.
 */
export function quadrantClip(width: number, height: number, frames: number): FramesRGBA {
  const data = new Uint8ClampedArray(width * height * frames * 4);
  for (let f = 0; f < frames; f++) {
    const colours = quadrantColours(f);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const q = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
        const i = ((f * height + y) * width + x) * 4;
        data.set([...colours[q]!, 255], i);
      }
    }
  }
  return { width, height, frames, data };
}

export function quadrantColours(frame: number): [number, number, number][] {
  const k = (frame * 37) % 256;
  return [
    [255, k, 0],
    [0, 255 - k, 255],
    [k, k, k],
    [40, 200, (k + 128) % 256],
  ];
}

/** Every pixel different (a gradient plus per-frame shift): for exact PNG round trips. */
export function gradientClip(width: number, height: number, frames: number): FramesRGBA {
  const data = new Uint8ClampedArray(width * height * frames * 4);
  for (let f = 0; f < frames; f++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const i = ((f * height + y) * width + x) * 4;
        data[i] = (x * 7 + f) & 255;
        data[i + 1] = (y * 5 + 3 * f) & 255;
        data[i + 2] = (x * y + f * 11) & 255;
        data[i + 3] = 255 - ((x + y) & 15); // alpha varies too: the zip keeps it
      }
  return { width, height, frames, data };
}

export function clipSettings(video: FramesRGBA, fps: number, overrides: Partial<ClipSettings> = {}): ClipSettings {
  return {
    app: 'vidlet',
    version: 1,
    prompt: 'a red ball bounces — then “a blue cube” ✓ 日本',
    negativePrompt: 'blurry',
    seed: 1234567,
    steps: 20,
    guidance: 5,
    innerGuidance: 3,
    sampler: 'euler',
    model: 'vidlet-tiny',
    variant: 'fp32',
    backend: 'wasm',
    fps,
    frames: video.frames,
    width: video.width,
    height: video.height,
    createdAt: '2026-11-23T10:00:00.000Z',
    ...overrides,
  };
}
