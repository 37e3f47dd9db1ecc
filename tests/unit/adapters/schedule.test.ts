import { describe, expect, it } from 'vitest';
import { evenBlockGroups } from '../../../src/engine/adapters/block-groups';
import { ScheduleError } from '../../../src/engine/adapters/errors';
import { interpolate } from '../../../src/engine/adapters/piecewise-linear';
import {
  CONSTANT,
  curveSchedule,
  dualRealAssignments,
  loraScalesForStep,
  stepContexts,
  type SlotAssignment,
} from '../../../src/engine/adapters/schedule';
import { blenderAlpha, parseStageBlender } from '../../../src/engine/adapters/stage-blender';

const layout = { slots: 2, depth: 3 };
const model = { name: 'vidlet-test', depth: 3 };

// Dyadic numbers throughout, so every expected value below is exact in float32 and the tests
// can demand equality with what reaches the denoiser, not closeness.
const table = {
  format: 'vidlet-stage-blender',
  formatVersion: 1,
  baseModel: 'vidlet-test',
  identity: 'pip',
  motion: 'zigzag',
  c: 1,
  depth: 3,
  groups: [[0], [1, 2]],
  timesteps: [0, 0.5, 1],
  // rows: t = 0, 0.5, 1; columns: group 0 (shallow), group 1 (deep)
  alpha: [
    [1, 0.75],
    [0.5, 0.25],
    [0, 0],
  ],
};

const rows = (r: Float32Array) => [[...r.subarray(0, 3)], [...r.subarray(3, 6)]];

describe('interpolate', () => {
  it('is linear between knots and constant beyond them', () => {
    expect(interpolate([0, 0.5, 1], [0, 1, 0.5], 0.25)).toBe(0.5);
    expect(interpolate([0, 0.5, 1], [0, 1, 0.5], 0.75)).toBe(0.75);
    expect(interpolate([0, 0.5, 1], [0, 1, 0.5], 0.5)).toBe(1);
    expect(interpolate([0.25, 0.5], [2, 4], 0)).toBe(2);
    expect(interpolate([0.25, 0.5], [2, 4], 1)).toBe(4);
    expect(interpolate([0.3], [7], 0.9)).toBe(7);
  });
});

describe('block groups', () => {
  it('splits blocks into near-equal contiguous groups', () => {
    expect(evenBlockGroups(6, 3)).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(evenBlockGroups(7, 3)).toEqual([[0, 1, 2], [3, 4], [5, 6]]);
    expect(evenBlockGroups(3, 1)).toEqual([[0, 1, 2]]);
    expect(() => evenBlockGroups(3, 4)).toThrow(/cannot split 3 blocks into 4 groups/);
  });
});

describe('stepContexts', () => {
  it('gives progress 0 at the first step and 1 at the last', () => {
    expect(stepContexts([1, 0.75, 0.5])).toEqual([
      { t: 1, progress: 0 },
      { t: 0.75, progress: 0.5 },
      { t: 0.5, progress: 1 },
    ]);
    expect(stepContexts([0.5])).toEqual([{ t: 0.5, progress: 0 }]);
  });
});

