import { describe, expect, it } from 'vitest';
import { formatFromPath, sniffFormat } from '../../../src/media/formats';
import { assertFrames, frameBytes, padToEven, pickFrame } from '../../../src/media/frames';
import { rgbaToI420 } from '../../../src/media/yuv';
import { gradientClip } from './fixtures';

describe('frame utilities', () => {
  it('checks the buffer matches the shape', () => {
    expect(() => assertFrames({ width: 2, height: 2, frames: 2, data: new Uint8ClampedArray(31) })).toThrow(/31 bytes.*need 32/);
    expect(() => assertFrames({ width: 0, height: 2, frames: 2, data: new Uint8ClampedArray(0) })).toThrow(/width/);
  });

  it('views single frames and picks first/middle', () => {
    const v = gradientClip(3, 2, 5);
    expect(frameBytes(v, 4)).toEqual(v.data.subarray(4 * 24, 5 * 24));
    expect(() => frameBytes(v, 5)).toThrow(/5 frames/);
    expect([pickFrame(v, 'first'), pickFrame(v, 'middle')]).toEqual([0, 2]);
  });

  it('pads odd sizes to even by repeating the last column and row', () => {
    const v = gradientClip(3, 3, 2);
    const p = padToEven(v);
    expect([p.width, p.height, p.frames]).toEqual([4, 4, 2]);
    const px = (c: typeof v, f: number, x: number, y: number) => Array.from(c.data.subarray(((f * c.height + y) * c.width + x) * 4, ((f * c.height + y) * c.width + x) * 4 + 4));
    for (let f = 0; f < 2; f++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 4; x++) expect(px(p, f, x, y)).toEqual(px(v, f, Math.min(x, 2), Math.min(y, 2)));
    const even = gradientClip(4, 2, 1);
    expect(padToEven(even)).toBe(even);
  });

  it('converts RGBA to BT.601 limited-range I420', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255, 0, 255, 0, 255]);
    const yuv = rgbaToI420(rgba, 2, 2);
    expect(Array.from(yuv.subarray(0, 4))).toEqual([235, 16, 81, 145]);
    // mean colour (127.5, 127.5, 63.75): U below 128 (yellowish), V near 128
    expect(yuv[4]).toBeLessThan(128);
    expect(() => rgbaToI420(new Uint8ClampedArray(12), 3, 1)).toThrow(/even/);
  });
});

describe('formats', () => {
  it('maps paths to formats', () => {
    expect(['a.mp4', 'B.WEBM', 'c.gif', 'dir.x/d.zip', 'e.m4v'].map(formatFromPath)).toEqual(['mp4', 'webm', 'gif', 'zip', 'mp4']);
    expect(() => formatFromPath('clip.mov')).toThrow(/\.mp4, \.webm, \.gif or \.zip/);
    expect(() => formatFromPath('clip')).toThrow(/clip/);
  });

  it('sniffs magic bytes', () => {
    const b = (s: string | number[]) => (typeof s === 'string' ? new TextEncoder().encode(s) : Uint8Array.from(s));
    expect(sniffFormat(b('\0\0\0\x18ftypisom'))).toBe('mp4');
    expect(sniffFormat(b([0x1a, 0x45, 0xdf, 0xa3, 1]))).toBe('webm');
    expect(sniffFormat(b('GIF89a...'))).toBe('gif');
    expect(sniffFormat(b('GIF87a'))).toBe('gif');
    expect(sniffFormat(b('PK\x03\x04'))).toBe('zip');
    expect(sniffFormat(b('\x89PNG\r\n'))).toBeNull();
    expect(sniffFormat(b('GIF8'))).toBeNull();
    expect(sniffFormat(new Uint8Array(0))).toBeNull();
  });
});
