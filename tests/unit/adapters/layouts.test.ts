/**
 * LoRA files from other trainers (docs/adapter-format.md, "Tensor names"): every accepted layout
 * gives the slot arrays the PEFT layout gives with the same numbers — A in down's rows,
 * (alpha/r)·B in up's columns, zero padding — with rank and alpha per layer; and what the slots
 * cannot hold refuses the whole file.
 */
import { describe, expect, it } from 'vitest';
import { loadAdapter, type TargetModel } from '../../../src/engine/adapters/adapter';
import { AdapterError } from '../../../src/engine/adapters/errors';
import { encodeSafetensors, type Dtype, type TensorSpec } from './build-safetensors';

const TARGETS = ['attn1.to_q', 'attn1.to_k', 'attn1.to_v', 'attn1.to_out.0', 'attn2.to_q', 'attn2.to_k', 'attn2.to_v', 'attn2.to_out.0'];
/** Wan's original / musubi-tuner names, as the converter writes them into the manifest. */
const ALIASES: Record<string, string> = {
  'self_attn.q': 'attn1.to_q', 'self_attn.k': 'attn1.to_k', 'self_attn.v': 'attn1.to_v', 'self_attn.o': 'attn1.to_out.0',
  'cross_attn.q': 'attn2.to_q', 'cross_attn.k': 'attn2.to_k', 'cross_attn.v': 'attn2.to_v', 'cross_attn.o': 'attn2.to_out.0',
};
const ORIGINAL = Object.fromEntries(Object.entries(ALIASES).map(([alias, target]) => [target, alias]));
const D = 2;
const C = 8;
const R = 4;
const P = TARGETS.length;
const wan: TargetModel = { name: 'wan-test', lora: { slots: ['identity', 'motion'], depth: D, targets: TARGETS, rank: R, width: C, blocks: 'blocks', aliases: ALIASES } };
const ltx: TargetModel = { name: 'ltx-test', lora: { ...wan.lora, blocks: 'transformer_blocks', aliases: {} } };

/** One layer of a test adapter: rank r and alpha (undefined: the file gives none). */
interface Layer {
  d: number;
  p: number;
  r: number;
  alpha?: number;
}
/** Ranks 1–4 and alphas that differ per layer, some layers without alpha, some not covered at all. */
const LAYERS: Layer[] = [
  { d: 0, p: 0, r: 4, alpha: 8 },
  { d: 0, p: 3, r: 2, alpha: 1 },
  { d: 0, p: 7, r: 3 },
  { d: 1, p: 1, r: 1, alpha: 0.5 },
  { d: 1, p: 3, r: 4 },
  { d: 1, p: 6, r: 2, alpha: 16 },
];

// Distinct values a bf16 holds exactly (≤ 8 significant bits), so every dtype gives the same numbers.
const aValue = (l: Layer, i: number, j: number) => ((l.d * 8 + l.p) % 16) / 4 + i / 2 - j / 8 - 1;
const bValue = (l: Layer, i: number, j: number) => j / 4 - i / 16 + l.p / 2 - l.d;
const A = (l: Layer): number[] => Array.from({ length: l.r * C }, (_, k) => aValue(l, Math.floor(k / C), k % C));
const B = (l: Layer): number[] => Array.from({ length: C * l.r }, (_, k) => bValue(l, Math.floor(k / l.r), k % l.r));

/** The slot arrays the engine must get: A in rows 0…r−1 of [R,C], scale·B in columns 0…r−1 of [C,R]. */
function expectedSlots(layers: Layer[], scaleOf: (l: Layer) => number) {
  const down = new Float32Array(D * P * R * C);
  const up = new Float32Array(D * P * C * R);
  for (const l of layers) {
    const base = (l.d * P + l.p) * R * C;
    A(l).forEach((v, k) => (down[base + k] = v));
    const b = B(l);
    for (let i = 0; i < C; i++) for (let k = 0; k < l.r; k++) up[base + i * R + k] = b[i * l.r + k]! * scaleOf(l);
  }
  return { down, up };
}
/** diffusers' rule: alpha/r with the layer's alpha, r (scale 1) without one. */
const perLayerScale = (l: Layer) => (l.alpha === undefined ? 1 : l.alpha / l.r);

