/**
 * A dropped file → the settings that made it. The format comes from the magic bytes (names
 * and MIME types of dropped files are unreliable), then each format's own reader finds the
 * embedded record and settings.ts checks it.
 */
import { NotVidletError, UnsupportedFormatError } from './errors';
import { type ExportFormat, sniffFormat } from './formats';
import { readGifSettings } from './gif';
import type { ClipSettings } from './settings';
import { readVideoSettings } from './video-container';
import { readZipSettings } from './zip';

export interface RestoredSettings {
  format: ExportFormat;
  settings: ClipSettings;
}

/** Bigger than any clip Vidlet writes by far; refuses to read a dropped film into memory. */
const MAX_BYTES = 512 * 1024 * 1024;

export async function restoreSettings(file: Blob | Uint8Array | ArrayBuffer): Promise<RestoredSettings> {
  const size = file instanceof Blob ? file.size : file.byteLength;
  if (size > MAX_BYTES) {
    throw new UnsupportedFormatError(`This file is ${Math.round(size / 2 ** 20)} MiB; Vidlet exports are far smaller, so it was not made by Vidlet.`);
  }
  const bytes =
    file instanceof Uint8Array ? file : new Uint8Array(file instanceof Blob ? await file.arrayBuffer() : file);
  const format = sniffFormat(bytes);
  const name = typeof File !== 'undefined' && file instanceof File ? `"${file.name}"` : 'This file';
  if (format === null) {
    throw new UnsupportedFormatError(`${name} is not an MP4, WebM, GIF or zip, so it cannot hold Vidlet settings.`);
  }
  try {
    switch (format) {
      case 'gif':
        return { format, settings: readGifSettings(bytes) };
      case 'zip':
        return { format, settings: readZipSettings(bytes) };
      case 'mp4':
      case 'webm':
        return { format, settings: await readVideoSettings(bytes, format) };
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'GifFormatError') {
      throw new NotVidletError(`this GIF could not be read (${e.message})`);
    }
    throw e;
  }
}
