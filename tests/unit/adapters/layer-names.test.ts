/**
 * LayerNames (src/engine/adapters/layer-names.ts): which slot layer a tensor name means, built
 * from lora.blocks / targets / aliases, and the sentence that names what the slots do not hold.
 */
import { describe, expect, it } from 'vitest';
import { blockRanges, describeOthers, LayerNames, type TensorName } from '../../../src/engine/adapters/layer-names';

const targets = ['attn1.to_q', 'attn1.to_out.0', 'attn2.to_out.0'];
const names = new LayerNames({ targets, blocks: 'blocks', aliases: { 'self_attn.q': 'attn1.to_q', 'self_attn.o': 'attn1.to_out.0' } });

describe('LayerNames.classify', () => {
  it.each([
    ['blocks.3.attn1.to_out.0.lora_A.weight', { block: 3, target: 1, role: 'A', halves: 'lora_A/lora_B', stem: 'blocks.3.attn1.to_out.0' }],
    ['transformer.blocks.3.attn1.to_out.0.lora_B.weight', { block: 3, target: 1, role: 'B', halves: 'lora_A/lora_B', stem: 'blocks.3.attn1.to_out.0' }],
    ['base_model.model.blocks.0.self_attn.q.lora_A.weight', { block: 0, target: 0, role: 'A', stem: 'blocks.0.self_attn.q' }],
    ['model.diffusion_model.blocks.12.self_attn.o.lora_up.weight', { block: 12, target: 1, role: 'B', halves: 'lora_down/lora_up', stem: 'blocks.12.self_attn.o' }],
    ['diffusion_model.blocks.1.self_attn.o.alpha', { block: 1, target: 1, role: 'alpha', halves: undefined }],
    // attn1_to_out_0 and attn2_to_out_0 differ only past several '_': found by lookup, not by splitting.
    ['lora_unet_blocks_7_attn2_to_out_0.lora_down.weight', { block: 7, target: 2, role: 'A', stem: 'lora_unet_blocks_7_attn2_to_out_0' }],
    ['lora_unet_blocks_7_self_attn_o.alpha', { block: 7, target: 1, role: 'alpha' }],
  ])('%s is a slot layer', (name, want) => {
    expect(names.classify(name)).toMatchObject({ kind: 'slot', ...want });
  });

  it.each([
    ['blocks.0.ffn.0.lora_A.weight', { label: 'ffn.0', block: 0 }],
    ['diffusion_model.blocks.2.norm3.diff', { label: 'norm3.diff', block: 2 }],
    ['diffusion_model.blocks.2.self_attn.q.diff_b', { label: 'self_attn.q.diff_b', block: 2 }],
    ['blocks.2.attn1.to_q.lora_B.bias', { label: 'attn1.to_q.lora_B.bias', block: 2 }],
    ['lora_unet_blocks_4_ffn_2.lora_up.weight', { label: 'ffn_2', block: 4 }],
    ['diffusion_model.text_embedding.0.lora_down.weight', { label: 'text_embedding.0', block: 'none' }],
    ['blocks.01.attn1.to_q.lora_A.weight', { label: 'blocks.01.attn1.to_q', block: 'none' }], // no leading zeros
    ['blocks_0.attn1.to_q.lora_A.weight', { label: 'blocks_0.attn1.to_q', block: 'none' }], // kohya's '_' in a dotted name
    ['transformer.transformer.blocks.0.attn1.to_q.lora_A.weight', { label: 'transformer.blocks.0.attn1.to_q' }], // one prefix only
    ['lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight', { label: 'lora_te_text_model_encoder_layers_0_mlp_fc1' }],
    ['something', { label: 'something', suffix: '' }],
  ] as [string, { label: string; block?: number | 'none'; suffix?: string }][])('%s is another layer', (name, { block, ...want }) => {
    const c = names.classify(name);
    expect(c).toMatchObject({ kind: 'other', ...want });
    if (block !== undefined) expect(c.block).toBe(block === 'none' ? undefined : block);
  });

  it('takes a block list that begins like a prefix (transformer.blocks) as it is', () => {
    const n = new LayerNames({ targets, blocks: 'transformer.blocks' });
    expect(n.classify('transformer.blocks.1.attn1.to_q.lora_A.weight')).toMatchObject({ kind: 'slot', block: 1, target: 0 });
    expect(n.classify('lora_unet_transformer_blocks_1_attn1_to_q.lora_down.weight')).toMatchObject({ kind: 'slot', block: 1, target: 0 });
    expect(n.layerName(1, 0)).toBe('transformer.blocks.1.attn1.to_q');
  });

  it('ignores an alias of no target (the manifest parser refuses it) rather than inventing one', () => {
    const n = new LayerNames({ targets, aliases: { 'self_attn.k': 'attn1.to_k' } });
    expect(n.classify('blocks.0.self_attn.k.lora_A.weight')).toMatchObject({ kind: 'other', label: 'self_attn.k' });
  });
});

describe('describeOthers', () => {
  const other = (label: string, block?: number): Extract<TensorName, { kind: 'other' }> => ({ kind: 'other', label, suffix: '', ...(block !== undefined ? { block } : {}) });

  it('counts layers (one per block and kind, whatever its parts) and groups kinds that share their blocks', () => {
    const others = [0, 1, 2].flatMap((d) => [other('ffn.2', d), other('ffn.0', d), other('ffn.0', d)]).concat([other('norm3.diff', 5), other('head.head')]);
    expect(describeOthers(others)).toEqual({ count: 8, kinds: 'ffn.0, ffn.2 (in blocks 0–2), head.head, norm3.diff (in block 5)' });
  });

  it('names at most 12 kinds and says how many more', () => {
    const others = Array.from({ length: 14 }, (_, i) => other(`layer_${i}`));
    expect(describeOthers(others).kinds).toMatch(/^layer_0, layer_1, layer_2, .*layer_11, and 2 more kinds$/);
  });

  it('writes block sets as ranges', () => {
    expect(blockRanges([5, 0, 1, 2, 7, 8])).toBe('blocks 0–2, 5, 7–8');
    expect(blockRanges([3])).toBe('block 3');
    expect(blockRanges([])).toBe('');
  });
});
