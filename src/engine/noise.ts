/**
 * Seeded noise that is bit-identical in every JavaScript engine (browser worker, Node).
 *
 * Uniforms: xoshiro128** (Blackman & Vigna) seeded through splitmix32 — 32-bit integer
 * arithmetic only (Math.imul, shifts), so every engine produces the same stream.
 * Gaussians: Marsaglia's polar method. It needs a logarithm; Math.log is only "implementation
 * approximated" by the spec (engines may differ in the last bit), so `exactLog` below uses
 * only + − × ÷ (correctly rounded by IEEE 754) and is therefore identical everywhere.
 */

/**
 * One independent stream per purpose, so adding e.g. motion noise never shifts video noise.
 * `decode`: the noise a vaeDecoder with the optional `decode_noise` input mixes into the latent
 * (src/package/components.ts optionalRoles), one draw of the latent's size per clip.
 */
export const NoiseStream = { video: 1, motion: 2, ancestral: 3, renoise: 4, decode: 5 } as const;

export class Xoshiro128 {
  private s = new Uint32Array(4);

  constructor(seed: number, stream = 0) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // The low and high 32-bit halves and the stream id are folded into ONE 32-bit word, so only
    // 2^32 seeds give distinct streams: 0 … 2^32 − 1, the seeds requests may hold
    // (src/package/request.ts). Larger or negative seeds each repeat one of those. Kept as it is
    // so every seed already used keeps its clip.
    const lo = seed >>> 0;
    const hi = Math.floor(Math.abs(seed) / 4294967296) >>> 0;
    let x = (lo ^ Math.imul(hi, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b) ^ (seed < 0 ? 0x5bd1e995 : 0)) >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1; // all-zero state is absorbing
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2] ^= s[0]!;
    s[3] ^= s[1]!;
    s[1] ^= s[2]!;
    s[0] ^= s[3]!;
    s[2] ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * 67108864 + b) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Standard normal samples (float64), polar method; deterministic for a given generator. */
export class Gaussian {
  private spare: number | null = null;
  constructor(private readonly rng: Xoshiro128) {}

  next(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    for (;;) {
      const u = 2 * this.rng.nextFloat() - 1;
      const v = 2 * this.rng.nextFloat() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * exactLog(s)) / s); // sqrt is correctly rounded by IEEE 754
      this.spare = v * f;
      return u * f;
    }
  }

  /** Fills `out` with float32 normals. */
  fill(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.next();
    return out;
  }
}

/** `count` float32 standard normals from (seed, stream): the same bits in every engine. */
export function gaussianNoise(seed: number, stream: number, count: number): Float32Array {
  return new Gaussian(new Xoshiro128(seed, stream)).fill(new Float32Array(count));
}

const LN2_HI = 6.93147180369123816490e-1; // fdlibm's split of ln 2, so k·ln2 adds exactly
const LN2_LO = 1.90821492927058770002e-10;
const SQRT2 = Math.SQRT2;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // index of the high word

/**
 * Natural log for x > 0 using only IEEE-exact operations: x = m·2^k with m in [√½, √2),
 * ln m = 2·atanh(r), r = (m−1)/(m+1), |r| < 0.172, series to r^31 (error < 1e-17 relative).
 */
export function exactLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return x === 0 ? -Infinity : x === Infinity ? Infinity : NaN;
  let k = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2^54: bring subnormals into the normal range
    k -= 54;
  }
  f64[0] = x;
  const hi = u32[HI]!;
  k += ((hi >>> 20) & 0x7ff) - 1023;
  u32[HI] = (hi & 0x000fffff) | 0x3ff00000; // mantissa in [1, 2)
  let m = f64[0]!;
  if (m > SQRT2) {
    m /= 2;
    k += 1;
  }
  const r = (m - 1) / (m + 1);
  const r2 = r * r;
  // Horner over odd powers: atanh(r) = r·(1 + r²/3 + r⁴/5 + …)
  let sum = 0;
  for (let n = 31; n >= 1; n -= 2) sum = sum * r2 + 1 / n;
  return k * LN2_HI + (2 * r * sum + k * LN2_LO);
}
