/**
 * PNG encoding with fast-png (pure JS on top of fflate): the same code runs in the browser, in
 * the worker and in Node, where there is no canvas.
 */
import { encode } from 'fast-png';
import type { FramesRGBA } from '../engine/types';
import { frameBytes } from './frames';

/** One frame of the clip as PNG bytes (8-bit RGBA). */
export function encodeFramePng(video: FramesRGBA, index: number): Uint8Array {
  return encodeRgbaPng(frameBytes(video, index), video.width, video.height);
}

export function encodeRgbaPng(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Uint8Array {
  return encode({ width, height, data: rgba, channels: 4, depth: 8 });
}

/** base64 of bytes, without Node's Buffer (works in browser, worker and Node ≥ 16). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  const chunk = 0x8000; // String.fromCharCode's argument count is limited
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}
