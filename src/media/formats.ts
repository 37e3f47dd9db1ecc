/**
 * The export formats, their file names and MIME types, and how to tell them apart by their
 * first bytes (a dropped file's name and type are often wrong or missing).
 */
import { UnsupportedFormatError } from './errors';

export type ExportFormat = 'mp4' | 'webm' | 'gif' | 'zip';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['mp4', 'webm', 'gif', 'zip'];

export const MIME_TYPES: Record<ExportFormat, string> = {
  mp4: 'video/mp4',
  webm: 'video/webm',
  gif: 'image/gif',
  zip: 'application/zip',
};

/** The format named by a path's extension ('clip.MP4' → 'mp4'); throws on anything else. */
export function formatFromPath(path: string): ExportFormat {
  const match = /\.([A-Za-z0-9]+)$/.exec(path);
  const ext = match?.[1]?.toLowerCase();
  if (ext === 'mp4' || ext === 'm4v') return 'mp4';
  if (ext === 'webm' || ext === 'gif' || ext === 'zip') return ext;
  throw new UnsupportedFormatError(
    `Cannot tell the export format from "${path}": end the file name with .mp4, .webm, .gif or .zip.`,
  );
}

/**
 * The format of a file from its magic bytes, or null when it is none of ours.
 * mp4: an ISO-BMFF 'ftyp' box at offset 4; webm: the EBML header 1A 45 DF A3;
 * gif: "GIF87a"/"GIF89a"; zip: a local file header "PK\x03\x04" (or "PK\x05\x06", empty zip).
 */
export function sniffFormat(bytes: Uint8Array): ExportFormat | null {
  const at = (offset: number, ascii: string) =>
    bytes.length >= offset + ascii.length && [...ascii].every((c, i) => bytes[offset + i] === c.charCodeAt(0));
  if (at(4, 'ftyp')) return 'mp4';
  if (bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return 'webm';
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return 'gif';
  if (at(0, 'PK\x03\x04') || at(0, 'PK\x05\x06')) return 'zip';
  return null;
}
