import { describe, expect, it } from 'vitest';
import { afterControllerChange } from '../../../src/app/data/app-shell';

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
