/**
 * Small pure helpers over FramesRGBA (frame-major RGBA: frames × height × width × 4).
 */
import type { FramesRGBA } from '../engine/types';

/** Check the buffer length matches the declared shape; every encoder relies on it. */
export function assertFrames(video: FramesRGBA): void {
  const { width, height, frames, data } = video;
  for (const [name, v] of [['width', width], ['height', height], ['frames', frames]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`Clip ${name} must be a positive integer, got ${v}.`);
  }
  const expected = width * height * frames * 4;
  if (data.length !== expected) {
    throw new RangeError(`Clip data holds ${data.length} bytes but ${frames} frames of ${width}×${height} RGBA need ${expected}.`);
  }
}

/** Bytes of one frame (a view, no copy). */
export function frameBytes(video: FramesRGBA, index: number): Uint8ClampedArray {
  if (!Number.isInteger(index) || index < 0 || index >= video.frames) {
    throw new RangeError(`Frame ${index} does not exist: the clip has ${video.frames} frames.`);
  }
  const size = video.width * video.height * 4;
  return video.data.subarray(index * size, (index + 1) * size);
}

/** Index of the first or middle frame (the middle one usually shows the motion best). */
export function pickFrame(video: FramesRGBA, which: 'first' | 'middle'): number {
  return which === 'first' ? 0 : Math.floor((video.frames - 1) / 2);
}

/** One ImageData per frame, for canvas drawing (browser / worker only: Node has no ImageData). */
export function framesToImageData(video: FramesRGBA): ImageData[] {
  const out: ImageData[] = [];
  for (let i = 0; i < video.frames; i++) {
    // Copy: ImageData needs its own ArrayBuffer-backed array, not a view into a shared buffer.
    out.push(new ImageData(new Uint8ClampedArray(frameBytes(video, i)), video.width, video.height));
  }
  return out;
}

/**
 * The clip grown to even width and height by repeating the last column/row. H.264 and
 * VP8/VP9 in 4:2:0 store chroma at half resolution, and encoders (WebCodecs, minih264)
 * refuse odd sizes; the true size stays in the embedded settings.
 */
export function padToEven(video: FramesRGBA): FramesRGBA {
  const width = video.width + (video.width % 2);
  const height = video.height + (video.height % 2);
  if (width === video.width && height === video.height) return video;
  const data = new Uint8ClampedArray(width * height * video.frames * 4);
  for (let f = 0; f < video.frames; f++) {
    for (let y = 0; y < height; y++) {
      const sy = Math.min(y, video.height - 1);
      const src = ((f * video.height + sy) * video.width) * 4;
      const dst = ((f * height + y) * width) * 4;
      data.set(video.data.subarray(src, src + video.width * 4), dst);
      if (width > video.width) data.copyWithin(dst + video.width * 4, dst + (video.width - 1) * 4, dst + video.width * 4);
    }
  }
  return { width, height, frames: video.frames, data };
}
