import { describe, expect, it } from 'vitest';
import type { LoadedAdapter } from '../../../src/engine/adapters/adapter';
import type { AdapterKind } from '../../../src/engine/adapters/description';
import { loraScalesForStep } from '../../../src/engine/adapters/schedule';
import { parseLoraRequest, planSlots } from '../../../src/engine/adapters/slot-plan';
import { parseStageBlender } from '../../../src/engine/adapters/stage-blender';

function adapter(name: string, kind: AdapterKind, recommendedStrength = 1): LoadedAdapter {
  return {
    description: { format: 'vidlet-adapter', formatVersion: 1, name, kind, baseModel: 'm', triggerWords: [], recommendedStrength },
    rank: 1,
    alpha: 1,
    layers: [],
    down: new Float32Array(0),
    up: new Float32Array(0),
    groups: [],
  };
}

const blender = parseStageBlender(
  {
    format: 'vidlet-stage-blender',
    formatVersion: 1,
    baseModel: 'm',
    identity: 'pip',
    motion: 'figure-eight',
    c: 2,
    depth: 2,
    groups: [[0], [1]],
    timesteps: [0, 1],
    alpha: [
      [2, 1],
      [0, 1],
    ],
  },
  { name: 'm', depth: 2 },
);

describe('parseLoraRequest', () => {
  it('reads NAME and NAME:STRENGTH', () => {
    expect(parseLoraRequest('pip')).toEqual({ name: 'pip' });
    expect(parseLoraRequest('figure-eight:0.5')).toEqual({ name: 'figure-eight', strength: 0.5 });
    expect(parseLoraRequest(' pip:-1 ')).toEqual({ name: 'pip', strength: -1 });
  });
  it('rejects bad names and strengths', () => {
    expect(() => parseLoraRequest('Pip')).toThrow(/expected NAME or NAME:STRENGTH/);
    expect(() => parseLoraRequest('pip:')).toThrow(/strength "" is not a number/);
    expect(() => parseLoraRequest('pip:lots')).toThrow(/strength "lots" is not a number \(e\.g\. pip:0\.8\)/);
  });
});

describe('planSlots', () => {
  const slots = ['identity', 'motion'];

  it('puts adapters in the slot named for their kind, with recommended strengths by default', () => {
    const plan = planSlots([{ adapter: adapter('zig', 'motion', 0.5) }, { adapter: adapter('pip', 'identity'), strength: 0.8 }], slots, 'constant');
    expect(plan.entries.map((e) => [e.adapter.description.name, e.slot, e.strength])).toEqual([
      ['zig', 1, 0.5],
      ['pip', 0, 0.8],
    ]);
    // lora_scales is float32: 0.8 arrives as the nearest float32.
    expect(loraScalesForStep(plan.assignments, { slots: 2, depth: 2 }, { t: 0.5, progress: 0 })).toEqual(Float32Array.from([0.8, 0.8, 0.5, 0.5]));
  });

  it('a style adapter takes a free slot but not one a matching kind needs', () => {
    const plan = planSlots([{ adapter: adapter('ink', 'style') }, { adapter: adapter('pip', 'identity') }], slots, 'constant');
    expect(plan.entries.map((e) => e.slot)).toEqual([1, 0]);
  });

  it('refuses more adapters than slots, and duplicates', () => {
    const three = ['a', 'b', 'c'].map((n) => ({ adapter: adapter(n, 'style') }));
    expect(() => planSlots(three, slots, 'constant')).toThrow(/3 adapters were asked for, but this model has 2 LoRA slot\(s\) \(identity, motion\)/);
    expect(() => planSlots([{ adapter: adapter('a', 'style') }, { adapter: adapter('a', 'style') }], slots, 'constant')).toThrow(/asked for twice/);
  });

  it('dualreal gives the table to the pair it was trained for', () => {
    const plan = planSlots(
      [{ adapter: adapter('pip', 'identity') }, { adapter: adapter('figure-eight', 'motion'), strength: 0.5 }],
      slots,
      'dualreal',
      blender,
    );
    // t = 0.5: α = (1, 1) per block; identity 1·α, motion 0.5·(2 − α)
    expect([...loraScalesForStep(plan.assignments, { slots: 2, depth: 2 }, { t: 0.5, progress: 0 })]).toEqual([1, 1, 0.5, 0.5]);
    // t = 0: α = (2, 1)
    expect([...loraScalesForStep(plan.assignments, { slots: 2, depth: 2 }, { t: 0, progress: 0 })]).toEqual([2, 1, 0, 0.5]);
  });

  it('dualreal without a table or without the pair is an error that says what to do', () => {
    const pair = [{ adapter: adapter('pip', 'identity') }, { adapter: adapter('figure-eight', 'motion') }];
    expect(() => planSlots(pair, slots, 'dualreal')).toThrow(/needs a StageBlender table.*use constant blending \(CLI: --blend constant\)/);
    expect(() => planSlots([pair[0]!], slots, 'dualreal', blender)).toThrow(/trained for "pip" \+ "figure-eight"; enable both \(CLI: --lora pip --lora figure-eight\)/);
  });
});
