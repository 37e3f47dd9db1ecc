/**
 * The manifest's `schedule.sigmas` (issue #11): a distilled model's explicit noise levels. The parser
 * takes a valid list as it is, fixes the step count to its length, and refuses a bad list, or a
 * shift / spacing / defaultSteps that would contradict it, naming the field and the bad entry.
 */
import { describe, expect, it } from 'vitest';
import { ManifestError } from '../../../src/store/errors';
import { parseManifest } from '../../../src/store/manifest';
import { errorOf, validManifest } from './manifest-fixture';

const LIST = [1, 0.9937, 0.9875, 0.9812, 0.975, 0.9094, 0.725, 0.4219];

function withSchedule(change: Record<string, unknown>, remove: string[] = []) {
  const m = validManifest();
  Object.assign(m.schedule, change);
  for (const k of remove) delete m.schedule[k];
  return m;
}

describe('schedule.sigmas', () => {
  it('a list without shift, spacing or defaultSteps: taken as it is, its length the step count', () => {
    const { schedule } = parseManifest(withSchedule({ sigmas: LIST, defaultGuidance: 1, defaultSampler: 'x0-renoise' }, ['shift', 'defaultSteps']));
    expect(schedule.sigmas).toEqual(LIST);
    expect(schedule.defaultSteps).toBe(8);
    expect(schedule).toMatchObject({ shift: 1, spacing: 'vidlet', defaultGuidance: 1, defaultSampler: 'x0-renoise' });
  });

  it('accepts the defaults written out (shift 1, spacing "vidlet", defaultSteps = the length), and one level', () => {
    expect(parseManifest(withSchedule({ sigmas: LIST, shift: 1, spacing: 'vidlet', defaultSteps: 8 })).schedule.sigmas).toEqual(LIST);
    expect(parseManifest(withSchedule({ sigmas: [1] }, ['defaultSteps'])).schedule.defaultSteps).toBe(1);
    // a list may start below pure noise (the engine still starts from pure noise, as diffusers does)
    expect(parseManifest(withSchedule({ sigmas: [0.9, 0.5] }, ['defaultSteps'])).schedule.sigmas).toEqual([0.9, 0.5]);
  });

  it('a package without a list is unchanged: shift required, any defaultSteps in 1–200, no sigmas', () => {
    const { schedule } = parseManifest(validManifest());
    expect(schedule.sigmas).toBeUndefined();
    expect(schedule.defaultSteps).toBe(20);
    expect(errorOf(withSchedule({}, ['shift'])).field).toBe('schedule.shift');
  });

  it('refuses a shift, spacing or defaultSteps that contradicts the list, naming the field', () => {
    const shift = errorOf(withSchedule({ sigmas: LIST, shift: 3 }, ['defaultSteps']));
    expect(shift.field).toBe('schedule.shift');
    expect(shift.message).toMatch(/^manifest\.schedule\.shift is 3, but schedule\.sigmas gives the 8 noise levels explicitly, and they are used as they are; leave shift out \(or 1\)/);
    const spacing = errorOf(withSchedule({ sigmas: LIST, spacing: 'diffusers' }, ['shift', 'defaultSteps']));
    expect(spacing.field).toBe('schedule.spacing');
    expect(spacing.message).toMatch(/is "diffusers", but schedule\.sigmas/);
    const steps = errorOf(withSchedule({ sigmas: LIST, defaultSteps: 20 }, ['shift']));
    expect(steps.field).toBe('schedule.defaultSteps');
    expect(steps.message).toMatch(/is 20, .*a run takes exactly 8; leave defaultSteps out or make it 8/);
  });

  const bad: [label: string, sigmas: unknown, field: string, message: RegExp][] = [
    ['not a list', '1,0.5', 'schedule.sigmas', /must be a list of noise levels/],
    ['empty', [], 'schedule.sigmas', /is empty, but must list at least one noise level/],
    ['over 200 levels', Array.from({ length: 201 }, (_, i) => 1 - i / 400), 'schedule.sigmas', /holds 201 noise levels, but at most 200/],
    ['a string entry', [1, '0.5'], 'schedule.sigmas[1]', /is "0.5", but must be a finite number/],
    ['a NaN entry (from code, not JSON)', [1, Number.NaN], 'schedule.sigmas[1]', /is NaN, but must be a finite number/],
    ['above 1', [1.2, 0.5], 'schedule.sigmas[0]', /is 1.2, but must be in \(0, 1\]/],
    ['a final 0', [1, 0.5, 0], 'schedule.sigmas[2]', /is 0, but must be in \(0, 1\]: above 0 \(every run ends at 0 by itself\)/],
    ['negative', [1, -0.5], 'schedule.sigmas[1]', /is -0.5, but must be in \(0, 1\]/],
    ['a repeat', [1, 0.5, 0.5], 'schedule.sigmas[2]', /is 0.5, but must be below the entry before it \(0.5\)/],
    ['ascending', [0.2, 0.6], 'schedule.sigmas[1]', /is 0.6, but must be below the entry before it \(0.2\)/],
    ['equal in float32', [0.5, 0.5 - 1e-12], 'schedule.sigmas[1]', /float32 timestep cannot tell from the entry before it/],
  ];
  for (const [label, sigmas, field, message] of bad) {
    it(`refuses ${label}, naming ${field}`, () => {
      const e = errorOf(withSchedule({ sigmas }, ['shift', 'defaultSteps']));
      expect(e.field).toBe(field);
      expect(e.message).toMatch(new RegExp(`^manifest\\.${field.replace(/[.[\]]/g, '\\$&')} `));
      expect(e.message).toMatch(message);
    });
  }
});

