/**
 * A run's finished frames as the VAE decodes them (GenerateCallbacks.onFrames: a package with a
 * frame-by-frame decoder sends one group at a time): the groups joined into one growing clip that
 * the live preview plays, and the progress line under it. Pure: frames in, frames out.
 */
import type { FramesRGBA } from '../../engine/types';

export interface DecodedGroup {
  firstFrame: number;
  frames: FramesRGBA;
}

export interface DecodedSoFar {
  /** Frames 0 … frames.frames − 1, every one decoded: what the preview plays. */
  frames: FramesRGBA;
  /** The newest group: frames [first, end). */
  last: { first: number; end: number };
  /** Frames the clip should have: the caller's expectation, or more if more arrived. */
  total: number;
}

/**
 * `prev` with `group` appended. Groups must come in order, each starting where the last ended,
 * all of one size (the engine sends them so); anything else is a RangeError. The clip's buffer
 * is allocated once for `expectedTotal` frames (grown if more come) and the new group copied in,
 * so a long clip is not copied again for every group; each result is a view of its own length,
 * and a later group writes only past it, so an earlier result still shows what it showed.
 */
export function addDecodedGroup(prev: DecodedSoFar | undefined, group: DecodedGroup, expectedTotal: number): DecodedSoFar {
  const { firstFrame, frames: g } = group;
  const have = prev?.frames.frames ?? 0;
  if (firstFrame !== have) {
    throw new RangeError(`decoded frames arrived from frame ${firstFrame}, but ${have} were decoded before them: groups must come in order`);
  }
  if (prev && (g.width !== prev.frames.width || g.height !== prev.frames.height)) {
    throw new RangeError(`decoded frames of ${g.width}×${g.height} cannot join a clip of ${prev.frames.width}×${prev.frames.height}`);
  }
  const frameBytes = g.width * g.height * 4;
  if (g.data.length !== g.frames * frameBytes) {
    throw new RangeError(`a group of ${g.frames} frames of ${g.width}×${g.height} has ${g.data.length} bytes, expected ${g.frames * frameBytes}`);
  }
  const end = have + g.frames;
  let buffer = prev ? prev.frames.data.buffer : undefined;
  if (!buffer || buffer.byteLength < end * frameBytes) {
    // Grown by doubling when the expectation was short, so a wrong guess stays linear.
    const capacity = Math.max(end, Math.ceil(expectedTotal), have * 2);
    const grown = new Uint8ClampedArray(capacity * frameBytes);
    if (prev) grown.set(prev.frames.data);
    buffer = grown.buffer;
  }
  const data = new Uint8ClampedArray(buffer, 0, end * frameBytes);
  data.set(g.data, have * frameBytes);
  return {
    frames: { width: g.width, height: g.height, frames: end, data },
    last: { first: firstFrame, end },
    total: Math.max(expectedTotal, end),
  };
}

/** The whole clip, once the result has brought it: every frame decoded. */
export function finishedDecoding(video: FramesRGBA): DecodedSoFar {
  return { frames: video, last: { first: 0, end: video.frames }, total: video.frames };
}

/** "Decoding frames 6–9 of 17" (1-based, inclusive), for the live preview's status line. */
export function decodingLine(d: DecodedSoFar): string {
  const { first, end } = d.last;
  const range = end - first === 1 ? `frame ${end}` : `frames ${first + 1}–${end}`;
  return `Decoding ${range} of ${d.total}`;
}

/** The share of the clip decoded (0–1), for the progress bar. */
export function decodedFraction(d: DecodedSoFar): number {
  return d.total > 0 ? Math.min(1, d.frames.frames / d.total) : 1;
}
