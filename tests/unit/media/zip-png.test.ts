import { decode } from 'fast-png';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { frameBytes } from '../../../src/media/frames';
import { encodeFramePng, toBase64 } from '../../../src/media/png';
import { encodeZip, frameFileName, readZipSettings } from '../../../src/media/zip';
import { thumbnailDataUrl } from '../../../src/media/thumbnail';
import { clipSettings, gradientClip } from './fixtures';

/** The exports write 8-bit RGBA PNGs: anything else is a failure, not something to convert. */
function decodePngRgba(bytes: Uint8Array): { width: number; height: number; data: Uint8ClampedArray } {
  const png = decode(bytes);
  expect([png.depth, png.channels, png.palette]).toEqual([8, 4, undefined]);
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data) };
}

describe('PNG-zip export', () => {
  const video = gradientClip(37, 23, 12);
  const settings = clipSettings(video, 8);

  it('holds settings.json and one PNG per frame whose pixels equal the clip exactly', () => {
    const files = unzipSync(encodeZip(video, settings));
    const names = Object.keys(files).sort();
    expect(names).toEqual([...Array.from({ length: 12 }, (_, i) => `frame-${String(i + 1).padStart(4, '0')}.png`), 'settings.json']);
    expect(JSON.parse(strFromU8(files['settings.json']!))).toEqual(settings);
    for (let i = 0; i < 12; i++) {
      const png = decodePngRgba(files[frameFileName(i, 12)]!);
      expect([png.width, png.height]).toEqual([37, 23]);
      expect(png.data).toEqual(new Uint8ClampedArray(frameBytes(video, i)));
    }
  });

  it('reads the settings back, and is reproducible byte for byte', () => {
    const a = encodeZip(video, settings);
    expect(readZipSettings(a)).toEqual(settings);
    expect(encodeZip(video, settings)).toEqual(a);
  });

  it('names frames with at least four digits', () => {
    expect(frameFileName(0, 16)).toBe('frame-0001.png');
    expect(frameFileName(12344, 12345)).toBe('frame-12345.png');
  });

  it('makes a PNG thumbnail data URL of the middle frame', async () => {
    const url = await thumbnailDataUrl(video);
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    const bytes = Uint8Array.from(atob(url.split(',')[1]!), (c) => c.charCodeAt(0));
    expect(decodePngRgba(bytes).data).toEqual(new Uint8ClampedArray(frameBytes(video, 5)));
    await expect(thumbnailDataUrl(video, { type: 'image/jpeg' })).rejects.toThrow(/OffscreenCanvas/);
  });

  it('base64 matches Node Buffer for large inputs', () => {
    const bytes = encodeFramePng(video, 0);
    const big = new Uint8Array(100_000).map((_, i) => (i * 31) & 255);
    expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    expect(toBase64(big)).toBe(Buffer.from(big).toString('base64'));
  });
});