describe('loraScalesForStep', () => {
  it('constant: the strength on every block of the slot, zero on empty slots', () => {
    const r = loraScalesForStep([{ slot: 1, strength: 0.75, schedule: CONSTANT }], layout, { t: 0.3, progress: 0.1 });
    expect(rows(r)).toEqual([
      [0, 0, 0],
      [0.75, 0.75, 0.75],
    ]);
  });

  it('curve over t with per-group multipliers', () => {
    const schedule = curveSchedule(
      { axis: 't', points: [[0, 0], [0.5, 1], [1, 0.5]], groups: [[0, 1], [2]], multipliers: [1, 2] },
      3,
    );
    const a: SlotAssignment[] = [{ slot: 0, strength: 0.5, schedule }];
    expect(rows(loraScalesForStep(a, layout, { t: 0.25, progress: 0 }))[0]).toEqual([0.25, 0.25, 0.5]);
    expect(rows(loraScalesForStep(a, layout, { t: 0.75, progress: 0 }))[0]).toEqual([0.375, 0.375, 0.75]);
    expect(rows(loraScalesForStep(a, layout, { t: 1, progress: 0 }))[0]).toEqual([0.25, 0.25, 0.5]);
  });

  it('curve over progress ignores t', () => {
    const schedule = curveSchedule({ axis: 'progress', points: [[0, 2], [1, 0]] }, 3);
    const a: SlotAssignment[] = [{ slot: 0, strength: 1, schedule }];
    expect(rows(loraScalesForStep(a, layout, { t: 0.9, progress: 0.25 }))[0]).toEqual([1.5, 1.5, 1.5]);
    expect(rows(loraScalesForStep(a, layout, { t: 0.1, progress: 0.25 }))[0]).toEqual([1.5, 1.5, 1.5]);
  });

  it('DualReal: identity gets α, motion c − α, interpolated per block group', () => {
    const blender = parseStageBlender(table, model);
    expect(blenderAlpha(blender, 0.75, 0)).toBe(0.25);
    expect(blenderAlpha(blender, 0.75, 2)).toBe(0.125);
    const a = dualRealAssignments(blender, { slot: 0, strength: 1 }, { slot: 1, strength: 1 });
    expect(rows(loraScalesForStep(a, layout, { t: 0.75, progress: 0 }))).toEqual([
      [0.25, 0.125, 0.125],
      [0.75, 0.875, 0.875],
    ]);
  });

  it('the rows of a whole run are exactly the scheduled values, step by step', () => {
    // 4 Euler steps of flow matching without shift call the denoiser at t = 1, 0.75, 0.5, 0.25.
    const blender = parseStageBlender({ ...table, c: 2 }, model);
    const a = dualRealAssignments(blender, { slot: 0, strength: 0.5 }, { slot: 1, strength: 1 });
    const run = stepContexts([1, 0.75, 0.5, 0.25]).map((ctx) => loraScalesForStep(a, layout, ctx));
    // identity = 0.5·α(t, group), motion = 1·(2 − α(t, group)); groups: block 0 | blocks 1, 2.
    const alphaByStep = [
      [0, 0],
      [0.25, 0.125],
      [0.5, 0.25],
      [0.75, 0.5],
    ];
    run.forEach((row, i) => {
      const [g0, g1] = alphaByStep[i]!;
      const expected = Float32Array.from([0.5 * g0!, 0.5 * g1!, 0.5 * g1!, 2 - g0!, 2 - g1!, 2 - g1!]);
      expect(row).toBeInstanceOf(Float32Array);
      expect(row).toEqual(expected);
    });
  });

  it('without strengths, identity + motion = c for every step and block', () => {
    const blender = parseStageBlender({ ...table, c: 1.5 }, model);
    const a = dualRealAssignments(blender, { slot: 0, strength: 1 }, { slot: 1, strength: 1 });
    for (const t of [0, 0.1, 0.33, 0.5, 0.9, 1]) {
      const r = loraScalesForStep(a, layout, { t, progress: 0 });
      for (let d = 0; d < 3; d++) expect(r[d]! + r[3 + d]!).toBeCloseTo(1.5, 6);
    }
  });

  it('rejects bad slots and strengths', () => {
    const ctx = { t: 0.5, progress: 0.5 };
    expect(() => loraScalesForStep([{ slot: 2, strength: 1, schedule: CONSTANT }], layout, ctx)).toThrow(/slot 2 does not exist: this model has 2 slot\(s\), 0…1/);
    expect(() =>
      loraScalesForStep(
        [
          { slot: 0, strength: 1, schedule: CONSTANT },
          { slot: 0, strength: 1, schedule: CONSTANT },
        ],
        layout,
        ctx,
      ),
    ).toThrow(/two adapters were given LoRA slot 0/);
    expect(() => loraScalesForStep([{ slot: 0, strength: NaN, schedule: CONSTANT }], layout, ctx)).toThrow(ScheduleError);
  });
});

describe('curveSchedule validation', () => {
  it.each([
    [{ points: [] }, /Strength curve: points needs at least one point/],
    [{ points: [[0.5, 1], [0.5, 2]] }, /points\[1\]\[0\] is 0.5, not greater than the point before it/],
    [{ points: [[1.5, 1]] }, /points\[0\]\[0\] is 1.5, not a number in \[0, 1\]/],
    [{ points: [[0, 'x']] }, /points\[0\]\[1\] is "x", not a finite weight/],
    [{ axis: 'step', points: [[0, 1]] }, /axis must be "t" or "progress"/],
    [{ points: [[0, 1]], groups: [[0, 1]], multipliers: [1] }, /groups leaves block\(s\) 2 in no group/],
    [{ points: [[0, 1]], groups: [[0, 1], [1, 2]], multipliers: [1, 1] }, /block 1 is in both groups\[0\] and groups\[1\]/],
    [{ points: [[0, 1]], groups: [[0, 3], [1, 2]], multipliers: [1, 1] }, /groups\[0\] holds 3, but this model's blocks are 0…2/],
    [{ points: [[0, 1]], groups: [[0], [1, 2]], multipliers: [1] }, /multipliers must hold one number per group \(2\)/],
  ])('rejects %j', (spec, pattern) => {
    expect(() => curveSchedule(spec as never, 3)).toThrow(pattern);
  });
});

describe('parseStageBlender validation', () => {
  it.each([
    [{ format: 'x' }, /format must be "vidlet-stage-blender"/],
    [{ baseModel: 'other' }, /baseModel is "other", but the loaded model is "vidlet-test"/],
    [{ depth: 6 }, /depth is 6, but the loaded model has 3 blocks/],
    [{ motion: '' }, /motion must name the adapter/],
    [{ c: null }, /c must be a finite number/],
    [{ timesteps: [0, 1, 0.5] }, /timesteps\[2\] is 0.5, not greater than the point before it/],
    [{ alpha: [[1, 0.75], [0.5, 0.25]] }, /alpha must have one row per timestep \(3\)/],
    [{ alpha: [[1, 0.75], [0.5], [0, 0]] }, /alpha\[1\] must have one value per group \(2\)/],
    [{ alpha: [[1, 0.75], [0.5, 'x'], [0, 0]] }, /alpha\[1\]\[1\] is "x", not a finite number/],
    [{ groups: [[0, 1]] }, /groups leaves block\(s\) 2 in no group/],
    [{ timesteps: [], alpha: [] }, /StageBlender table: timesteps needs at least one point/],
  ])('rejects %j', (over, pattern) => {
    expect(() => parseStageBlender({ ...table, ...over }, model)).toThrow(pattern);
  });
});
