/**
 * The adapter part of the generation settings: the panel's blend choices → request fields,
 * enabling / strengths / curves, restore from history and files (old ones without adapters
 * mean none), exported metadata round trip, trigger-word hints, and what the schedule editor draws.
 */
import { describe, expect, it } from 'vitest';
import {
  blendChoiceOf,
  defaultCurve,
  describeAdapters,
  completesBlenderPair,
  dualRealProblem,
  evenGroups,
  missingTriggerWords,
  splitUnknownWords,
  restoredAdapters,
  validateAdapters,
  withAdapterCurve,
  withAdapterEnabled,
  withAdapterStrength,
  withBlendChoice,
  withoutAdapter,
} from '../../../src/app/data/adapter-settings';
import { FALLBACK_SETTINGS, mergeRestoredSettings, validateSettings } from '../../../src/app/data/generation-settings';
import { blenderSeries, curveSeries, pathData, weightRange } from '../../../src/app/data/schedule-plot';
import { evenBlockGroups } from '../../../src/engine/adapters/block-groups';
import type { BlenderInfo } from '../../../src/engine/types';
import { parseSettings, serializeSettings } from '../../../src/media/settings';
import { clipSettings } from '../media/fixtures';

const groups = [[0, 1], [2, 3], [4, 5]];
const base = { ...FALLBACK_SETTINGS, prompt: 'pip moves in a figure-eight' };

