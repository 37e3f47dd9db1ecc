/**
 * SHA-256 for model files, in the browser and in Node 20 alike.
 * crypto.subtle is used when present. It is missing in insecure contexts (a page served over
 * plain http from a LAN address), and there an incremental pure-JS SHA-256 takes over, so
 * verification never silently switches off.
 */
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
  const h = new Sha256();
  for (const p of parts) h.update(p);
  return h.hex();
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

// FIPS 180-4 round constants: first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** Incremental SHA-256 (FIPS 180-4), used where crypto.subtle is unavailable or input comes in parts. */
export class Sha256 {
  private h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  private block = new Uint8Array(64);
  private blockLen = 0;
  private length = 0; // bytes; safe up to 2^53
  private w = new Uint32Array(64);

  update(data: Uint8Array): this {
    let i = 0;
    this.length += data.length;
    if (this.blockLen > 0) {
      const n = Math.min(64 - this.blockLen, data.length);
      this.block.set(data.subarray(0, n), this.blockLen);
      this.blockLen += n;
      i = n;
      if (this.blockLen === 64) {
        this.compress(this.block, 0);
        this.blockLen = 0;
      }
    }
    for (; i + 64 <= data.length; i += 64) this.compress(data, i);
    if (i < data.length) {
      this.block.set(data.subarray(i), 0);
      this.blockLen = data.length - i;
    }
    return this;
  }

  digest(): Uint8Array {
    const bits = this.length * 8;
    const pad = new Uint8Array(((this.blockLen < 56 ? 56 : 120) - this.blockLen) + 8);
    pad[0] = 0x80;
    const view = new DataView(pad.buffer);
    view.setUint32(pad.length - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(pad.length - 4, bits >>> 0);
    this.update(pad);
    const out = new Uint8Array(32);
    const ov = new DataView(out.buffer);
    for (let j = 0; j < 8; j++) ov.setUint32(j * 4, this.h[j]);
    return out;
  }

  hex(): string {
    return toHex(this.digest());
  }

  private compress(d: Uint8Array, o: number): void {
    const w = this.w;
    for (let t = 0; t < 16; t++) {
      const p = o + t * 4;
      w[t] = (d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3];
    }
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15];
      const b = w[t - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    const h = this.h;
    let a = h[0], b = h[1], c = h[2], e = h[4], f = h[5], g = h[6], hh = h[7], dd = h[3];
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[t] + w[t]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (dd + t1) | 0;
      dd = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += dd; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
}
