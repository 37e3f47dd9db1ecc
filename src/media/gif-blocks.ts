/**
 * A walker over the block structure of a GIF (GIF89a spec, sections 17–27), enough to read
 * Comment Extensions and to insert one. gifenc writes frames but has no comment API, so the
 * settings comment is spliced into its byte stream here.
 */

const EXTENSION = 0x21;
const IMAGE = 0x2c;
const TRAILER = 0x3b;
const COMMENT_LABEL = 0xfe;
const APPLICATION_LABEL = 0xff;

export interface GifBlock {
  kind: 'extension' | 'image';
  /** Extension label (0xF9 graphic control, 0xFE comment, 0xFF application…); -1 for images. */
  label: number;
  start: number;
  end: number;
  /** Concatenated sub-block payloads (extensions only). */
  payload?: Uint8Array;
}

export interface GifLayout {
  width: number;
  height: number;
  /** Offset just after the header, logical screen descriptor and global colour table. */
  bodyStart: number;
  blocks: GifBlock[];
}

class GifFormatError extends Error {
  override name = 'GifFormatError';
}

/** Parse the block layout; throws if the stream is truncated or not a GIF. */
export function parseGifLayout(bytes: Uint8Array): GifLayout {
  const sig = String.fromCharCode(...bytes.subarray(0, 6));
  if (sig !== 'GIF87a' && sig !== 'GIF89a') throw new GifFormatError('This is not a GIF file (no GIF87a/GIF89a signature).');
  if (bytes.length < 13) throw new GifFormatError('This GIF is truncated (no logical screen descriptor).');
  const width = bytes[6]! | (bytes[7]! << 8);
  const height = bytes[8]! | (bytes[9]! << 8);
  const packed = bytes[10]!;
  let pos = 13;
  if (packed & 0x80) pos += 3 * (1 << ((packed & 7) + 1));
  const bodyStart = pos;
  const blocks: GifBlock[] = [];
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new GifFormatError(`This GIF is truncated at byte ${bytes.length}; the file may be damaged.`);
  };
  // Sub-blocks: a length byte, that many bytes, …, a zero length byte.
  const skipSubBlocks = (collect: number[] | null) => {
    for (;;) {
      need(1);
      const len = bytes[pos++]!;
      if (len === 0) return;
      need(len);
      if (collect) for (let i = 0; i < len; i++) collect.push(bytes[pos + i]!);
      pos += len;
    }
  };
  for (;;) {
    need(1);
    const start = pos;
    const introducer = bytes[pos++]!;
    if (introducer === TRAILER) break;
    if (introducer === EXTENSION) {
      need(1);
      const label = bytes[pos++]!;
      const payload: number[] = [];
      skipSubBlocks(payload);
      blocks.push({ kind: 'extension', label, start, end: pos, payload: Uint8Array.from(payload) });
    } else if (introducer === IMAGE) {
      need(10);
      const imagePacked = bytes[pos + 8]!;
      pos += 9;
      if (imagePacked & 0x80) pos += 3 * (1 << ((imagePacked & 7) + 1));
      need(1);
      pos += 1; // LZW minimum code size
      skipSubBlocks(null);
      blocks.push({ kind: 'image', label: -1, start, end: pos });
    } else {
      throw new GifFormatError(`Unexpected byte 0x${introducer.toString(16)} at offset ${start} of the GIF; the file may be damaged.`);
    }
  }
  return { width, height, bodyStart, blocks };
}

/** Texts of all Comment Extensions, in order (bytes read as Latin-1, as the spec's ASCII). */
export function readGifComments(bytes: Uint8Array): string[] {
  return parseGifLayout(bytes)
    .blocks.filter((b) => b.kind === 'extension' && b.label === COMMENT_LABEL)
    .map((b) => latin1(b.payload!));
}

/** A Comment Extension block holding `text` (must be 8-bit: one byte per char). */
export function commentExtension(text: string): Uint8Array {
  const data = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new RangeError('A GIF comment holds bytes: escape characters above U+00FF first.');
    data[i] = c;
  }
  const out: number[] = [EXTENSION, COMMENT_LABEL];
  for (let i = 0; i < data.length; i += 255) {
    const part = data.subarray(i, i + 255);
    out.push(part.length, ...part);
  }
  out.push(0);
  return Uint8Array.from(out);
}

/**
 * Insert a comment before the first frame, after any Application Extensions (the NETSCAPE2.0
 * loop block stays right after the colour table, where some decoders look for it).
 */
export function insertGifComment(bytes: Uint8Array, text: string): Uint8Array {
  const layout = parseGifLayout(bytes);
  let at = layout.bodyStart;
  for (const b of layout.blocks) {
    if (b.kind === 'extension' && b.label === APPLICATION_LABEL) at = b.end;
    else break;
  }
  const comment = commentExtension(text);
  const out = new Uint8Array(bytes.length + comment.length);
  out.set(bytes.subarray(0, at), 0);
  out.set(comment, at);
  out.set(bytes.subarray(at), at + comment.length);
  return out;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}
