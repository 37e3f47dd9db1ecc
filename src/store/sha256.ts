/**
 * SHA-256 for model files, in the browser and in Node 20 alike.
 * crypto.subtle is used when present. It is missing in insecure contexts (a page served over
 * plain http from a LAN address), and there @noble/hashes (audited, pure JS, incremental) takes
 * over, so verification never silently switches off.
 */
import { sha256 } from '@noble/hashes/sha2';
import { IntegrityError, SizeMismatchError } from './errors';

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i].toString(16).padStart(2, '0');
  return s;
}

/** Hex sha256 of `data` (or of the concatenation of `parts`, in order). */
export async function sha256Hex(data: Uint8Array | readonly Uint8Array[]): Promise<string> {
  const parts = data instanceof Uint8Array ? [data] : data;
  const subtle = globalThis.crypto?.subtle;
  // subtle.digest needs one buffer, and refuses views of SharedArrayBuffer.
  if (subtle && parts.length === 1 && !(parts[0].buffer instanceof sharedArrayBufferCtor())) {
    return toHex(new Uint8Array(await subtle.digest('SHA-256', parts[0] as Uint8Array<ArrayBuffer>)));
  }
  if (subtle && parts.length > 1) {
    const total = parts.reduce((n, p) => n + p.length, 0);
    // Hashing many parts with subtle needs one copy; fine below a few hundred MiB, else go incremental.
    if (total <= 512 << 20) {
      const joined = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        joined.set(p, o);
        o += p.length;
      }
      return toHex(new Uint8Array(await subtle.digest('SHA-256', joined)));
    }
  }
  const h = sha256.create();
  for (const p of parts) h.update(p);
  return toHex(h.digest());
}

/** Throws SizeMismatchError / IntegrityError naming the file unless `data` is exactly the listed file. */
export async function verifyFile(
  file: { path: string; bytes: number; sha256: string },
  data: Uint8Array | readonly Uint8Array[],
  source: string,
): Promise<void> {
  const parts = data instanceof Uint8Array ? [data] : data;
  const size = parts.reduce((n, p) => n + p.length, 0);
  if (size !== file.bytes) throw new SizeMismatchError(file.path, file.bytes, size, source);
  const actual = await sha256Hex(parts);
  const expected = file.sha256.toLowerCase();
  if (actual !== expected) throw new IntegrityError(file.path, expected, actual, source);
}

function sharedArrayBufferCtor(): new (...a: never[]) => unknown {
  // SharedArrayBuffer is undefined in pages without cross-origin isolation.
  return (globalThis as { SharedArrayBuffer?: new (...a: never[]) => unknown }).SharedArrayBuffer ?? class Never {};
}
