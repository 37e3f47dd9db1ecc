/**
 * Animated GIF export with gifenc, and the settings read back from its Comment Extension.
 */
import * as gifencModule from 'gifenc';
import type { FramesRGBA } from '../engine/types';
import { NotVidletError } from './errors';
import { assertFrames, frameBytes } from './frames';
import { insertGifComment, readGifComments } from './gif-blocks';
import { type ClipSettings, parseSettings, serializeSettings } from './settings';

export interface GifOptions {
  /**
   * 'global': one 256-colour table for the whole clip (no colour flicker between frames, the
   * default); 'per-frame': a local table per frame (truer colours, larger file, may shimmer).
   */
  palette?: 'global' | 'per-frame';
  /** 0 = loop forever (NETSCAPE2.0 block), n = play n+1 times... as gifenc's `repeat`. */
  repeat?: number;
}

// gifenc 1.0.3 ships CommonJS as "main"/"browser" and ESM as "module": Node's ESM loader sees
// only a default export, bundlers see named ones. Take whichever holds the functions.
type Gifenc = typeof import('gifenc');
const gifenc: Gifenc =
  'GIFEncoder' in gifencModule && typeof gifencModule.GIFEncoder === 'function'
    ? gifencModule
    : (gifencModule as unknown as { default: Gifenc }).default;
const { GIFEncoder, applyPalette, quantize } = gifenc;

/** Pixels fed to the global quantizer at most; beyond it frames are sampled (keeps it fast). */
const GLOBAL_SAMPLE_PIXELS = 1 << 20;

/**
 * Per-frame delays in centiseconds (GIF's unit) whose running sum tracks i·100/fps, so e.g.
 * 8 fps alternates 12 and 13 cs instead of drifting to 13 cs (7.7 fps).
 */
export function gifDelaysCs(frames: number, fps: number): number[] {
  if (!(fps > 0)) throw new RangeError(`fps must be above 0, got ${fps}.`);
  const out: number[] = [];
  for (let i = 0; i < frames; i++) out.push(Math.max(1, Math.round(((i + 1) * 100) / fps) - Math.round((i * 100) / fps)));
  return out;
}

export function encodeGif(video: FramesRGBA, fps: number, settings: ClipSettings, options: GifOptions = {}): Uint8Array {
  assertFrames(video);
  const mode = options.palette ?? 'global';
  const gif = GIFEncoder();
  const delays = gifDelaysCs(video.frames, fps);
  const globalPalette = mode === 'global' ? quantize(sampleFrames(video), 256) : undefined;
  for (let i = 0; i < video.frames; i++) {
    const rgba = ownBuffer(frameBytes(video, i));
    const palette = globalPalette ?? quantize(rgba, 256);
    const index = applyPalette(rgba, palette);
    gif.writeFrame(index, video.width, video.height, {
      // First frame: the palette becomes the global table. Later frames: only per-frame mode
      // passes a palette, which gifenc writes as a local table.
      palette: i === 0 || mode === 'per-frame' ? palette : undefined,
      delay: delays[i]! * 10, // gifenc takes ms and rounds to cs
      repeat: options.repeat ?? 0,
    });
  }
  gif.finish();
  return insertGifComment(gif.bytes(), serializeSettings(settings));
}

/** The embedded settings of a GIF, or a NotVidletError/SettingsError saying why not. */
export function readGifSettings(bytes: Uint8Array): ClipSettings {
  const comments = readGifComments(bytes);
  const ours = comments.find((c) => /^\s*\{/.test(c) && c.includes('"app"'));
  if (ours === undefined) {
    throw new NotVidletError('this GIF was not made by Vidlet: it has no Vidlet settings comment, so there is nothing to restore.');
  }
  return parseSettings(ours);
}

function sampleFrames(video: FramesRGBA): Uint8ClampedArray {
  const perFrame = video.width * video.height;
  const step = Math.max(1, Math.ceil((perFrame * video.frames) / GLOBAL_SAMPLE_PIXELS));
  if (step === 1) return ownBuffer(video.data);
  const picked: Uint8ClampedArray[] = [];
  for (let i = 0; i < video.frames; i += step) picked.push(frameBytes(video, i));
  const out = new Uint8ClampedArray(picked.length * perFrame * 4);
  picked.forEach((p, k) => out.set(p, k * perFrame * 4));
  return out;
}

/**
 * gifenc reads pixels through `new Uint32Array(rgba.buffer)`, ignoring byteOffset and length:
 * a frame that is a view into the clip's buffer would be read from the clip's start. Give it
 * an array that owns its whole buffer.
 */
function ownBuffer(rgba: Uint8ClampedArray): Uint8ClampedArray {
  return rgba.byteOffset === 0 && rgba.byteLength === rgba.buffer.byteLength ? rgba : rgba.slice();
}
