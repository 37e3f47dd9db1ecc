/**
 * Seeded randomness for the fuzz tests: mulberry32, small and fast, so a failing input is
 * reproduced by its seed alone (each test prints the seed of the input it failed on).
 */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function intBelow(random: Random, n: number): number {
  return Math.floor(random() * n);
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[intBelow(random, items.length)]!;
}
