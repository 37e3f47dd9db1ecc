/**
 * A thumbnail of a clip as a data URL, for the history/gallery. PNG is pure JS and works
 * everywhere; JPEG needs OffscreenCanvas (browser or worker) and is smaller for big frames.
 */
import type { FramesRGBA } from '../engine/types';
import { frameBytes, pickFrame } from './frames';
import { encodeFramePng, toBase64 } from './png';

export interface ThumbnailOptions {
  which?: 'first' | 'middle';
  type?: 'image/png' | 'image/jpeg';
  /** JPEG quality 0..1. */
  quality?: number;
}

export async function thumbnailDataUrl(video: FramesRGBA, options: ThumbnailOptions = {}): Promise<string> {
  const index = pickFrame(video, options.which ?? 'middle');
  const type = options.type ?? 'image/png';
  if (type === 'image/png') return `data:image/png;base64,${toBase64(encodeFramePng(video, index))}`;
  if (typeof OffscreenCanvas === 'undefined') {
    throw new Error('JPEG thumbnails need OffscreenCanvas (a browser or worker); ask for image/png in Node.');
  }
  const canvas = new OffscreenCanvas(video.width, video.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('Could not get a 2D context to draw the thumbnail.');
  ctx.putImageData(new ImageData(new Uint8ClampedArray(frameBytes(video, index)), video.width, video.height), 0, 0);
  const blob = await canvas.convertToBlob({ type, quality: options.quality ?? 0.85 });
  return `data:${type};base64,${toBase64(new Uint8Array(await blob.arrayBuffer()))}`;
}
