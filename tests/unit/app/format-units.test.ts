import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatSpeed } from '../../../src/app/data/format-units';

describe('format units', () => {
  it('bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(30_400_000)).toBe('30.4 MB');
    expect(formatBytes(1_500_000_000)).toBe('1.50 GB');
    expect(formatBytes(-1)).toBe('–');
  });
  it('speed and durations', () => {
    expect(formatSpeed(undefined)).toBe('–');
    expect(formatSpeed(2_000_000)).toBe('2.00 MB/s');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(NaN)).toBe('–');
  });
});
