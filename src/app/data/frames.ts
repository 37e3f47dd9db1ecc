/** Drawing FramesRGBA (frame-major RGBA, see engine/types.ts) onto canvases and into images. */
import type { FramesRGBA } from '../../engine/types';

export function frameBytes(frames: FramesRGBA): number {
  return frames.width * frames.height * 4;
}

export function frameImageData(frames: FramesRGBA, index: number): ImageData {
  const size = frameBytes(frames);
  const i = Math.min(Math.max(0, index), frames.frames - 1);
  // A copy: ImageData needs a non-shared buffer, and the view must not alias the next frame.
  const pixels = new Uint8ClampedArray(size);
  pixels.set(frames.data.subarray(i * size, (i + 1) * size));
  return new ImageData(pixels, frames.width, frames.height);
}

export function drawFrame(canvas: HTMLCanvasElement, frames: FramesRGBA, index: number): void {
  if (canvas.width !== frames.width || canvas.height !== frames.height) {
    canvas.width = frames.width;
    canvas.height = frames.height;
  }
  canvas.getContext('2d')?.putImageData(frameImageData(frames, index), 0, 0);
}

/** A PNG of one frame, for history thumbnails. */
export async function frameToPng(frames: FramesRGBA, index: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(frames.width, frames.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw on an OffscreenCanvas; thumbnails need it.');
  ctx.putImageData(frameImageData(frames, index), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}