type Naming = (l: Layer) => { a: string; b: string; alpha: string };
const peft = (prefix: string, blocks = 'blocks'): Naming => (l) => {
  const stem = `${prefix}${blocks}.${l.d}.${TARGETS[l.p]}`;
  return { a: `${stem}.lora_A.weight`, b: `${stem}.lora_B.weight`, alpha: `${stem}.alpha` };
};
const original = (prefix: string): Naming => (l) => {
  const stem = `${prefix}blocks.${l.d}.${ORIGINAL[TARGETS[l.p]!]}`;
  return { a: `${stem}.lora_down.weight`, b: `${stem}.lora_up.weight`, alpha: `${stem}.alpha` };
};
const kohya = (blocks: string, name: (p: number) => string): Naming => (l) => {
  const stem = `lora_unet_${blocks}_${l.d}_${name(l.p).replaceAll('.', '_')}`;
  return { a: `${stem}.lora_down.weight`, b: `${stem}.lora_up.weight`, alpha: `${stem}.alpha` };
};

function file(
  naming: Naming,
  options: { layers?: Layer[]; alphas?: boolean; alphaShape?: (l: Layer) => number[]; dtype?: Dtype; extra?: Record<string, TensorSpec>; meta?: Record<string, string> } = {},
): Uint8Array {
  const tensors: Record<string, TensorSpec> = {};
  for (const l of options.layers ?? LAYERS) {
    const n = naming(l);
    tensors[n.a] = { dtype: options.dtype, shape: [l.r, C], values: A(l) };
    tensors[n.b] = { dtype: options.dtype, shape: [C, l.r], values: B(l) };
    if (options.alphas !== false && l.alpha !== undefined) {
      const shape = options.alphaShape?.(l) ?? [];
      tensors[n.alpha] = { shape, values: new Array(shape.reduce((x, y) => x * y, 1)).fill(l.alpha) };
    }
  }
  return encodeSafetensors({ ...tensors, ...options.extra }, options.meta);
}

function loadError(weights: Uint8Array, model: TargetModel = wan, source = 'wan-style.safetensors'): AdapterError {
  try {
    loadAdapter({ weights, source }, model);
  } catch (e) {
    expect(e).toBeInstanceOf(AdapterError);
    return e as AdapterError;
  }
  throw new Error('expected loadAdapter to throw');
}

