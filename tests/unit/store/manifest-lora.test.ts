/**
 * The manifest's `lora.blocks` and `lora.aliases` (docs/model-package.md, "LoRA slots"): where the
 * blocks are and the other names trainers give the targets. A package without them (vidlet-tiny)
 * parses as before, with the defaults filled in.
 */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/store/manifest';
import { errorOf, validManifest } from './manifest-fixture';

const WAN_TARGETS = ['attn1.to_q', 'attn1.to_k', 'attn1.to_v', 'attn1.to_out.0', 'attn2.to_q', 'attn2.to_k', 'attn2.to_v', 'attn2.to_out.0'];
const WAN_ALIASES = {
  'self_attn.q': 'attn1.to_q', 'self_attn.k': 'attn1.to_k', 'self_attn.v': 'attn1.to_v', 'self_attn.o': 'attn1.to_out.0',
  'cross_attn.q': 'attn2.to_q', 'cross_attn.k': 'attn2.to_k', 'cross_attn.v': 'attn2.to_v', 'cross_attn.o': 'attn2.to_out.0',
};

function withLora(over: Record<string, unknown>): Record<string, any> {
  const m = validManifest();
  m.lora = { ...m.lora, targets: WAN_TARGETS, ...over };
  m.adapters = [];
  delete m.blender;
  return m;
}

describe('manifest lora.blocks and lora.aliases', () => {
  it('default to "blocks", no aliases and no further groups, so a package without them means what it meant before', () => {
    const lora = parseManifest(validManifest()).lora;
    expect(lora).toEqual({ slots: ['identity', 'motion'], depth: 6, targets: ['attn.q', 'attn.k', 'attn.v', 'attn.o'], rank: 8, width: 192, blocks: 'blocks', aliases: {}, groups: [] });
  });

  it('reads a converted Wan section and an LTX-Video block list', () => {
    expect(parseManifest(withLora({ aliases: WAN_ALIASES })).lora.aliases).toEqual(WAN_ALIASES);
    expect(parseManifest(withLora({ blocks: 'transformer_blocks' })).lora.blocks).toBe('transformer_blocks');
    expect(parseManifest(withLora({ blocks: 'model.blocks' })).lora.blocks).toBe('model.blocks');
  });

  it.each([
    ['an alias of no target', { aliases: { 'self_attn.q': 'attn.q' } }, 'lora.aliases.self_attn.q', /is "attn\.q", but must be one of lora\.targets \(attn1\.to_q, /],
    ['an alias that is a target', { aliases: { 'attn1.to_q': 'attn1.to_k' } }, 'lora.aliases.attn1.to_q', /names a target itself/],
    ['an alias that is no module path', { aliases: { 'self attn.q': 'attn1.to_q' } }, 'lora.aliases.self attn.q', /is not a dotted module path/],
    ['an alias that is not a string', { aliases: { 'self_attn.q': 3 } }, 'lora.aliases.self_attn.q', /must be a non-empty string/],
    ['aliases that are a list', { aliases: ['self_attn.q'] }, 'lora.aliases', /must be an object/],
    ['two names of one kohya name', { aliases: { 'attn1_to.q': 'attn1.to_k' } }, 'lora.aliases.attn1_to.q', /kohya name attn1_to_q of both "attn1\.to_q" \(attn1\.to_q\) and "attn1_to\.q" \(attn1\.to_k\)/],
    ['a block list with an index', { blocks: 'blocks.0' }, 'lora.blocks', /must be a dotted identifier path/],
    ['a block list with an empty part', { blocks: 'model..blocks' }, 'lora.blocks', /must be a dotted identifier path/],
    ['a block list that is empty', { blocks: '' }, 'lora.blocks', /must be a non-empty string/],
  ])('refuses %s, naming the field', (_label, over, field, pattern) => {
    const e = errorOf(withLora(over));
    expect(e.field).toBe(field);
    expect(e.message.startsWith(`manifest.${field} `)).toBe(true);
    expect(e.message).toMatch(pattern);
  });

  it('keeps an alias named like an Object property as a plain entry', () => {
    const m = withLora({});
    m.lora.aliases = JSON.parse('{"__proto__": "attn1.to_q"}');
    expect(Object.entries(parseManifest(m).lora.aliases!)).toEqual([['__proto__', 'attn1.to_q']]);
  });
});

describe('manifest lora.groups', () => {
  // Wan's feed-forward layers: 192 → 512 and 512 → 192 beside the 192-wide attention projections
  const FFN = [{ targets: ['ffn.net.0.proj'], in: 192, out: 512 }, { targets: ['ffn.net.2'], in: 512, out: 192 }];
  const ROLES = { lora_down_1: 'lora_down_1', lora_up_1: 'lora_up_1', lora_down_2: 'lora_down_2', lora_up_2: 'lora_up_2' };
  function withGroups(groups: unknown, over: Record<string, unknown> = {}): Record<string, any> {
    const m = withLora({ groups, ...over });
    m.components.denoiser.inputs = { ...m.components.denoiser.inputs, ...ROLES };
    return m;
  }

  it('reads feed-forward groups, whose targets aliases may name', () => {
    const lora = parseManifest(withGroups(FFN, { aliases: { 'ffn.0': 'ffn.net.0.proj' } })).lora;
    expect(lora.groups).toEqual(FFN);
    expect(lora.aliases).toEqual({ 'ffn.0': 'ffn.net.0.proj' });
  });

  it("requires the denoiser to map each group's inputs", () => {
    const m = withGroups(FFN);
    delete m.components.denoiser.inputs.lora_up_2;
    const e = errorOf(m);
    expect(e.message).toMatch(/lora_up_2/);
  });

  it.each([
    ['a group without targets', [{ targets: [], in: 192, out: 512 }], 'lora.groups[0].targets', /is empty/],
    ['a group of the square shape', [{ targets: ['ffn.net.2'], in: 192, out: 192 }], 'lora.groups[0]', /is 192 → 192 features, as lora\.targets is/],
    ['two groups of one shape', [FFN[0], { targets: ['ffn.net.2'], in: 192, out: 512 }], 'lora.groups[1]', /as lora\.groups\[0\] is/],
    ['a target in two groups', [FFN[0], { targets: ['ffn.net.0.proj'], in: 512, out: 192 }], 'lora.groups', /lists "ffn\.net\.0\.proj" twice/],
    ['a target also in lora.targets', [{ targets: ['attn1.to_q'], in: 192, out: 512 }], 'lora.groups', /lists "attn1\.to_q" twice/],
    ['a rank above a group\'s features', [{ targets: ['ffn.net.0.proj'], in: 4, out: 512 }], 'lora.rank', /larger than lora\.groups\[0\]'s 4 features/],
    ['a width that is no integer', [{ targets: ['ffn.net.0.proj'], in: 1.5, out: 512 }], 'lora.groups[0].in', /integer/],
  ])('refuses %s, naming the field', (_label, groups, field, pattern) => {
    const e = errorOf(withGroups(groups));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(pattern);
  });
});
