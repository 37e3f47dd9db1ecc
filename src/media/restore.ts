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

/** GIF and zip are read whole; far bigger than any clip Vidlet writes. */
const MAX_WHOLE_FILE_BYTES = 512 * 1024 * 1024;

export async function restoreSettings(file: Blob | Uint8Array | ArrayBuffer): Promise<RestoredSettings> {
  const isBlob = typeof Blob !== 'undefined' && file instanceof Blob;
  const size = isBlob ? file.size : (file as Uint8Array | ArrayBuffer).byteLength;
  // Sniff from the first bytes only; a dropped Blob is not read whole unless it must be.
  const head = isBlob
    ? new Uint8Array(await file.slice(0, 16).arrayBuffer())
    : file instanceof Uint8Array ? file : new Uint8Array(file as ArrayBuffer);
  const format = sniffFormat(head);
  const name = typeof File !== 'undefined' && file instanceof File ? `"${file.name}"` : 'This file';
  if (format === null) {
    throw new UnsupportedFormatError(`${name} is not an MP4, WebM, GIF or zip, so it cannot hold Vidlet settings.`);
  }
  if ((format === 'gif' || format === 'zip') && size > MAX_WHOLE_FILE_BYTES) {
    throw new UnsupportedFormatError(
      `${name} is a ${Math.round(size / 2 ** 20)} MiB ${format.toUpperCase()}; Vidlet exports are far smaller, so it was not made by Vidlet.`,
    );
  }
  const whole = async () =>
    isBlob ? new Uint8Array(await (file as Blob).arrayBuffer()) : file instanceof Uint8Array ? file : new Uint8Array(file as ArrayBuffer);
  try {
    switch (format) {
      case 'gif':
        return { format, settings: readGifSettings(await whole()) };
      case 'zip':
        return { format, settings: readZipSettings(await whole()) };
      case 'mp4':
      case 'webm':
        return { format, settings: await readVideoSettings(isBlob ? (file as Blob) : await whole(), format) };
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'GifFormatError') {
      throw new NotVidletError(`this GIF could not be read (${e.message})`);
    }
    throw e;
  }
}
