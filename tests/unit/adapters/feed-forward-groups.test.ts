/**
 * LoRA slots on layers that are not square (docs/model-package.md "LoRA slots", `lora.groups`): a
 * Wan package converted with feed-forward slots takes the files musubi-tuner and diffusion-pipe
 * write, which change every linear layer of a block. Each layer lands in its own group's arrays
 * ([D,P_k,R,in_k] / [D,P_k,out_k,R]) with its rank and alpha; the slots feed every group cut to the
 * rank in use; a package without the groups still refuses such a file.
 */
import { describe, expect, it } from 'vitest';
import { loadAdapter, type TargetModel } from '../../../src/engine/adapters/adapter';
import { AdapterError } from '../../../src/engine/adapters/errors';
import { LoraSlots } from '../../../src/engine/lora-slots';
import { encodeSafetensors, type TensorSpec } from './build-safetensors';

const ATTENTION = ['attn1.to_q', 'attn1.to_k', 'attn1.to_v', 'attn1.to_out.0', 'attn2.to_q', 'attn2.to_k', 'attn2.to_v', 'attn2.to_out.0'];
const C = 8;
const F = 12;
const R = 4;
const D = 2;
const GROUPS = [{ targets: ['ffn.net.0.proj'], in: C, out: F }, { targets: ['ffn.net.2'], in: F, out: C }];
const ALIASES = { 'self_attn.q': 'attn1.to_q', 'self_attn.o': 'attn1.to_out.0', 'ffn.0': 'ffn.net.0.proj', 'ffn.2': 'ffn.net.2' };
const withGroups: TargetModel = {
  name: 'wan-test',
  lora: { slots: ['identity', 'motion'], depth: D, targets: ATTENTION, rank: R, width: C, blocks: 'blocks', aliases: ALIASES, groups: GROUPS },
};
const attentionOnly: TargetModel = { name: 'wan-test', lora: { ...withGroups.lora, groups: [] } };

/** A layer of the file: musubi's name inside a block, its shape, rank and alpha. */
interface Layer {
  d: number;
  name: string;
  in: number;
  out: number;
  r: number;
  alpha: number;
}
const LAYERS: Layer[] = [
  { d: 0, name: 'self_attn.q', in: C, out: C, r: 2, alpha: 2 },
  { d: 0, name: 'ffn.0', in: C, out: F, r: 3, alpha: 6 },
  { d: 1, name: 'ffn.2', in: F, out: C, r: 4, alpha: 2 },
  { d: 1, name: 'self_attn.o', in: C, out: C, r: 1, alpha: 1 },
];
const aValue = (l: Layer, i: number, j: number) => (l.d + 1) * (i + 1) - j / 8 + 1 / 64; // never 0
const bValue = (l: Layer, i: number, j: number) => j / 4 - i / 16 + l.d + 1 / 128;

/** The layers as musubi-tuner names them (`lora_unet_blocks_0_ffn_0.lora_down.weight`, `.alpha`). */
function musubiFile(layers: Layer[], shape: (l: Layer) => [number, number] = (l) => [l.in, l.out]): Uint8Array {
  const tensors: Record<string, TensorSpec> = {};
  for (const l of layers) {
    const [n, m] = shape(l);
    const stem = `lora_unet_blocks_${l.d}_${l.name.replaceAll('.', '_')}`;
    tensors[`${stem}.lora_down.weight`] = { shape: [l.r, n], values: Array.from({ length: l.r * n }, (_, k) => aValue(l, Math.floor(k / n), k % n)) };
    tensors[`${stem}.lora_up.weight`] = { shape: [m, l.r], values: Array.from({ length: m * l.r }, (_, k) => bValue(l, Math.floor(k / l.r), k % l.r)) };
    tensors[`${stem}.alpha`] = { shape: [], values: [l.alpha] };
  }
  return encodeSafetensors(tensors);
}

function loadError(weights: Uint8Array, model: TargetModel): AdapterError {
  try {
    loadAdapter({ weights, source: 'musubi.safetensors' }, model);
  } catch (e) {
    expect(e).toBeInstanceOf(AdapterError);
    return e as AdapterError;
  }
  throw new Error('expected loadAdapter to throw');
}

