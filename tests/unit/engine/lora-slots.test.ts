import { describe, expect, it } from 'vitest';
import { LoraSlots } from '../../../src/engine/lora-slots';

const layout = { slots: ['identity', 'motion'], depth: 3, targets: ['attn.q', 'attn.k'], rank: 2, width: 4 };

describe('LoraSlots', () => {
  it('starts all-zero with the manifest shapes', () => {
    const l = new LoraSlots(layout);
    expect(l.downDims).toEqual([2, 3, 2, 2, 4]);
    expect(l.upDims).toEqual([2, 3, 2, 4, 2]);
    expect(l.down.length).toBe(96);
    expect(l.down.every((v) => v === 0) && l.up.every((v) => v === 0)).toBe(true);
    const s = l.scalesTensor(3, { stepIndex: 0, t: 1, steps: 4 });
    expect(s.length).toBe(3 * 2 * 3);
    expect(s.every((v) => v === 0)).toBe(true);
  });

  it('writes an adapter into its slot only, and clears it', () => {
    const l = new LoraSlots(layout);
    const n = l.slotSize();
    l.setAdapter('motion', { down: new Float32Array(n).fill(1), up: new Float32Array(n).fill(2) });
    expect(l.down.subarray(0, n).every((v) => v === 0)).toBe(true);
    expect(l.down.subarray(n).every((v) => v === 1)).toBe(true);
    expect(l.up.subarray(n).every((v) => v === 2)).toBe(true);
    l.clearAdapter('motion');
    expect(l.down.every((v) => v === 0)).toBe(true);
    expect(() => l.setAdapter('style', { down: new Float32Array(n), up: new Float32Array(n) })).toThrow(/does not exist/);
    expect(() => l.setAdapter(0, { down: new Float32Array(3), up: new Float32Array(3) })).toThrow(/slot needs 48/);
  });

  it('per-step, per-depth scales are repeated for every guidance pass', () => {
    const l = new LoraSlots(layout);
    l.setScales(Float32Array.from([0.8, 0.8, 0.8, 0, 0, 0]));
    expect(Array.from(l.scaleRow({ stepIndex: 0, t: 1, steps: 2 }))).toEqual([0.8, 0.8, 0.8, 0, 0, 0].map(Math.fround));
    l.setScales(({ stepIndex }) => Float32Array.from([stepIndex, 0, 0, 0, 0, 1]));
    expect(Array.from(l.scalesTensor(2, { stepIndex: 3, t: 0.2, steps: 4 }))).toEqual([3, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 1]);
    l.resetScales();
    expect(l.scaleRow({ stepIndex: 0, t: 1, steps: 1 }).every((v) => v === 0)).toBe(true);
    expect(() => l.setScales(new Float32Array(5))).toThrow(/S·D/);
  });
});
