import { describe, expect, it } from 'vitest';
import { afterControllerChange, offlineProblemMessage } from '../../../src/app/data/app-shell';

describe('afterControllerChange', () => {
  it('reloads at once when this page asked for the update', () => {
    expect(afterControllerChange({ appliedHere: true, hadController: true, busy: false })).toBe('reload');
    expect(afterControllerChange({ appliedHere: true, hadController: true, busy: true })).toBe('reload');
  });

  it('does nothing when the first service worker starts controlling an uncontrolled page (same build)', () => {
    expect(afterControllerChange({ appliedHere: false, hadController: false, busy: false })).toBe('nothing');
    expect(afterControllerChange({ appliedHere: false, hadController: false, busy: true })).toBe('nothing');
  });

  it('follows an update applied in another tab: reloads when idle, offers the reload when busy', () => {
    expect(afterControllerChange({ appliedHere: false, hadController: true, busy: false })).toBe('reload');
    expect(afterControllerChange({ appliedHere: false, hadController: true, busy: true })).toBe('offer-reload');
  });
});

describe('offlineProblemMessage', () => {
  it('gives the storage the browser still grants the site when it knows it', () => {
    const message = offlineProblemMessage({ usage: 2_500_000, quota: 40_000_000 });
    expect(message).toMatch(/^Not saved for offline use/);
    expect(message).toContain('37.5 MB of storage left for this site, 2.50 MB used');
    expect(message).toContain('reload to try saving it again');
  });

  it('never reports negative space when usage is over the quota', () => {
    expect(offlineProblemMessage({ usage: 50_000_000, quota: 40_000_000 })).toContain('0 B of storage left');
  });

  it('still says what happened and what to do without an estimate', () => {
    for (const estimate of [undefined, {}, { usage: 1 }]) {
      expect(offlineProblemMessage(estimate)).toBe('Not saved for offline use: the browser did not store the app. It works while online; reload to try saving it again.');
    }
  });
});