describe('LoRA slots on feed-forward layers (lora.groups)', () => {
  it("puts each layer into its group's arrays: A in rows 0…r−1, (alpha/r)·B in columns 0…r−1", () => {
    const a = loadAdapter({ weights: musubiFile(LAYERS), source: 'musubi.safetensors' }, withGroups);
    expect(a.layers).toEqual(['blocks.0.attn1.to_q', 'blocks.0.ffn.net.0.proj', 'blocks.1.attn1.to_out.0', 'blocks.1.ffn.net.2']);
    expect(a.rank).toBe(4);
    expect(a.alpha).toBeUndefined();
    const where: Record<string, { arrays: { down: Float32Array; up: Float32Array }; P: number; p: number }> = {
      'self_attn.q': { arrays: a, P: ATTENTION.length, p: 0 },
      'self_attn.o': { arrays: a, P: ATTENTION.length, p: 3 },
      'ffn.0': { arrays: a.groups[0]!, P: 1, p: 0 },
      'ffn.2': { arrays: a.groups[1]!, P: 1, p: 0 },
    };
    expect(a.groups.map((g) => [g.down.length, g.up.length])).toEqual([[D * R * C, D * F * R], [D * R * F, D * C * R]]);
    let nonzero = 0;
    for (const l of LAYERS) {
      const { arrays, P, p } = where[l.name]!;
      const at = l.d * P + p;
      for (let i = 0; i < R; i++) {
        for (let j = 0; j < l.in; j++) expect(arrays.down[(at * R + i) * l.in + j]).toBe(i < l.r ? Math.fround(aValue(l, i, j)) : 0);
      }
      for (let i = 0; i < l.out; i++) {
        for (let k = 0; k < R; k++) expect(arrays.up[(at * l.out + i) * R + k]).toBeCloseTo(k < l.r ? bValue(l, i, k) * (l.alpha / l.r) : 0, 6);
      }
      nonzero += l.r * (l.in + l.out);
    }
    // nothing written anywhere else
    const all = [a.down, a.up, ...a.groups.flatMap((g) => [g.down, g.up])];
    expect(all.reduce((n, x) => n + x.filter((v) => v !== 0).length, 0)).toBe(nonzero);
  });

  it('refuses a layer whose shape is not its group\'s, naming the features', () => {
    const e = loadError(musubiFile([LAYERS[1]!], (l) => [l.in, l.out + 1]), withGroups);
    expect(e.message).toMatch(/lora_unet_blocks_0_ffn_0\.lora_up\.weight has shape \[13,3\], but ffn\.net\.0\.proj gives 12 features \(expected \[12,3\]\)/);
  });

  it('a package whose slots hold attention only still refuses the file, naming the feed-forward layers', () => {
    const e = loadError(musubiFile(LAYERS), attentionOnly);
    expect(e.message).toMatch(/holds 2 layers this model's LoRA slots do not: ffn_0 \(in block 0\), ffn_2 \(in block 1\)/);
  });

  it('the slots feed every group under its own roles, cut to the rank in use', () => {
    const slots = new LoraSlots(withGroups.lora);
    expect(slots.usedRank()).toBe(0);
    const small = loadAdapter({ weights: musubiFile([LAYERS[0]!]) }, withGroups);
    slots.setAdapter('motion', small);
    expect(slots.usedRank()).toBe(2);
    // a rank-4 layer in a feed-forward group raises the rank every group is fed at
    slots.setAdapter('identity', loadAdapter({ weights: musubiFile(LAYERS) }, withGroups));
    expect(slots.usedRank()).toBe(4);
    slots.clearAdapter('identity');
    expect(slots.usedRank()).toBe(2);

    const feeds = slots.feeds(2);
    expect(feeds.map((g) => [g.role.down, g.role.up, g.downDims, g.upDims])).toEqual([
      ['lora_down', 'lora_up', [2, D, 8, 2, C], [2, D, 8, C, 2]],
      ['lora_down_1', 'lora_up_1', [2, D, 1, 2, C], [2, D, 1, F, 2]],
      ['lora_down_2', 'lora_up_2', [2, D, 1, 2, F], [2, D, 1, C, 2]],
    ]);
    // the cut keeps the adapter's values: slot 1 (motion), block 0, target 0, rank rows 0–1
    const [square] = feeds;
    const perSlot = D * 8 * 2 * C;
    expect(Array.from(square!.down.subarray(perSlot, perSlot + 2 * C))).toEqual(Array.from(small.down.subarray(0, 2 * C)));
    expect(feeds[0]!.down.length).toBe(2 * perSlot);
    // full rank gives the arrays themselves
    expect(slots.feeds(R)[1]!.down).toBe(slots.feeds(R)[1]!.down);
  });

  it('an adapter without feed-forward layers zeroes those groups in its slot', () => {
    const slots = new LoraSlots(withGroups.lora);
    slots.setAdapter(0, loadAdapter({ weights: musubiFile(LAYERS) }, withGroups));
    slots.setAdapter(0, loadAdapter({ weights: musubiFile([LAYERS[0]!]) }, withGroups));
    for (const g of slots.feeds(R).slice(1)) {
      expect(g.down.every((v) => v === 0) && g.up.every((v) => v === 0)).toBe(true);
    }
  });
});
