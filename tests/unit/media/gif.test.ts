import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';
import { NotVidletError } from '../../../src/media/errors';
import { encodeGif, gifDelaysCs, readGifSettings } from '../../../src/media/gif';
import { commentExtension, insertGifComment, parseGifLayout, readGifComments } from '../../../src/media/gif-blocks';
import { clipSettings, quadrantClip, quadrantColours } from './fixtures';

/** Decode every frame with omggif (an independent decoder) into full RGBA canvases. */
function decodeAll(bytes: Uint8Array) {
  const reader = new GifReader(bytes);
  const frames: Uint8ClampedArray[] = [];
  const canvas = new Uint8ClampedArray(reader.width * reader.height * 4);
  for (let i = 0; i < reader.numFrames(); i++) {
    reader.decodeAndBlitFrameRGBA(i, canvas);
    frames.push(canvas.slice());
  }
  return { reader, frames };
}

function pixel(frame: Uint8ClampedArray, width: number, x: number, y: number): number[] {
  const i = (y * width + x) * 4;
  return [frame[i]!, frame[i + 1]!, frame[i + 2]!, frame[i + 3]!];
}

describe('GIF export', () => {
  const video = quadrantClip(33, 21, 16); // odd sizes on purpose: GIF takes any size
  const settings = clipSettings(video, 8);

  for (const palette of ['global', 'per-frame'] as const) {
    it(`decodes with omggif: frame count, size, loop, delays, colours (${palette} palette)`, () => {
      const bytes = encodeGif(video, 8, settings, { palette });
      const { reader, frames } = decodeAll(bytes);
      expect(reader.numFrames()).toBe(16);
      expect([reader.width, reader.height]).toEqual([33, 21]);
      expect(reader.loopCount()).toBe(0); // 0 = forever
      const delays = frames.map((_, i) => reader.frameInfo(i).delay);
      expect(delays.reduce((a, b) => a + b, 0)).toBe(200); // 16 frames at 8 fps = 2 s
      expect(reader.frameInfo(1).has_local_palette).toBe(palette === 'per-frame');
      for (let f = 0; f < 16; f++) {
        const expected = quadrantColours(f);
        // centre of each quadrant; rgb565 quantisation moves a channel by at most 8
        const probes = [[4, 3], [28, 3], [4, 17], [28, 17]] as const;
        probes.forEach(([x, y], q) => {
          const got = pixel(frames[f]!, 33, x, y);
          expected[q]!.forEach((c, ch) => expect(Math.abs(got[ch]! - c)).toBeLessThanOrEqual(8));
          expect(got[3]).toBe(255);
        });
      }
    });
  }

  it('embeds the settings in a comment and reads them back', () => {
    const bytes = encodeGif(video, 8, settings);
    const comments = readGifComments(bytes);
    expect(comments).toHaveLength(1);
    expect(readGifSettings(bytes)).toEqual(settings);
  });

  it('puts the comment after the NETSCAPE loop block, before the first frame', () => {
    const layout = parseGifLayout(encodeGif(video, 8, settings));
    expect(layout.blocks.slice(0, 3).map((b) => b.label)).toEqual([0xff, 0xfe, 0xf9]);
    expect(layout.blocks.filter((b) => b.kind === 'image')).toHaveLength(16);
  });

  it('splits long comments into 255-byte sub-blocks that read back whole', () => {
    const text = 'x'.repeat(700);
    const ext = commentExtension(text);
    expect([ext[2], ext[258], ext[514], ext[ext.length - 1]]).toEqual([255, 255, 190, 0]);
    const plain = encodeGif(quadrantClip(4, 4, 1), 8, clipSettings(quadrantClip(4, 4, 1), 8));
    expect(readGifComments(insertGifComment(plain, text))).toContain(text);
  });

  it('says a GIF without settings was not made by Vidlet', () => {
    const layout = parseGifLayout(encodeGif(video, 8, settings));
    const bytes = encodeGif(video, 8, settings);
    const comment = layout.blocks.find((b) => b.label === 0xfe)!;
    const stripped = new Uint8Array([...bytes.subarray(0, comment.start), ...bytes.subarray(comment.end)]);
    expect(new GifReader(stripped).numFrames()).toBe(16); // still a valid GIF
    expect(() => readGifSettings(stripped)).toThrow(NotVidletError);
    expect(() => readGifSettings(stripped)).toThrow('this GIF was not made by Vidlet');
  });

  it('reports a truncated GIF', () => {
    const bytes = encodeGif(video, 8, settings);
    expect(() => parseGifLayout(bytes.subarray(0, bytes.length - 40))).toThrow(/truncated/);
  });

  it('spreads fractional centisecond delays so the clip keeps its speed', () => {
    expect(gifDelaysCs(4, 8)).toEqual([13, 12, 13, 12]);
    expect(gifDelaysCs(3, 10)).toEqual([10, 10, 10]);
    expect(gifDelaysCs(24, 24).reduce((a, b) => a + b, 0)).toBe(100);
    expect(() => gifDelaysCs(3, 0)).toThrow(/fps/);
  });
});
