/**
 * Chunk arithmetic of the IndexedDB cache, pure. A file of `bytes` is stored as chunks of
 * `chunkBytes` (the last one shorter). Chromium refuses one IndexedDB value of about 500 MiB
 * and more ("DataError: Failed to write blobs", measured in /work/shared/BROWSER.md), and a
 * chunk is also the unit a broken download resumes from, so chunks are 64 MiB: small enough
 * to lose little on a reload, large enough that a 2 GB file is 32 values.
 */

export const DEFAULT_CHUNK_BYTES = 64 << 20;

export function chunkCount(bytes: number, chunkBytes: number): number {
  return Math.ceil(bytes / chunkBytes);
}

/** Byte length chunk `index` must have. */
export function chunkLength(index: number, bytes: number, chunkBytes: number): number {
  return Math.max(0, Math.min(chunkBytes, bytes - index * chunkBytes));
}

/**
 * How many leading chunks a download may resume from: the stored count, cut at the first
 * chunk that is missing or has the wrong length (a half-written or damaged value).
 */
export function usablePrefix(storedLengths: readonly (number | undefined)[], bytes: number, chunkBytes: number): number {
  const n = Math.min(storedLengths.length, chunkCount(bytes, chunkBytes));
  for (let i = 0; i < n; i++) {
    if (storedLengths[i] !== chunkLength(i, bytes, chunkBytes)) return i;
  }
  return n;
}

/** Bytes held by the first `chunks` chunks. */
export function heldBytes(chunks: number, bytes: number, chunkBytes: number): number {
  return Math.min(bytes, chunks * chunkBytes);
}

/** Chunks that are full at `position` bytes and not yet stored (indices `stored` … ). */
export function completedChunks(position: number, stored: number, bytes: number, chunkBytes: number): number[] {
  const out: number[] = [];
  for (let i = stored; i < chunkCount(bytes, chunkBytes); i++) {
    const end = i * chunkBytes + chunkLength(i, bytes, chunkBytes);
    if (end > position) break;
    out.push(i);
  }
  return out;
}
