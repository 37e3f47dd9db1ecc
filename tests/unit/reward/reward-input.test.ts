/** A take → the reward model's video input (src/engine/reward-input.ts): layout, range, resampling. */
import { describe, expect, it } from 'vitest';
import { linearTaps, nearestFrames, takeToRewardVideo, takeValueCount, type ClipSize } from '../../../src/engine/reward-input';
import { videoToFrames } from '../../../src/engine/preview';
import type { FramesRGBA } from '../../../src/engine/types';

/** A take whose every byte is given by `value(t, y, x, c)`. */
function take(frames: number, height: number, width: number, value: (t: number, y: number, x: number, c: number) => number): FramesRGBA {
  const data = new Uint8ClampedArray(frames * height * width * 4);
  for (let t = 0; t < frames; t++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 4; c++) data[((t * height + y) * width + x) * 4 + c] = value(t, y, x, c);
  return { frames, height, width, data };
}

function convert(t: FramesRGBA, size: ClipSize): Float32Array {
  const out = new Float32Array(takeValueCount(size));
  takeToRewardVideo(t, size, out);
  return out;
}

/** out[c, t, y, x] */
const at = (v: Float32Array, s: ClipSize, c: number, t: number, y: number, x: number) => v[((c * s.frames + t) * s.height + y) * s.width + x]!;

describe('takeToRewardVideo', () => {
  it('at the graph size is the exact inverse of videoToFrames (data / 127.5 − 1, planes R, G, B; alpha dropped)', () => {
    const size = { frames: 3, height: 4, width: 5 };
    const src = take(3, 4, 5, (t, y, x, c) => (c === 3 ? 7 : (t * 71 + y * 13 + x * 5 + c * 29) % 256));
    const v = convert(src, size);
    expect(at(v, size, 0, 2, 3, 4)).toBeCloseTo(((2 * 71 + 3 * 13 + 4 * 5) % 256) / 127.5 - 1, 6);
    expect(at(v, size, 2, 1, 0, 2)).toBeCloseTo(((71 + 10 + 58) % 256) / 127.5 - 1, 6);
    // Back through the decoder's own conversion: the same bytes (alpha becomes opaque).
    const back = videoToFrames(v, [1, 3, 3, 4, 5]);
    for (let i = 0; i < back.data.length; i++) expect(back.data[i]).toBe(i % 4 === 3 ? 255 : src.data[i]);
  });

  it('0 and 255 map to −1 and 1', () => {
    const v = convert(take(1, 1, 2, (_t, _y, x) => (x === 0 ? 0 : 255)), { frames: 1, height: 1, width: 2 });
    expect(Array.from(v.subarray(0, 2))).toEqual([-1, 1]);
  });

  it('halving the size averages each 2 × 2 block', () => {
    const src = take(1, 4, 4, (_t, y, x, c) => (c === 0 ? y * 40 + x * 10 : 0));
    const size = { frames: 1, height: 2, width: 2 };
    const v = convert(src, size);
    // Block (0,0): rows 0–1, cols 0–1 → mean of 0, 10, 40, 50 = 25.
    expect(at(v, size, 0, 0, 0, 0)).toBeCloseTo(25 / 127.5 - 1, 6);
    // Block (1,1): rows 2–3, cols 2–3 → mean of 100, 110, 140, 150 = 125.
    expect(at(v, size, 0, 0, 1, 1)).toBeCloseTo(125 / 127.5 - 1, 6);
  });

  it('doubling the width interpolates with half-pixel centres (edge pixels clamp)', () => {
    const src = take(1, 1, 2, (_t, _y, x, c) => (c === 1 ? (x === 0 ? 100 : 200) : 0));
    const size = { frames: 1, height: 1, width: 4 };
    const v = convert(src, size);
    expect([0, 1, 2, 3].map((x) => Math.round((at(v, size, 1, 0, 0, x) + 1) * 127.5 * 100) / 100)).toEqual([100, 125, 175, 200]);
  });

  it('takes frames by nearest, never blending two', () => {
    const src = take(8, 1, 1, (t, _y, _x, c) => (c === 0 ? t * 30 : 0));
    const size = { frames: 16, height: 1, width: 1 };
    const v = convert(src, size);
    const frames = Array.from({ length: 16 }, (_, t) => Math.round((at(v, size, 0, t, 0, 0) + 1) * 127.5) / 30);
    expect(frames).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
  });

  it('writes at an offset and refuses a buffer that does not match its dims', () => {
    const size = { frames: 1, height: 1, width: 1 };
    const out = new Float32Array(6).fill(9);
    takeToRewardVideo(take(1, 1, 1, () => 255), size, out, 3);
    expect(Array.from(out)).toEqual([9, 9, 9, 1, 1, 1]);
    expect(() => takeToRewardVideo({ frames: 2, height: 1, width: 1, data: new Uint8ClampedArray(4) }, size, out)).toThrow(/needs 8 RGBA bytes, it has 4/);
    expect(() => takeToRewardVideo(take(1, 1, 1, () => 0), size, new Float32Array(2))).toThrow(/3 are needed/);
  });
});

describe('resampling taps', () => {
  it('nearestFrames: the identity at the same count; the centre frame of each span when reducing', () => {
    expect(nearestFrames(4, 4)).toEqual([0, 1, 2, 3]);
    expect(nearestFrames(16, 8)).toEqual([1, 3, 5, 7, 9, 11, 13, 15]);
    expect(nearestFrames(3, 1)).toEqual([1]);
  });

  it('linearTaps: the identity at the same size', () => {
    const t = linearTaps(5, 5);
    expect(Array.from(t.i0)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(t.w1)).toEqual([0, 0, 0, 0, 0]);
  });
});