describe('adapter settings', () => {
  it('enabling, strengths and the blend choices map onto the request fields', () => {
    let s = { ...base, ...withAdapterEnabled(base, 'pip', true, 0.8, groups) };
    expect(s.adapters).toEqual([{ name: 'pip', strength: 0.8 }]);
    expect(blendChoiceOf(s)).toBe('constant');
    s = { ...s, ...withAdapterStrength(s, 'pip', 1.2) };
    s = { ...s, ...withAdapterEnabled(s, 'figure-eight', true, 1, groups) };
    expect(s.adapters).toEqual([{ name: 'pip', strength: 1.2 }, { name: 'figure-eight', strength: 1 }]);

    const curve = { ...s, ...withBlendChoice(s, 'curve', groups) };
    expect(curve.blend).toBe('constant');
    expect(curve.adapters.every((a) => a.schedule && a.schedule.multipliers!.length === 3)).toBe(true);
    expect(blendChoiceOf(curve)).toBe('curve');
    // A newly enabled adapter in curve mode gets its own curve too.
    const third = { ...curve, ...withAdapterEnabled(curve, 'sparkle', true, 1, groups) };
    expect(third.adapters[2]!.schedule).toEqual(defaultCurve(groups));
    const edited = withAdapterCurve(curve, 'pip', { axis: 't', points: [[0, 0], [1, 2]] });
    expect(edited.adapters[0]!.schedule).toEqual({ axis: 't', points: [[0, 0], [1, 2]] });
    expect(edited.adapters[1]!.schedule).toEqual(defaultCurve(groups));

    const dual = { ...curve, ...withBlendChoice(curve, 'dualreal', groups) };
    expect(dual).toMatchObject({ blend: 'dualreal', adapters: [{ name: 'pip', strength: 1.2 }, { name: 'figure-eight', strength: 1 }] });
    expect(dual.adapters.some((a) => 'schedule' in a)).toBe(false);
    expect(blendChoiceOf(dual)).toBe('dualreal');
    expect(withoutAdapter(dual, 'pip').adapters).toEqual([{ name: 'figure-eight', strength: 1 }]);
    expect(withAdapterEnabled(dual, 'pip', false, 1, groups).adapters).toEqual([{ name: 'figure-eight', strength: 1 }]);
    expect(describeAdapters(dual)).toBe('pip 1.2, figure-eight 1 · DualReal');
    expect(describeAdapters(edited)).toBe('pip 1.2 (curve), figure-eight 1 (curve)');
    expect(describeAdapters(base)).toBe('none');
  });

  it('the page splits blocks into groups as the engine does', () => {
    for (const [depth, count] of [[6, 3], [7, 3], [2, 3], [1, 1], [12, 4]] as const) {
      expect(evenGroups(depth, count)).toEqual(evenBlockGroups(depth, Math.min(count, depth)));
    }
  });

  it('DualReal is offered only with a table and both of its adapters enabled', () => {
    const blender = { identity: 'pip', motion: 'figure-eight', c: 2, groups, timesteps: [0, 1], alpha: [[1, 1, 1], [0.5, 0.5, 0.5]] };
    expect(dualRealProblem(undefined, base)).toMatch(/ships no StageBlender/);
    expect(dualRealProblem(undefined, base, 'The table x could not be read')).toBe('The table x could not be read');
    const one = { ...base, adapters: [{ name: 'pip', strength: 1 }] };
    expect(dualRealProblem(blender, one)).toMatch(/enable "figure-eight"/);
    expect(dualRealProblem(blender, { ...one, adapters: [...one.adapters, { name: 'figure-eight' }] })).toBeUndefined();
  });

  it('enabling the second adapter of the table\'s pair under constant blending switches to DualReal, never over a curve', () => {
    const blender = { identity: 'pip', motion: 'figure-eight', c: 2, groups, timesteps: [0, 1], alpha: [[1, 1, 1], [0.5, 0.5, 0.5]] };
    const one = { ...base, adapters: [{ name: 'pip' }], blend: 'constant' as const };
    const both = { ...one, adapters: [{ name: 'pip' }, { name: 'figure-eight' }] };
    expect(completesBlenderPair(blender, one, both)).toBe(true);
    expect(completesBlenderPair(undefined, one, both)).toBe(false);
    expect(completesBlenderPair(blender, both, both)).toBe(false); // already complete: a change of strength keeps the user's choice
    expect(completesBlenderPair(blender, base, { ...base, adapters: [{ name: 'pip' }, { name: 'other' }] })).toBe(false);
    const curved = { ...both, adapters: [{ name: 'pip', schedule: { axis: 't' as const, points: [[0, 1]] as [number, number][] } }, { name: 'figure-eight' }] };
    expect(completesBlenderPair(blender, one, curved)).toBe(false);
  });

  it('form validation names bad strengths, duplicate adapters and malformed curves', () => {
    expect(validateSettings(base)).toEqual([]);
    const bad = validateSettings({
      ...base,
      adapters: [
        { name: 'pip', strength: Number.NaN },
        { name: 'pip', strength: 1 },
        { name: 'wave', strength: 9 },
        { name: 'curvy', schedule: { points: [[0.5, 1], [0.5, 2]] } },
        { name: 'many', schedule: { points: Array.from({ length: 9 }, (_, i): [number, number] => [i / 8, 1]) } },
        { name: 'mult', schedule: { points: [[0, 1]], groups: [[0]], multipliers: [Number.NaN] } },
      ],
    });
    expect(bad.every((p) => p.field === 'adapters')).toBe(true);
    expect(bad.map((p) => p.message)).toEqual([
      expect.stringMatching(/"pip": strength/),
      expect.stringMatching(/"pip" is listed twice/),
      expect.stringMatching(/"wave": strength must be a number from -4 to 4/),
      expect.stringMatching(/"curvy": Strength curve: points\[1\]\[0\] is 0.5, not greater than the point before it \(0.5\); points must ascend/),
      expect.stringMatching(/"many": a curve needs 1 to 8 points/),
      expect.stringMatching(/"mult": every block-group multiplier/),
    ]);
  });

  it('restore keeps well-formed adapters and means "none" for records without them', () => {
    const withAdapters = { ...base, adapters: [{ name: 'pip', strength: 0.7, schedule: { points: [[0, 1], [1, 0]] as [number, number][] } }], blend: 'constant' as const };
    const restored = mergeRestoredSettings(withAdapters, { prompt: 'old clip', seed: 3 });
    expect(restored.adapters).toEqual([]);
    expect(restored.blend).toBe('constant');
    expect(mergeRestoredSettings(base, withAdapters).adapters).toEqual(withAdapters.adapters);
    expect(restoredAdapters({ adapters: [{ name: 'pip', strength: 'x' }, null, { strength: 1 }, { name: 'a', schedule: 5 }], blend: 'dualreal' })).toEqual({
      adapters: [{ name: 'pip' }, { name: 'a' }],
      blend: 'dualreal',
    });
    expect(restoredAdapters({ adapters: [], blend: 'dualreal' })).toEqual({ adapters: [], blend: 'constant' });
    expect(restoredAdapters({ adapters: 'pip', blend: 'sideways' })).toEqual({ adapters: [], blend: 'constant' });
  });

  it('exported metadata carries adapters and curves, and old files without them still read', () => {
    const video = { width: 4, height: 4, frames: 2, data: new Uint8ClampedArray(128) };
    const old = clipSettings(video, 8);
    expect(parseSettings(serializeSettings(old))).toEqual(old);
    expect('adapters' in parseSettings(JSON.stringify(old))).toBe(false);
    const adapters = [{ name: 'pip', strength: 0.8, schedule: { axis: 't' as const, points: [[0, 0.2], [1, 1]] as [number, number][], groups, multipliers: [1, 0.5, 0] } }, { name: 'figure-eight' }];
    const mine = clipSettings(video, 8, { adapters, blend: 'dualreal' });
    const back = parseSettings(serializeSettings(mine));
    expect(back.adapters).toEqual(adapters);
    expect(back.blend).toBe('dualreal');
    // Restoring the file's settings puts them into the form.
    expect(mergeRestoredSettings(base, back)).toMatchObject({ adapters, blend: 'dualreal' });
    // Malformed adapter records are refused with the field named, like every other field.
    expect(() => parseSettings(JSON.stringify({ ...old, adapters: [{ name: 'pip', strength: 'hi' }] }))).toThrow(/"adapters\[0\]\.strength"/);
    expect(() => parseSettings(JSON.stringify({ ...old, adapters: [{ name: 'pip', schedule: { points: [[0]] } }] }))).toThrow(/adapters\[0\]\.schedule\.points/);
    expect(() => parseSettings(JSON.stringify({ ...old, blend: 'sideways' }))).toThrow(/"blend"/);
  });

  it('trigger words: enabled adapters whose words are all missing from the prompt', () => {
    const infos = [
      { name: 'pip', kind: 'identity', triggerWords: ['pip'] },
      { name: 'figure-eight', kind: 'motion', triggerWords: ['figure-eight', 'figure eight'] },
      { name: 'plain', kind: 'style', triggerWords: [] },
    ];
    const on = [{ name: 'pip' }, { name: 'figure-eight' }, { name: 'plain' }];
    expect(missingTriggerWords('Pip, moving in a figure eight', on, infos)).toEqual([]);
    expect(missingTriggerWords('a red ball', on, infos)).toEqual([
      { name: 'pip', words: ['pip'] },
      { name: 'figure-eight', words: ['figure-eight', 'figure eight'] },
    ]);
    // Hyphens and spaces are the same; the words must be adjacent.
    expect(missingTriggerWords('pip in a figure-eight', on, [{ name: 'pip', kind: 'identity', triggerWords: ['pip'] }, { name: 'figure-eight', kind: 'motion', triggerWords: ['figure eight'] }])).toEqual([]);
    expect(missingTriggerWords('pip: eight of a figure', [{ name: 'figure-eight' }], infos)).toEqual([{ name: 'figure-eight', words: ['figure-eight', 'figure eight'] }]);
    // Whole words only: "pipe" is not "pip".
    expect(missingTriggerWords('a pipe in a figure-eight', [{ name: 'pip' }], infos)).toEqual([{ name: 'pip', words: ['pip'] }]);
  });

  it('an unknown word that is a trigger word of an enabled adapter is carried by it, not "unlearned"', () => {
    const infos = [
      { name: 'pip', kind: 'identity' as const, triggerWords: ['pip'] },
      { name: 'figure-eight', kind: 'motion' as const, triggerWords: ['Figure-Eight'] },
    ];
    expect(splitUnknownWords(['pip', 'zorble', 'eight'], [{ name: 'pip' }, { name: 'figure-eight', strength: 0.5 }], infos)).toEqual({
      unlearned: ['zorble'],
      carried: [{ word: 'pip', adapter: 'pip' }, { word: 'eight', adapter: 'figure-eight' }],
    });
    // Disabled (not chosen) or at strength 0: the word is unlearned again.
    expect(splitUnknownWords(['pip'], [], infos)).toEqual({ unlearned: ['pip'], carried: [] });
    expect(splitUnknownWords(['pip'], [{ name: 'pip', strength: 0 }], infos)).toEqual({ unlearned: ['pip'], carried: [] });
  });
});

