/**
 * The one export entry: a clip and its settings → the bytes of an MP4, WebM, GIF or PNG zip,
 * with the settings embedded so the file can be dropped back on Vidlet (restore.ts).
 *
 * Where each format is encoded:
 *   gif, zip  pure JS (gifenc, fast-png, fflate): browser, worker and Node.
 *   mp4/webm  browser/worker: WebCodecs VideoEncoder (codec picked with isConfigSupported);
 *             Node: wasm encoders from npm (h264-mp4-encoder for H.264, libav.js for VP9).
 *             Either way mediabunny writes the container and its metadata.
 */
import type { FramesRGBA } from '../engine/types';
import { CodecUnavailableError } from './errors';
import { type ExportFormat, MIME_TYPES } from './formats';
import { assertFrames, padToEven } from './frames';
import { encodeGif, type GifOptions } from './gif';
import { type ClipSettings, parseSettings } from './settings';
import { type EncodedVideo, muxVideo, type VideoContainer } from './video-container';
import { encodeWebCodecs, hasWebCodecsEncoder } from './video-webcodecs';
import { encodeZip } from './zip';

export { formatFromPath, type ExportFormat } from './formats';

export interface ExportOptions {
  gif?: GifOptions;
}

export interface ExportedClip {
  /** Backed by a plain ArrayBuffer, so `new Blob([bytes])` type-checks and no copy is needed. */
  bytes: Uint8Array<ArrayBuffer>;
  format: ExportFormat;
  mimeType: string;
  /** e.g. 'avc', 'vp9' for video; 'gif'/'png' otherwise. Shown to the user ("MP4 (H.264)"). */
  codec: string;
  /** What did the encoding: 'webcodecs', 'h264-mp4-encoder', 'libav.js', 'gifenc', 'fast-png'. */
  encoder: string;
  /** Video size actually encoded (odd sizes are padded to even for MP4/WebM). */
  width: number;
  height: number;
}

/** encodeClip with the details of what was written. */
export async function exportClip(
  video: FramesRGBA,
  fps: number,
  settings: ClipSettings,
  format: ExportFormat,
  options: ExportOptions = {},
): Promise<ExportedClip> {
  assertFrames(video);
  const checked = parseSettings(settings);
  checkSettingsMatch(video, fps, checked);
  const clip = await exportBytes(video, fps, checked, format, options);
  return { ...clip, bytes: plainBuffer(clip.bytes) };
}

async function exportBytes(
  video: FramesRGBA,
  fps: number,
  checked: ClipSettings,
  format: ExportFormat,
  options: ExportOptions,
): Promise<Omit<ExportedClip, 'bytes'> & { bytes: Uint8Array }> {
  const base = { format, mimeType: MIME_TYPES[format], width: video.width, height: video.height };
  switch (format) {
    case 'gif':
      return { ...base, bytes: encodeGif(video, fps, checked, options.gif), codec: 'gif', encoder: 'gifenc' };
    case 'zip':
      return { ...base, bytes: encodeZip(video, checked), codec: 'png', encoder: 'fast-png' };
    case 'mp4':
    case 'webm': {
      const even = padToEven(video);
      const { encoded, encoder } = await encodeVideo(even, fps, format);
      const bytes = await muxVideo(format, encoded, fps, checked);
      return { ...base, bytes, codec: encoded.codec, encoder, width: even.width, height: even.height };
    }
    default:
      throw new RangeError(`Unknown export format ${JSON.stringify(format)}: use mp4, webm, gif or zip.`);
  }
}

/** The bytes of the clip in `format`, settings embedded. */
export async function encodeClip(
  video: FramesRGBA,
  fps: number,
  settings: ClipSettings,
  format: ExportFormat,
): Promise<Uint8Array<ArrayBuffer>> {
  return (await exportClip(video, fps, settings, format)).bytes;
}

async function encodeVideo(
  video: FramesRGBA,
  fps: number,
  container: VideoContainer,
): Promise<{ encoded: EncodedVideo; encoder: string }> {
  if (hasWebCodecsEncoder()) return { encoded: await encodeWebCodecs(video, fps, container), encoder: 'webcodecs' };
  if (!isNode()) {
    throw new CodecUnavailableError(
      `This browser has no WebCodecs VideoEncoder, so ${container.toUpperCase()} cannot be written here. ` +
        'Export as GIF or a PNG zip, or use a recent Chromium, Edge or Safari.',
    );
  }
  // Hidden from the bundler: the browser build must not pull in the Node wasm encoders.
  const path = './video-node.js';
  const node = (await import(/* @vite-ignore */ path)) as typeof import('./video-node');
  try {
    if (container === 'mp4') return { encoded: await node.encodeAvcNode(video, fps), encoder: 'h264-mp4-encoder' };
    return { encoded: await node.encodeVpxNode(video, fps, 'vp9'), encoder: 'libav.js' };
  } catch (e) {
    if (e instanceof CodecUnavailableError) throw e;
    const pkg = container === 'mp4' ? 'h264-mp4-encoder' : '@libav.js/variant-webm-vp9';
    throw new CodecUnavailableError(
      `${container.toUpperCase()} export in Node failed in ${pkg} (${(e as Error).message}). ` +
        `GIF and zip do not need it; for ${container.toUpperCase()} run \`npm install\` and check that ${pkg} is there.`,
    );
  }
}

function plainBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** The settings describe the clip; a mismatch means the caller mixed up two generations. */
function checkSettingsMatch(video: FramesRGBA, fps: number, s: ClipSettings): void {
  const pairs: [string, number, number][] = [
    ['width', video.width, s.width],
    ['height', video.height, s.height],
    ['frames', video.frames, s.frames],
    ['fps', fps, s.fps],
  ];
  for (const [name, clip, set] of pairs) {
    if (clip !== set) {
      throw new RangeError(`The clip's ${name} is ${clip} but its settings say ${set}: pass the settings of this clip.`);
    }
  }
}