describe('LoRA layouts of other trainers', () => {
  const expected = expectedSlots(LAYERS, perLayerScale);

  it.each([
    ['PEFT / diffusers (transformer.), alpha = r without alpha', () => file(peft('transformer.'), { alphas: false }), expectedSlots(LAYERS, () => 1)],
    ['PEFT without prefix, .alpha per layer', () => file(peft('')), expected],
    ['PEFT under the original names (diffusion_model.), .alpha per layer', () => file((l) => ({ ...original('diffusion_model.')(l), a: original('diffusion_model.')(l).a.replace('lora_down', 'lora_A'), b: original('diffusion_model.')(l).b.replace('lora_up', 'lora_B') })), expected],
    ['ComfyUI / original (diffusion_model.), .alpha of shape []', () => file(original('diffusion_model.')), expected],
    ['ComfyUI / original (model.diffusion_model.), .alpha of shape [1]', () => file(original('model.diffusion_model.'), { alphaShape: () => [1] }), expected],
    ['ComfyUI under the diffusers names, in bf16', () => file((l) => ({ ...peft('diffusion_model.')(l), a: peft('diffusion_model.')(l).a.replace('lora_A', 'lora_down'), b: peft('diffusion_model.')(l).b.replace('lora_B', 'lora_up') }), { dtype: 'BF16' }), expected],
    ['kohya / musubi-tuner under the original names', () => file(kohya('blocks', (p) => ORIGINAL[TARGETS[p]!]!)), expected],
    ['kohya under the diffusers names (to_out_0 is not split on "_")', () => file(kohya('blocks', (p) => TARGETS[p]!), { dtype: 'F16' }), expected],
  ])('%s', (_label, make, want) => {
    const a = loadAdapter({ weights: make(), source: 'x.safetensors' }, wan);
    expect(a.down).toEqual(want.down);
    expect(a.up).toEqual(want.up);
    expect(a.layers).toEqual(LAYERS.map((l) => `blocks.${l.d}.${TARGETS[l.p]}`));
    expect(a.rank).toBe(4);
  });

  it('gives the same slots for the same numbers in every layout', () => {
    const slots = [peft(''), original('diffusion_model.'), kohya('blocks', (p) => ORIGINAL[TARGETS[p]!]!)].map((n) => loadAdapter({ weights: file(n) }, wan));
    for (const s of slots.slice(1)) {
      expect(s.down).toEqual(slots[0]!.down);
      expect(s.up).toEqual(slots[0]!.up);
    }
  });

  it('reads LTX-Video blocks at lora.blocks (transformer_blocks), with and without prefixes, and kohya names', () => {
    for (const naming of [peft('', 'transformer_blocks'), peft('transformer.', 'transformer_blocks'), peft('diffusion_model.', 'transformer_blocks'), kohya('transformer_blocks', (p) => TARGETS[p]!)]) {
      const a = loadAdapter({ weights: file(naming) }, ltx);
      expect(a.down).toEqual(expected.down);
      expect(a.up).toEqual(expected.up);
      expect(a.layers[0]).toBe('transformer_blocks.0.attn1.to_q');
    }
    // Wan's block list is not LTX-Video's: the same file names layers this model does not have.
    expect(loadError(file(peft('transformer.')), ltx).message).toMatch(/holds 6 layers this model's LoRA slots do not: blocks\.0\.attn1\.to_out\.0, blocks\.0\.attn1\.to_q, /);
  });

  it("takes Vidlet's own __metadata__ alpha for layers without an .alpha tensor, and the tensor over it", () => {
    const withMeta = file(peft(''), { meta: { alpha: '2' } });
    const a = loadAdapter({ weights: withMeta }, wan);
    expect(a.up).toEqual(expectedSlots(LAYERS, (l) => (l.alpha ?? 2) / l.r).up);
    expect(a.alpha).toBeUndefined(); // the layers' alphas differ
    const same = loadAdapter({ weights: file(peft(''), { alphas: false, meta: { rank: '2', alpha: '3' }, layers: LAYERS.filter((l) => l.r === 2) }) }, wan);
    expect([same.rank, same.alpha]).toEqual([2, 3]);
  });

  it('drops norm diffs that are all zero, as diffusers does, losing nothing', () => {
    const zeros = { shape: [C], values: new Array(C).fill(0) };
    const weights = file(original('diffusion_model.'), { extra: { 'diffusion_model.blocks.0.norm3.diff': zeros, 'diffusion_model.blocks.1.norm3.diff_b': zeros } });
    expect(loadAdapter({ weights }, wan).up).toEqual(expected.up);
  });
});

describe('what the slots cannot hold', () => {
  it('counts and names every layer kind the slots do not hold, and loads none of the file', () => {
    const ffn = (d: number, n: string): Record<string, TensorSpec> => ({
      [`diffusion_model.blocks.${d}.${n}.lora_down.weight`]: { shape: [2, C], values: new Array(2 * C).fill(1) },
      [`diffusion_model.blocks.${d}.${n}.lora_up.weight`]: { shape: [C, 2], values: new Array(2 * C).fill(1) },
      [`diffusion_model.blocks.${d}.${n}.alpha`]: { shape: [], values: [2] },
    });
    const extra = {
      ...ffn(0, 'ffn.0'), ...ffn(0, 'ffn.2'), ...ffn(1, 'ffn.0'), ...ffn(1, 'ffn.2'),
      'diffusion_model.blocks.1.norm3.diff': { shape: [C], values: new Array(C).fill(0.5) },
      'diffusion_model.blocks.0.self_attn.q.diff_b': { shape: [C], values: new Array(C).fill(0.5) },
      'diffusion_model.text_embedding.0.lora_down.weight': { shape: [2, C], values: new Array(2 * C).fill(1) },
      'diffusion_model.text_embedding.0.lora_up.weight': { shape: [C, 2], values: new Array(2 * C).fill(1) },
    };
    const e = loadError(file(original('diffusion_model.'), { extra }));
    expect(e.message).toBe(
      'Adapter "wan-style": its file holds 7 layers this model\'s LoRA slots do not: ffn.0, ffn.2 (in blocks 0–1), norm3.diff (in block 1), ' +
        'self_attn.q.diff_b (in block 0), text_embedding.0; this package\'s slots hold attn1.to_q, attn1.to_k, attn1.to_v, attn1.to_out.0, ' +
        'attn2.to_q, attn2.to_k, attn2.to_v, attn2.to_out.0 (in blocks 0–1), and applying the rest alone would change what the adapter does, ' +
        'so it is not loaded. Use a LoRA trained on those layers only.',
    );
    expect(e.where).toBe('diffusion_model.blocks.0.ffn.0.lora_down.weight');
  });

  it('names kohya layers as the file writes them', () => {
    const extra = {
      'lora_unet_blocks_0_ffn_0.lora_down.weight': { shape: [2, C], values: new Array(2 * C).fill(1) },
      'lora_unet_blocks_0_ffn_0.lora_up.weight': { shape: [C, 2], values: new Array(2 * C).fill(1) },
    };
    expect(loadError(file(kohya('blocks', (p) => TARGETS[p]!), { extra })).message).toMatch(/holds 1 layer this model's LoRA slots do not: ffn_0 \(in block 0\);/);
  });

  it('refuses a rank above the slots, naming the layer', () => {
    const big: Layer = { d: 1, p: 5, r: 5, alpha: 5 };
    expect(loadError(file(original('diffusion_model.'), { layers: [big] })).message).toBe(
      'Adapter "wan-style": blocks.1.cross_attn.k has rank 5, but this model\'s LoRA slots hold rank 4 at most; retrain it with rank ≤ 4.',
    );
  });

  it('refuses a layer given twice, under its name and an alias, or with and without a prefix', () => {
    const l: Layer = { d: 0, p: 4, r: 2 };
    const twice = encodeSafetensors({
      'blocks.0.attn2.to_q.lora_A.weight': { shape: [2, C], values: A(l) },
      'blocks.0.attn2.to_q.lora_B.weight': { shape: [C, 2], values: B(l) },
      'blocks.0.cross_attn.q.lora_down.weight': { shape: [2, C], values: A(l) },
      'blocks.0.cross_attn.q.lora_up.weight': { shape: [C, 2], values: B(l) },
    });
    const e = loadError(twice);
    expect(e.message).toBe('Adapter "wan-style": blocks.0.attn2.to_q is given twice, as blocks.0.attn2.to_q and as blocks.0.cross_attn.q; a layer may be given once, under its name or one alias.');
    expect(e.where).toBe('blocks.0.attn2.to_q');
    const prefixed = file(peft(''), { layers: [l], extra: { 'transformer.blocks.0.attn2.to_q.lora_A.weight': { shape: [2, C], values: A(l) } } });
    expect(loadError(prefixed).message).toMatch(/blocks\.0\.attn2\.to_q\.lora_A\.weight and transformer\.blocks\.0\.attn2\.to_q\.lora_A\.weight are the same part of blocks\.0\.attn2\.to_q/);
  });

  it('refuses halves named two ways, and an alpha without halves', () => {
    const l: Layer = { d: 0, p: 0, r: 1 };
    const mixed = encodeSafetensors({
      'blocks.0.attn1.to_q.lora_A.weight': { shape: [1, C], values: A(l) },
      'blocks.0.attn1.to_q.lora_up.weight': { shape: [C, 1], values: B(l) },
    });
    expect(loadError(mixed).message).toMatch(/blocks\.0\.attn1\.to_q has both lora_A\/lora_B and lora_down\/lora_up names/);
    const lone = encodeSafetensors({ 'diffusion_model.blocks.0.self_attn.q.alpha': { shape: [], values: [1] } });
    expect(loadError(lone).message).toMatch(/blocks\.0\.self_attn\.q has an alpha but no lora_down\/lora_up weights/);
    const onlyDown = encodeSafetensors({ 'lora_unet_blocks_0_attn1_to_q.lora_down.weight': { shape: [1, C], values: A(l) } });
    expect(loadError(onlyDown).message).toMatch(/lora_unet_blocks_0_attn1_to_q has lora_down but no lora_up; a LoRA layer needs both/);
  });

  it('refuses an .alpha that is not one finite number', () => {
    const l: Layer = { d: 0, p: 1, r: 2, alpha: 4 };
    expect(loadError(file(original('diffusion_model.'), { layers: [l], alphaShape: () => [2] })).message).toMatch(
      /diffusion_model\.blocks\.0\.self_attn\.k\.alpha has shape \[2\]; an alpha is one number \(shape \[\] or \[1\]\)/,
    );
    expect(loadError(file(original('diffusion_model.'), { layers: [{ ...l, alpha: Infinity }] })).message).toMatch(/\.alpha is Infinity; an alpha must be a finite number/);
  });

  it("refuses a layer whose rank is not __metadata__.rank", () => {
    const e = loadError(file(peft(''), { meta: { rank: '2' } }));
    expect(e.message).toBe('Adapter "wan-style": blocks.0.attn1.to_q.lora_A.weight has shape [4,8], but the adapter\'s __metadata__ says rank 2 (expected [2,8]).');
  });

  it('refuses a B whose rank is not its A\'s, saying where the rank came from', () => {
    const l: Layer = { d: 0, p: 1, r: 2 };
    const weights = encodeSafetensors({
      'lora_unet_blocks_0_self_attn_k.lora_down.weight': { shape: [2, C], values: A(l) },
      'lora_unet_blocks_0_self_attn_k.lora_up.weight': { shape: [C, 3], values: new Array(3 * C).fill(1) },
    });
    expect(loadError(weights).message).toMatch(/lora_up\.weight has shape \[8,3\], but its lora_down has rank 2 \(expected \[8,2\]\)/);
  });
});

describe('an adapter without a description', () => {
  it('is named after its file, a style adapter at strength 1 for the loaded model, and says it had none', () => {
    const a = loadAdapter({ weights: file(peft('transformer.')), source: 'loras/Wan2.1 CausVid_r32.safetensors' }, wan);
    expect(a.noDescription).toBe(true);
    expect(a.description).toEqual({
      format: 'vidlet-adapter', formatVersion: 1, name: 'wan2-1-causvid-r32', kind: 'style', baseModel: 'wan-test',
      triggerWords: [], recommendedStrength: 1, displayName: 'Wan2.1 CausVid_r32',
    });
    const described = loadAdapter({
      weights: file(peft('transformer.')),
      description: { format: 'vidlet-adapter', formatVersion: 1, name: 'x', kind: 'motion', baseModel: 'wan-test', triggerWords: [], recommendedStrength: 1 },
    }, wan);
    expect(described.noDescription).toBeUndefined();
  });

  it("is still refused when its own weights name another model", () => {
    const e = loadError(file(peft(''), { meta: { base_model: 'vidlet-tiny' } }));
    expect(e.message).toBe('Adapter "wan-style": its weights say base_model "vidlet-tiny", but the loaded model is "wan-test"; LoRA weights only fit the model they were trained on.');
  });
});

describe("diffusers' lora_adapter_metadata", () => {
  const config = (c: Record<string, unknown>) => ({ format: 'pt', lora_adapter_metadata: JSON.stringify(c) });
  const two: Layer[] = [{ d: 0, p: 0, r: 2 }, { d: 1, p: 5, r: 3 }];

  it('scales by its lora_alpha / r, alpha_pattern and rank_pattern matched as PEFT matches them', () => {
    const meta = config({ 'transformer.r': 2, 'transformer.lora_alpha': 4, 'transformer.rank_pattern': { '^blocks.1.attn2.to_k': 3 }, 'transformer.alpha_pattern': { 'attn2.to_k': 9 } });
    const a = loadAdapter({ weights: file(peft('transformer.'), { layers: two, alphas: false, meta }) }, wan);
    expect(a.up).toEqual(expectedSlots(two, (l) => (l.p === 5 ? 9 / 3 : 4 / 2)).up);
  });

  it('scales by alpha / √r with use_rslora, and reads a model-level file whose fields have no prefix', () => {
    const meta = config({ r: 2, lora_alpha: 4, use_rslora: true, rank_pattern: { 'blocks.1.attn2.to_k': 3 } });
    const a = loadAdapter({ weights: file(peft('transformer.'), { layers: two, alphas: false, meta }) }, wan);
    expect(a.up).toEqual(expectedSlots(two, (l) => 4 / Math.sqrt(l.r)).up);
  });

  it('refuses DoRA, a rank the config contradicts, a pattern that is a real regular expression, and two sources of alpha', () => {
    const weights = (meta: Record<string, string>, alphas = false) => file(peft('transformer.'), { layers: two.map((l) => ({ ...l, alpha: 1 })), alphas, meta });
    expect(loadError(weights(config({ 'transformer.use_dora': true, 'transformer.r': 2 }))).message).toMatch(/it is a DoRA adapter/);
    expect(loadError(weights(config({ 'transformer.r': 2 }))).message).toMatch(/blocks\.1\.attn2\.to_k has rank 3, but its lora_adapter_metadata says rank 2 for blocks\.1\.attn2\.to_k/);
    expect(loadError(weights(config({ 'transformer.r': 2, 'transformer.alpha_pattern': { '(a+)+$': 1 } }))).message).toMatch(/a regular expression Vidlet does not evaluate/);
    expect(loadError(weights(config({ 'transformer.r': 2 }), true)).message).toMatch(/\.alpha and diffusers' lora_adapter_metadata both give an alpha/);
    expect(loadError(weights({ ...config({ 'transformer.r': 2 }), alpha: '2' })).message).toMatch(/two sources of alpha/);
  });
});
