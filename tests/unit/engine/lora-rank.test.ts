/** Cutting the LoRA tensors to the rank the adapters use (for denoisers with a symbolic rank axis). */
import { describe, expect, it } from 'vitest';
import { loraRankAxisIsSymbolic } from '../../../src/engine/engine';
import { LoraSlots } from '../../../src/engine/lora-slots';
import type { ComponentSession } from '../../../src/engine/sessions';

const layout = { slots: ['identity', 'motion'], depth: 2, targets: ['q', 'v'], rank: 4, width: 3 };

/** A slot's [D,P,R,C] / [D,P,C,R] arrays with rank-r content: down[d,p,k,c] = 1 + k + 10c, up likewise. */
function adapter(r: number) {
  const { depth: D, targets, rank: R, width: C } = layout;
  const P = targets.length;
  const down = new Float32Array(D * P * R * C);
  const up = new Float32Array(D * P * C * R);
  for (let dp = 0; dp < D * P; dp++) {
    for (let k = 0; k < r; k++) {
      for (let c = 0; c < C; c++) {
        down[(dp * R + k) * C + c] = 1 + k + 10 * c + 100 * dp;
        up[(dp * C + c) * R + k] = -(1 + k + 10 * c + 100 * dp);
      }
    }
  }
  return { down, up };
}

describe('LoraSlots rank cutting', () => {
  it('usedRank is 0 when empty and the largest adapter rank otherwise', () => {
    const s = new LoraSlots(layout);
    expect(s.usedRank()).toBe(0);
    s.setAdapter('motion', adapter(2));
    expect(s.usedRank()).toBe(2);
    s.setAdapter('identity', adapter(3));
    expect(s.usedRank()).toBe(3);
    s.clearAdapter('identity');
    expect(s.usedRank()).toBe(2);
  });

  it('packed(r) keeps exactly the first r rank rows/columns of every slot, block and target', () => {
    const s = new LoraSlots(layout);
    s.setAdapter('identity', adapter(2));
    s.setAdapter('motion', adapter(1));
    const p = s.packed(2);
    expect(p.downDims).toEqual([2, 2, 2, 2, 3]);
    expect(p.upDims).toEqual([2, 2, 2, 3, 2]);
    const { S, D, P, R, C } = s;
    for (let sdp = 0; sdp < S * D * P; sdp++) {
      for (let k = 0; k < 2; k++) {
        for (let c = 0; c < C; c++) {
          expect(p.down[(sdp * 2 + k) * C + c]).toBe(s.down[(sdp * R + k) * C + c]);
          expect(p.up[(sdp * C + c) * 2 + k]).toBe(s.up[(sdp * C + c) * R + k]);
        }
      }
    }
    // Full rank is the arrays themselves, not a copy.
    expect(s.packed(4).down).toBe(s.down);
    expect(() => s.packed(0)).toThrow(/rank 0/);
    expect(() => s.packed(5)).toThrow(/rank 5/);
  });

  it('the rank axis counts as symbolic only when the graph says so', () => {
    const fake = (shape: (number | string)[]) => ({ inputs: { lora_down: 'lora_down' }, session: { inputMetadata: [{ name: 'lora_down', isTensor: true, type: 'float32', shape }] } }) as unknown as ComponentSession;
    expect(loraRankAxisIsSymbolic(fake([2, 6, 4, 'r', 192]))).toBe(true);
    expect(loraRankAxisIsSymbolic(fake([2, 6, 4, 8, 192]))).toBe(false);
    expect(loraRankAxisIsSymbolic({ inputs: { lora_down: 'lora_down' }, session: {} } as unknown as ComponentSession)).toBe(false);
  });
});
