/**
 * A zip of PNG frames (frame-0001.png …) plus settings.json, with fflate. PNGs are stored
 * uncompressed in the zip (level 0): they are deflated already and a second pass only costs time.
 */
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import type { FramesRGBA } from '../engine/types';
import { NotVidletError } from './errors';
import { assertFrames } from './frames';
import { encodeFramePng } from './png';
import { type ClipSettings, parseSettings, serializeSettings } from './settings';

export const SETTINGS_FILE = 'settings.json';

/** 'frame-0001.png' for index 0; four digits (wider when a clip has ≥ 10 000 frames). */
export function frameFileName(index: number, frames: number): string {
  return `frame-${String(index + 1).padStart(Math.max(4, String(frames).length), '0')}.png`;
}

export function encodeZip(video: FramesRGBA, settings: ClipSettings): Uint8Array {
  assertFrames(video);
  const files: Zippable = { [SETTINGS_FILE]: [strToU8(JSON.stringify(parseSettings(settings), null, 2) + '\n'), { level: 6 }] };
  for (let i = 0; i < video.frames; i++) files[frameFileName(i, video.frames)] = [encodeFramePng(video, i), { level: 0 }];
  // A fixed mtime keeps the archive reproducible: same clip, same settings → same bytes.
  return zipSync(files, { mtime: new Date(settings.createdAt) });
}

/** Settings from a Vidlet zip; only settings.json is inflated, not the frames. */
export function readZipSettings(bytes: Uint8Array): ClipSettings {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, { filter: (f) => f.name === SETTINGS_FILE || f.name.endsWith('/' + SETTINGS_FILE) });
  } catch (e) {
    throw new NotVidletError(`This zip could not be read (${(e as Error).message}); the file may be damaged.`);
  }
  const name = Object.keys(entries).sort((a, b) => a.length - b.length)[0];
  if (name === undefined) throw new NotVidletError(`this zip was not made by Vidlet: it has no ${SETTINGS_FILE}.`);
  return parseSettings(strFromU8(entries[name]!));
}