describe('what the schedule editor draws', () => {
  it('a curve over t runs left to right from t = 1 to t = 0, one line per group with its multiplier', () => {
    const series = curveSeries({ axis: 't', points: [[0, 0], [0.25, 1], [1, 2]], groups, multipliers: [1, 0.5, 0] }, 6);
    expect(series.map((s) => s.label)).toEqual(['blocks 0–1 (shallow)', 'blocks 2–3 (middle)', 'blocks 4–5 (deep)']);
    expect(series[0]!.points).toEqual([[0, 2], [0.75, 1], [1, 0]]);
    expect(series[1]!.points).toEqual([[0, 1], [0.75, 0.5], [1, 0]]);
    expect(series[2]!.points.every(([, y]) => y === 0)).toBe(true);
    // Over progress, x is the progress itself; flat beyond the last point.
    expect(curveSeries({ axis: 'progress', points: [[0.5, 3]] }, 6)).toEqual([{ label: 'blocks 0–5', points: [[0, 3], [0.5, 3], [1, 3]] }]);
  });

  it('the DualReal table draws identity α and motion c − α over progress', () => {
    const blender: BlenderInfo = { identity: 'pip', motion: 'figure-eight', c: 2, groups: [[0, 1, 2], [3, 4, 5]], timesteps: [0, 0.5, 1], alpha: [[1.5, 1.8], [1, 1.2], [0.25, 0.5]] };
    const { identity, motion } = blenderSeries(blender);
    expect(identity[0]!.points).toEqual([[0, 0.25], [0.5, 1], [1, 1.5]]);
    const m = motion[1]!.points;
    expect(m.map(([x]) => x)).toEqual([0, 0.5, 1]);
    [1.5, 0.8, 0.2].forEach((y, i) => expect(m[i]![1]).toBeCloseTo(y, 12));
    expect(weightRange([...identity, ...motion])[1]).toBeGreaterThanOrEqual(1.8);
    expect(pathData([[0, 0], [1, 2]], 100, 50, [0, 2])).toBe('M0.0,50.0 L100.0,0.0');
  });

  it('a curve the engine would refuse cannot be drawn either (same checks)', () => {
    expect(() => curveSeries({ points: [[0, 1]], groups: [[0, 9]], multipliers: [1] }, 6)).toThrow(/groups/);
  });
});
