import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs, bytesPerSecond, parseContentRange, pushSample, secondsLeft, throughput, type Sample,
} from '../../../src/store/progress';

describe('sliding-window throughput', () => {
  it('measures speed over the window, not since the start', () => {
    let w: Sample[] = [];
    // 1 MB/s for 10 s, then 4 MB/s for 5 s
    for (let t = 0; t <= 10_000; t += 1000) w = pushSample(w, { timeMs: t, loadedBytes: t * 1000 }, 5000);
    expect(bytesPerSecond(w)).toBeCloseTo(1_000_000, 6);
    for (let t = 11_000; t <= 15_000; t += 1000) w = pushSample(w, { timeMs: t, loadedBytes: 10_000_000 + (t - 10_000) * 4000 }, 5000);
    expect(w[0].timeMs).toBe(10_000); // only the last 5 s remain
    expect(bytesPerSecond(w)).toBeCloseTo(4_000_000, 6);
  });

  it('keeps one sample at or before the window start', () => {
    const w = pushSample([{ timeMs: 0, loadedBytes: 0 }, { timeMs: 2000, loadedBytes: 10 }], { timeMs: 9000, loadedBytes: 80 }, 5000);
    expect(w.map((s) => s.timeMs)).toEqual([2000, 9000]);
  });

  it('reports zero speed and unknown time left before two samples', () => {
    expect(throughput([{ timeMs: 5, loadedBytes: 100 }], 1000)).toEqual({ bytesPerSecond: 0, secondsLeft: undefined });
  });

  it('computes seconds left from remaining bytes and rate', () => {
    expect(secondsLeft(250, 1250, 100)).toBe(10);
    expect(secondsLeft(1250, 1250, 0)).toBe(0);
    expect(secondsLeft(0, 1250, 0)).toBeUndefined();
    const t = throughput([{ timeMs: 0, loadedBytes: 0 }, { timeMs: 2000, loadedBytes: 500 }], 1500);
    expect(t).toEqual({ bytesPerSecond: 250, secondsLeft: 4 });
  });

  it('counts resumed bytes as held but not as speed', () => {
    // resumed at 64 MiB, then 1000 bytes in 1 s
    const t = throughput([{ timeMs: 0, loadedBytes: 64 << 20 }, { timeMs: 1000, loadedBytes: (64 << 20) + 1000 }], (64 << 20) + 3000);
    expect(t.bytesPerSecond).toBe(1000);
    expect(t.secondsLeft).toBe(2);
  });
});

describe('backoff', () => {
  it('doubles per attempt, caps, and jitters within [0.5, 1]', () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, 500, 8000, 1))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(backoffDelayMs(2, 500, 8000, 0)).toBe(1000);
  });
});

describe('parseContentRange', () => {
  it('parses start, end and total', () => {
    expect(parseContentRange('bytes 100-199/1000')).toEqual({ start: 100, end: 199, total: 1000 });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9, total: undefined });
    expect(parseContentRange('items 0-9/10')).toBeUndefined();
    expect(parseContentRange(null)).toBeUndefined();
  });
});
