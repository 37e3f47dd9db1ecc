/** SyncClock with a hand-driven now: play, pause, seek and looping give one time for all takes. */
import { describe, expect, it } from 'vitest';
import { SyncClock, frameAt } from '../../../src/app/data/sync-clock';

function clock(duration = 2) {
  let ms = 1000;
  const c = new SyncClock(duration, () => ms);
  return { c, advance: (s: number) => (ms += s * 1000) };
}

describe('SyncClock', () => {
  it('stands still until played, runs while playing, holds while paused', () => {
    const { c, advance } = clock();
    advance(0.5);
    expect(c.time()).toBe(0);
    c.play();
    advance(0.5);
    expect(c.time()).toBeCloseTo(0.5);
    c.pause();
    advance(1);
    expect(c.time()).toBeCloseTo(0.5);
    c.toggle();
    advance(0.25);
    expect(c.time()).toBeCloseTo(0.75);
  });

  it('loops over the clip and seeks (clamped) while playing or paused', () => {
    const { c, advance } = clock(2);
    c.play();
    advance(2.5);
    expect(c.time()).toBeCloseTo(0.5);
    c.seek(1.5);
    expect(c.time()).toBeCloseTo(1.5);
    advance(0.25);
    expect(c.time()).toBeCloseTo(1.75);
    c.pause();
    c.seek(-3);
    expect(c.time()).toBe(0);
    c.seek(9);
    expect(c.time()).toBe(0);
  });

  it('refuses a clip of no length', () => {
    expect(() => new SyncClock(0)).toThrow('more than 0 seconds');
  });

  it('frameAt maps a time to the same frame for every take', () => {
    expect(frameAt(0, 8, 16)).toBe(0);
    expect(frameAt(0.5, 8, 16)).toBe(4);
    expect(frameAt(1.999, 8, 16)).toBe(15);
    expect(frameAt(5, 8, 16)).toBe(15);
  });
});