describe('schedule.spacing', () => {
  it('takes the three grids, and refuses another name listing them', () => {
    for (const spacing of ['vidlet', 'diffusers', 'diffusers-unipc']) {
      expect(parseManifest(withSchedule({ shift: 3, spacing })).schedule.spacing).toBe(spacing);
    }
    const e = errorOf(withSchedule({ shift: 3, spacing: 'unipc' }));
    expect(e.field).toBe('schedule.spacing');
    expect(e.message).toMatch(/diffusers-unipc/);
  });
});

describe('schedule.shiftTerminal', () => {
  it('is taken on a computed grid, absent when left out', () => {
    expect(parseManifest(withSchedule({ shift: 3.27, shiftTerminal: 0.1 })).schedule).toMatchObject({ shift: 3.27, spacing: 'vidlet', shiftTerminal: 0.1 });
    expect('shiftTerminal' in parseManifest(validManifest()).schedule).toBe(false);
  });

  const bad: [value: unknown, message: RegExp][] = [
    [0, /^manifest\.schedule\.shiftTerminal is 0, but must be in \(0, 1\): the noise level the grid's last step before 0 is stretched to: give the publisher scheduler's shift_terminal \(LTX-Video: 0\.1\)/],
    [1, /is 1, but must be in \(0, 1\)/],
    [1.5, /is 1.5, but must be in \(0, 1\)/],
    ['0.1', /is "0.1", but must be a number in \(0, 1\), like 0\.1/],
    [null, /is null, but must be a number in \(0, 1\)/],
  ];
  for (const [value, message] of bad) {
    it(`refuses ${JSON.stringify(value)}, naming the field`, () => {
      const e = errorOf(withSchedule({ shiftTerminal: value }));
      expect(e).toBeInstanceOf(ManifestError);
      expect(e.field).toBe('schedule.shiftTerminal');
      expect(e.message).toMatch(message);
    });
  }

  it('is refused beside sigmas (it would be ignored)', () => {
    const e = errorOf(withSchedule({ sigmas: LIST, shiftTerminal: 0.1 }, ['shift', 'defaultSteps']));
    expect(e.field).toBe('schedule.shiftTerminal');
    expect(e.message).toMatch(/is 0\.1, but schedule\.sigmas gives the 8 noise levels explicitly.*leave shiftTerminal out, or stretch the list's numbers/);
  });
});
