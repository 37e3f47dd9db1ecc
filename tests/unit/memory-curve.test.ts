/**
 * The worker-memory browser test's curve rule (tests/browser/memory-curve.ts): flat, except for
 * at most one growth of onnxruntime-web's wasm heap, which emscripten bounds to a fifth of its size.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkMemoryCurve, heapGrowthStep, MiB } from '../browser/memory-curve';

/** Ten runs at `flat` MiB, with run `at` (1-based) and the runs after it at `after` MiB. */
function curve(flat: number, at?: number, after?: number): number[] {
  return Array.from({ length: 10 }, (_, i) => (at !== undefined && after !== undefined && i + 1 >= at ? after : flat) * MiB);
}

describe('heapGrowthStep', () => {
  it('is a fifth of the size, rounded up to a 64 KiB wasm page', () => {
    expect(heapGrowthStep(100 * MiB)).toBe(20 * MiB);
    const step = heapGrowthStep(147.97 * MiB);
    expect(step).toBeGreaterThanOrEqual(0.2 * 147.97 * MiB);
    expect(step).toBeLessThan(0.2 * 147.97 * MiB + 65536);
    expect((147.97 * MiB + step) % 65536).toBe(0);
  });

  it('is the rule the installed onnxruntime-web grows its heap by (emscripten_resize_heap)', () => {
    // The worker imports 'onnxruntime-web/webgpu', i.e. this bundle (package.json exports).
    const bundle = readFileSync('node_modules/onnxruntime-web/dist/ort.webgpu.bundle.min.mjs', 'utf8');
    // oldSize * (1 + .2 / cutDown), at most 96 MiB past the request, in whole 64 KiB pages.
    expect(bundle).toMatch(/\w+=\w+\*\(1\+\.2\/\w+\);\w+=Math\.min\(\w+,\w+\+100663296\)/);
    expect(bundle).toMatch(/65536\*Math\.ceil\(Math\.max\(\w+,\w+\)\/65536\)/);
  });
});

describe('checkMemoryCurve', () => {
  it('accepts the curve seen in CI: one heap growth 147.97 → 176.46 MiB at run 9, flat otherwise', () => {
    const v = checkMemoryCurve(curve(147.97, 9, 176.46), 3);
    expect(v.problems).toEqual([]);
    expect(v.jumps).toHaveLength(1);
    expect(v.jumps[0].run).toBe(9);
    expect(v.jumps[0].delta).toBeCloseTo(28.49 * MiB, -3);
    expect(v.jumps[0].delta).toBeLessThanOrEqual(v.jumps[0].maxStep);
    expect(v.deltas).toHaveLength(8);
  });

  it('accepts a flat curve (176.4 MiB, the heap already grown before run 3)', () => {
    const v = checkMemoryCurve(curve(176.4), 3);
    expect(v).toEqual({ deltas: Array(8).fill(0), jumps: [], drift: 0, problems: [] });
  });

  it('accepts small GC noise both ways', () => {
    const bytes = curve(176.4).map((b, i) => b + [0, 0, 0.3, -0.2, 0.4, 0.1, -0.3, 0.5, 0.2, 0.6][i] * MiB);
    expect(checkMemoryCurve(bytes, 3).problems).toEqual([]);
  });

  it('rejects a +40% jump: more than one heap growth', () => {
    const v = checkMemoryCurve(curve(147.97, 9, 147.97 * 1.4), 3);
    expect(v.jumps).toHaveLength(1);
    expect(v.problems).toHaveLength(1);
    expect(v.problems[0]).toMatch(/^run 9 added 59\.19 MiB, more than one heap growth from 147\.97 MiB/);
  });

  it('rejects a jump just past the growth step', () => {
    const before = 147.97 * MiB;
    const bytes = curve(147.97).map((b, i) => (i >= 5 ? before + heapGrowthStep(before) + 65536 : b));
    expect(checkMemoryCurve(bytes, 3).problems).toHaveLength(1);
    const ok = curve(147.97).map((b, i) => (i >= 5 ? before + heapGrowthStep(before) : b));
    expect(checkMemoryCurve(ok, 3).problems).toEqual([]);
  });

  it('rejects two jumps, each a heap growth', () => {
    const bytes = curve(100).map((b, i) => (i >= 7 ? 144 * MiB : i >= 4 ? 120 * MiB : b));
    const v = checkMemoryCurve(bytes, 3);
    expect(v.jumps.map((j) => j.run)).toEqual([5, 8]);
    expect(v.problems).toEqual(['2 jumps (runs 5, 8): the wasm heap grows at most once in steady state']);
  });

  it('rejects a leak of 1 MiB per run (a clip per run), below the jump threshold', () => {
    const bytes = curve(147.97).map((b, i) => b + i * MiB);
    const v = checkMemoryCurve(bytes, 3);
    expect(v.jumps).toEqual([]);
    expect(v.drift).toBeCloseTo(8 * MiB, -3);
    expect(v.problems).toEqual(['8.00 MiB added outside the jump (at most 2.00 MiB)']);
  });

  it('does not look at runs before firstRun (warm-up)', () => {
    const bytes = curve(176.4);
    bytes[0] = 80 * MiB;
    expect(checkMemoryCurve(bytes, 3).problems).toEqual([]);
    expect(checkMemoryCurve(bytes, 2).problems).toHaveLength(1);
  });
});
