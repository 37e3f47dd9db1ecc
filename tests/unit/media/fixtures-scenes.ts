import type { FramesRGBA } from '../../../src/engine/types';

/** A clip of flat-colour scenes, `framesEach` frames each: hard cuts at every scene start. */
export function blocksClip(colours: [number, number, number][], framesEach: number, width: number, height: number): FramesRGBA {
  const frames = colours.length * framesEach;
  const data = new Uint8ClampedArray(frames * width * height * 4);
  for (let f = 0; f < frames; f++) {
    const [r, g, b] = colours[Math.floor(f / framesEach)]!;
    for (let p = 0; p < width * height; p++) data.set([r, g, b, 255], (f * width * height + p) * 4);
  }
  return { width, height, frames, data };
}
