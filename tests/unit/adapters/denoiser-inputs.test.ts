/**
 * End to end on the engine's own objects: adapter files → loadAdapter → LoraSlots (the tensors
 * the denoiser gets) and stage schedules → LoraSlots.scalesTensor for every call a real
 * scheduler makes. Checks that the values reaching the denoiser's lora_* inputs are exactly the
 * scheduled ones, for every guidance pass, including Heun's corrector calls at their own t.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAdapter } from '../../../src/engine/adapters/adapter';
import { scaleSource } from '../../../src/engine/adapters/scale-source';
import { loraScalesForStep } from '../../../src/engine/adapters/schedule';
import { planSlots } from '../../../src/engine/adapters/slot-plan';
import { parseStageBlender } from '../../../src/engine/adapters/stage-blender';
import { LoraSlots } from '../../../src/engine/lora-slots';
import { createScheduler } from '../../../src/engine/schedulers';

const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const layout = { slots: ['identity', 'motion'], depth: 2, targets: ['attn.q', 'attn.k', 'attn.v', 'attn.o'], rank: 4, width: 8 };
const model = { name: 'vidlet-fixture', lora: layout };
const blender = parseStageBlender(JSON.parse(readFileSync(dir + 'fixture.blender.json', 'utf8')), { name: 'vidlet-fixture', depth: 2 });

function fixtureAdapter(name: string, kind: 'identity' | 'motion') {
  const description = { ...JSON.parse(readFileSync(dir + 'fixture-pip.json', 'utf8')), name, kind };
  return loadAdapter({ weights: new Uint8Array(readFileSync(dir + 'fixture-pip.safetensors')), description }, model);
}

/** α of the fixture table (rows t = 0, 0.5, 1; groups = blocks 0 | 1), by hand. */
function alphaByHand(t: number, block: number): number {
  const col = [
    [1.75, 1.0, 0.25],
    [1.5, 0.5, 0.125],
  ][block]!;
  return t <= 0.5 ? col[0]! + (col[1]! - col[0]!) * (t / 0.5) : col[1]! + (col[2]! - col[1]!) * ((t - 0.5) / 0.5);
}

describe('what reaches the denoiser', () => {
  it('loaded adapters land in their slots of lora_down / lora_up', () => {
    const pip = fixtureAdapter('fixture-pip', 'identity');
    const eight = fixtureAdapter('fixture-motion', 'motion');
    const plan = planSlots([{ adapter: eight }, { adapter: pip }], layout.slots, 'dualreal', blender);
    const slots = new LoraSlots(layout);
    for (const e of plan.entries) slots.setAdapter(e.slot, e.adapter);
    const n = slots.slotSize();
    expect(slots.down.subarray(0, n)).toEqual(pip.down);
    expect(slots.up.subarray(n, 2 * n)).toEqual(eight.up);
    expect(slots.downDims).toEqual([2, 2, 4, 4, 8]);
  });

  it.each(['euler', 'heun', 'euler-ancestral', 'x0-renoise'] as const)('%s: every call gets the DualReal row for its own t, in every batch entry', (sampler) => {
    const pip = fixtureAdapter('fixture-pip', 'identity');
    const eight = fixtureAdapter('fixture-motion', 'motion');
    const plan = planSlots([{ adapter: pip, strength: 0.5 }, { adapter: eight, strength: 1 }], layout.slots, 'dualreal', blender);
    const slots = new LoraSlots(layout);
    slots.setScales(scaleSource(plan.assignments, layout));
    const steps = 5;
    const scheduler = createScheduler(sampler, 1);
    scheduler.setTimesteps(steps, 3.0); // shifted timesteps: t is not a simple grid
    const B = 3; // cond / uncond / motion-dropped
    expect(scheduler.calls.length).toBe(sampler === 'heun' ? 2 * steps - 1 : steps);
    for (const call of scheduler.calls) {
      const got = slots.scalesTensor(B, { stepIndex: call.stepIndex, t: call.t, steps });
      // Exactly the pure schedule at the call's t, repeated for each pass …
      const row = loraScalesForStep(plan.assignments, { slots: 2, depth: 2 }, { t: call.t, progress: call.stepIndex / (steps - 1) });
      for (let b = 0; b < B; b++) expect(got.subarray(b * 4, b * 4 + 4)).toEqual(row);
      // … and that row is the table read by hand: identity 0.5·α, motion 1·(2 − α).
      const expected = [0.5 * alphaByHand(call.t, 0), 0.5 * alphaByHand(call.t, 1), 2 - alphaByHand(call.t, 0), 2 - alphaByHand(call.t, 1)];
      expected.forEach((v, i) => expect(row[i]).toBeCloseTo(v, 6));
    }
  });

  it('a progress curve follows the step index, not t (Heun corrector calls share their step)', () => {
    const plan = planSlots([{ adapter: fixtureAdapter('fixture-pip', 'identity'), strength: 1 }], layout.slots, 'constant');
    const assignments = plan.assignments.map((a) => ({
      ...a,
      schedule: { type: 'curve' as const, axis: 'progress' as const, at: [0, 1], weight: [1, 0], blockMultiplier: null },
    }));
    const slots = new LoraSlots(layout);
    slots.setScales(scaleSource(assignments, layout));
    const scheduler = createScheduler('heun', 0);
    scheduler.setTimesteps(3, 1);
    const rows = scheduler.calls.map((c) => [...slots.scalesTensor(1, { stepIndex: c.stepIndex, t: c.t, steps: 3 })]);
    // steps 0, 0 (corrector), 1, 1, 2 → progress 0, 0, 0.5, 0.5, 1
    expect(rows).toEqual([
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0.5, 0.5, 0, 0],
      [0.5, 0.5, 0, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('refuses a schedule that overflows float32 when it is set, not mid-run', () => {
    expect(() => scaleSource([{ slot: 0, strength: 1e39, schedule: { type: 'constant' } }], layout)).toThrow(/slot 0, block 0 is Infinity/);
  });
});
