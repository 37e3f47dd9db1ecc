import { describe, expect, it } from 'vitest';
import { exactLog, Gaussian, gaussianNoise, NoiseStream, Xoshiro128 } from '../../../src/engine/noise';

describe('noise', () => {
  it('same seed and stream give the same bits; other seeds or streams differ', () => {
    const a = gaussianNoise(42, NoiseStream.video, 1000);
    const b = gaussianNoise(42, NoiseStream.video, 1000);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(gaussianNoise(43, NoiseStream.video, 1000)).not.toEqual(a);
    expect(gaussianNoise(42, NoiseStream.motion, 1000)).not.toEqual(a);
    // Seeds above 2^32 are not folded onto small ones.
    expect(gaussianNoise(2 ** 32 + 42, NoiseStream.video, 16)).not.toEqual(a.subarray(0, 16));
  });

  it('only seeds 0 … 2^32 − 1 are distinct: others repeat one of them (why requests allow only those)', () => {
    // The seed is folded into one 32-bit word: 2^32 + 42 lands on 42 ^ 0x9e3779b1, −1 on 0xffffffff ^ 0x5bd1e995.
    const same = (x: number, y: number) => Buffer.from(gaussianNoise(x, NoiseStream.video, 64).buffer).equals(Buffer.from(gaussianNoise(y, NoiseStream.video, 64).buffer));
    expect(same(2 ** 32 + 42, (42 ^ 0x9e3779b1) >>> 0)).toBe(true);
    expect(same(-1, (0xffffffff ^ 0x5bd1e995) >>> 0)).toBe(true);
    expect(same(0, 2 ** 32 - 1)).toBe(false);
  });

  it('xoshiro128** matches the reference algorithm for a known state', () => {
    // Expected values from an independent Python transcription of the reference C code
    // (xoshiro128** 1.1, Blackman & Vigna) started from state [1, 2, 3, 4].
    const r = new Xoshiro128(0);
    (r as unknown as { s: Uint32Array }).s.set([1, 2, 3, 4]);
    expect([1, 2, 3, 4, 5].map(() => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883]);
  });

  it('uniforms lie in [0,1) and gaussians have mean 0, variance 1', () => {
    const r = new Xoshiro128(7);
    for (let i = 0; i < 10000; i++) {
      const u = r.nextFloat();
      expect(u >= 0 && u < 1).toBe(true);
    }
    const g = gaussianNoise(7, 1, 200_000);
    let mean = 0;
    for (const v of g) mean += v;
    mean /= g.length;
    let variance = 0;
    for (const v of g) variance += (v - mean) ** 2;
    variance /= g.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    // Tails: about 4.55% beyond 2σ.
    const tail = g.filter((v) => Math.abs(v) > 2).length / g.length;
    expect(Math.abs(tail - 0.0455)).toBeLessThan(0.003);
  });

  it('exactLog agrees with Math.log to within 2 ulp over many magnitudes', () => {
    const r = new Xoshiro128(1);
    for (let i = 0; i < 20000; i++) {
      const x = r.nextFloat() * 10 ** Math.floor(r.nextFloat() * 40 - 20) + 1e-300;
      const want = Math.log(x);
      expect(Math.abs(exactLog(x) - want)).toBeLessThanOrEqual(Math.abs(want) * 4.5e-16 + 5e-324);
    }
    expect(exactLog(1)).toBe(0);
    expect(exactLog(Math.E)).toBeCloseTo(1, 15);
    expect(exactLog(0)).toBe(-Infinity);
    expect(exactLog(-1)).toBeNaN();
    expect(exactLog(5e-324)).toBeCloseTo(Math.log(5e-324), 10);
  });

  it('Gaussian.fill is the same as repeated next()', () => {
    const a = new Gaussian(new Xoshiro128(5)).fill(new Float32Array(9));
    const g = new Gaussian(new Xoshiro128(5));
    expect(Array.from(a)).toEqual(Array.from({ length: 9 }, () => Math.fround(g.next())));
  });
});
