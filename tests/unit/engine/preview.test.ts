import { describe, expect, it } from 'vitest';
import { videoToFrames } from '../../../src/engine/preview';

describe('videoToFrames', () => {
  it('maps [-1,1] planes [B,3,T,H,W] to frame-major RGBA', () => {
    // B=2, T=2, H=1, W=2: batch 1 holds the values we check.
    const T = 2, H = 1, W = 2, plane = T * H * W;
    const v = new Float32Array(2 * 3 * plane);
    const b1 = 3 * plane;
    // R plane of batch 1: -1, 0, 1, 2 (clamped); G: 0.5 everywhere; B: -2 (clamped)
    v.set([-1, 0, 1, 2], b1);
    v.fill(0.5, b1 + plane, b1 + 2 * plane);
    v.fill(-2, b1 + 2 * plane, b1 + 3 * plane);
    const f = videoToFrames(v, [2, 3, T, H, W], 1);
    expect([f.width, f.height, f.frames]).toEqual([2, 1, 2]);
    // (0+1)·127.5 = 127.5 → 128 (round half to even), 0.5 → 191.25 → 191
    expect(Array.from(f.data)).toEqual([0, 191, 0, 255, 128, 191, 0, 255, 255, 191, 0, 255, 255, 191, 0, 255]);
  });

  it('refuses wrong layouts', () => {
    expect(() => videoToFrames(new Float32Array(8), [1, 4, 1, 1, 2])).toThrow(/\[B,3,T,H,W\]/);
    expect(() => videoToFrames(new Float32Array(5), [1, 3, 1, 1, 2])).toThrow(/dims say 6/);
  });
});
