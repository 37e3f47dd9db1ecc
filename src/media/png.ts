/**
 * PNG encode/decode with fast-png (pure JS on top of fflate): the same code runs in the
 * browser, in the worker and in Node, where there is no canvas.
 */
import { decode, encode } from 'fast-png';
import type { FramesRGBA } from '../engine/types';
import { frameBytes } from './frames';

/** One frame of the clip as PNG bytes (8-bit RGBA). */
export function encodeFramePng(video: FramesRGBA, index: number): Uint8Array {
  return encodeRgbaPng(frameBytes(video, index), video.width, video.height);
}

export function encodeRgbaPng(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Uint8Array {
  return encode({ width, height, data: rgba, channels: 4, depth: 8 });
}

/** Decode a PNG to 8-bit RGBA (grey/RGB/palette inputs are expanded). */
export function decodePngRgba(bytes: Uint8Array): { width: number; height: number; data: Uint8ClampedArray } {
  const png = decode(bytes);
  if (png.depth !== 8) throw new RangeError(`Only 8-bit PNGs are supported here, this one has ${png.depth}-bit samples.`);
  const n = png.width * png.height;
  const out = new Uint8ClampedArray(n * 4);
  if (png.palette) {
    for (let i = 0; i < n; i++) {
      const c = png.palette[png.data[i]!]!;
      out.set([c[0]!, c[1]!, c[2]!, c[3] ?? 255], i * 4);
    }
    return { width: png.width, height: png.height, data: out };
  }
  const ch = png.channels;
  for (let i = 0; i < n; i++) {
    const s = i * ch;
    const grey = ch <= 2;
    out[i * 4] = png.data[s]!;
    out[i * 4 + 1] = png.data[grey ? s : s + 1]!;
    out[i * 4 + 2] = png.data[grey ? s : s + 2]!;
    out[i * 4 + 3] = ch === 2 ? png.data[s + 1]! : ch === 4 ? png.data[s + 3]! : 255;
  }
  return { width: png.width, height: png.height, data: out };
}

/** base64 of bytes, without Node's Buffer (works in browser, worker and Node ≥ 16). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  const chunk = 0x8000; // String.fromCharCode's argument count is limited
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}
