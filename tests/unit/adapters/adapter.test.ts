import { describe, expect, it } from 'vitest';
import { loadAdapter, type TargetModel } from '../../../src/engine/adapters/adapter';
import { parseAdapterDescription } from '../../../src/engine/adapters/description';
import { AdapterError, SafetensorsError } from '../../../src/engine/adapters/errors';
import { encodeSafetensors, type TensorSpec } from './build-safetensors';

// A small model: 3 blocks, 2 targets, width 4, slots of rank 3.
const model: TargetModel = {
  name: 'vidlet-test',
  lora: { slots: ['identity', 'motion'], depth: 3, targets: ['attn.q', 'attn.v'], rank: 3, width: 4 },
};
const D = 3;
const P = 2;
const R = 3;
const C = 4;

const description = (over: Record<string, unknown> = {}) => ({
  format: 'vidlet-adapter',
  formatVersion: 1,
  name: 'pip',
  kind: 'identity',
  baseModel: 'vidlet-test',
  triggerWords: ['pip'],
  recommendedStrength: 0.8,
  ...over,
});

/** Deterministic distinct values so a misplaced element changes the result. */
const seq = (n: number, start: number) => Array.from({ length: n }, (_, i) => start + i);

function layer(r: number, start: number): { A: TensorSpec; B: TensorSpec } {
  return { A: { shape: [r, C], values: seq(r * C, start) }, B: { shape: [C, r], values: seq(C * r, start + 100) } };
}

function adapterFile(layers: Record<string, { A: TensorSpec; B: TensorSpec }>, meta: Record<string, string>) {
  const tensors: Record<string, TensorSpec> = {};
  for (const [name, { A, B }] of Object.entries(layers)) {
    tensors[`${name}.lora_A.weight`] = A;
    tensors[`${name}.lora_B.weight`] = B;
  }
  return encodeSafetensors(tensors, meta);
}

function loadError(weights: Uint8Array, desc: unknown = description()): Error {
  try {
    loadAdapter({ weights, description: desc }, model);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected loadAdapter to throw');
}

describe('loadAdapter', () => {
  it('zero-pads rank 2 to the slot rank 3 and scales B by alpha/r', () => {
    const r = 2;
    const weights = adapterFile({ 'blocks.1.attn.v': layer(r, 1) }, { rank: '2', alpha: '4' });
    const a = loadAdapter({ weights, description: description() }, model);
    expect(a.rank).toBe(2);
    expect(a.alpha).toBe(4);
    expect(a.layers).toEqual(['blocks.1.attn.v']);
    expect(a.down.length).toBe(D * P * R * C);
    expect(a.up.length).toBe(D * P * C * R);

    const base = (1 * P + 1) * R * C;
    const down = a.down.subarray(base, base + R * C);
    // A rows 0..1 as written, row 2 (padding) zero.
    expect([...down]).toEqual([...seq(8, 1), 0, 0, 0, 0]);
    const up = a.up.subarray(base, base + C * R);
    const B = seq(C * r, 101);
    for (let row = 0; row < C; row++) {
      expect([...up.subarray(row * R, row * R + R)]).toEqual([B[row * r]! * 2, B[row * r + 1]! * 2, 0]);
    }
    // Every other layer stays zero (an exact no-op in its slot).
    const others = [...a.down].filter((_, i) => i < base || i >= base + R * C);
    expect(others.every((v) => v === 0)).toBe(true);
  });

  it('computes exactly (alpha/r)·B·A through the padded slot', () => {
    const weights = adapterFile({ 'blocks.0.attn.q': layer(2, -3) }, { rank: '2', alpha: '1' });
    const a = loadAdapter({ weights, description: description() }, model);
    const A = seq(2 * C, -3);
    const B = seq(C * 2, 97);
    const x = [0.5, -1, 2, 0.25];
    const viaSlot = matvec(a.up.subarray(0, C * R), C, R, matvec(a.down.subarray(0, R * C), R, C, x));
    const direct = matvec(B, C, 2, matvec(A, 2, C, x)).map((v) => v * 0.5);
    viaSlot.forEach((v, i) => expect(v).toBeCloseTo(direct[i]!, 4));
  });

  it('reads BF16/F16 weights and PEFT base_model.model. names', () => {
    const tensors: Record<string, TensorSpec> = {
      'base_model.model.blocks.2.attn.q.lora_A.weight': { dtype: 'BF16', shape: [1, C], values: [1, -2, 0.5, 4] },
      'base_model.model.blocks.2.attn.q.lora_B.weight': { dtype: 'F16', shape: [C, 1], values: [0.25, 1, 2, -1] },
    };
    const a = loadAdapter({ weights: encodeSafetensors(tensors, { rank: '1', alpha: '2' }), description: description() }, model);
    expect(a.layers).toEqual(['blocks.2.attn.q']);
    const base = (2 * P + 0) * R * C;
    expect([...a.down.subarray(base, base + C)]).toEqual([1, -2, 0.5, 4]);
    expect([0, 1, 2, 3].map((row) => a.up[base + row * R])).toEqual([0.5, 2, 4, -2]);
  });

  it('names the layer and the width when the width differs', () => {
    const weights = encodeSafetensors(
      {
        'blocks.1.attn.q.lora_A.weight': { shape: [3, 8], values: seq(24, 0) },
        'blocks.1.attn.q.lora_B.weight': { shape: [4, 3], values: seq(12, 0) },
      },
      { rank: '3', alpha: '3' },
    );
    const e = loadError(weights);
    expect(e).toBeInstanceOf(AdapterError);
    expect(e.message).toBe(
      'Adapter "pip": blocks.1.attn.q.lora_A.weight has shape [3,8], but this model\'s blocks are 4 wide (expected [3,4]).',
    );
    expect((e as AdapterError).where).toBe('blocks.1.attn.q.lora_A.weight');
  });

  it('rejects a B whose rank disagrees with the metadata', () => {
    const weights = encodeSafetensors(
      {
        'blocks.0.attn.v.lora_A.weight': { shape: [2, C], values: seq(8, 0) },
        'blocks.0.attn.v.lora_B.weight': { shape: [C, 3], values: seq(12, 0) },
      },
      { rank: '2', alpha: '2' },
    );
    expect(loadError(weights).message).toMatch(/blocks\.0\.attn\.v\.lora_B\.weight has shape \[4,3\], but the adapter's __metadata__ says rank 2 \(expected \[4,2\]\)/);
  });

  it('rejects 3-D weights', () => {
    const weights = encodeSafetensors(
      {
        'blocks.0.attn.v.lora_A.weight': { shape: [1, 1, C], values: seq(4, 0) },
        'blocks.0.attn.v.lora_B.weight': { shape: [C, 1], values: seq(4, 0) },
      },
      { rank: '1', alpha: '1' },
    );
    expect(loadError(weights).message).toMatch(/has shape \[1,1,4\], but LoRA weights are 2-D/);
  });

  it('rejects a rank above the slot rank', () => {
    const weights = adapterFile({ 'blocks.0.attn.q': layer(4, 0) }, { rank: '4', alpha: '4' });
    expect(loadError(weights).message).toMatch(/rank 4, but this model's LoRA slots hold rank 3 at most; retrain it with rank ≤ 3/);
  });

  it('rejects non-numeric rank/alpha (both may be missing: docs/adapter-format.md)', () => {
    const l = { 'blocks.0.attn.q': layer(1, 0) };
    expect(loadError(adapterFile(l, { rank: '1', alpha: 'x' })).message).toMatch(/__metadata__.alpha is "x", not a number/);
    expect(loadError(adapterFile(l, { rank: '1.5', alpha: '1' })).message).toMatch(/rank is 1.5; it must be a positive integer/);
    expect(loadError(adapterFile(l, { rank: '1', alpha: '0' })).message).toMatch(/alpha is 0; it must be a positive number/);
  });

  it('rejects another base model, in the description or the weights', () => {
    const weights = adapterFile({ 'blocks.0.attn.q': layer(1, 0) }, { rank: '1', alpha: '1' });
    expect(loadError(weights, description({ baseModel: 'vidlet-large' })).message).toBe(
      'Adapter "pip": it was trained on "vidlet-large", but the loaded model is "vidlet-test"; LoRA weights only fit the model they were trained on.',
    );
    const tagged = adapterFile({ 'blocks.0.attn.q': layer(1, 0) }, { rank: '1', alpha: '1', base_model: 'other' });
    expect(loadError(tagged).message).toMatch(/weights say base_model "other" but its description says "vidlet-test"/);
  });

  it('rejects layers the model does not have', () => {
    const deep = adapterFile({ 'blocks.3.attn.q': layer(1, 0) }, { rank: '1', alpha: '1' });
    expect(loadError(deep).message).toMatch(/blocks\.3\.attn\.q\.lora_A\.weight is for block 3, but this model has 3 blocks \(0…2\)/);
    // A layer the slots do not hold refuses the whole file (nothing is half-applied): counted and named.
    const k = adapterFile({ 'blocks.0.attn.k': layer(1, 0), 'blocks.0.attn.q': layer(1, 0) }, { rank: '1', alpha: '1' });
    expect(loadError(k).message).toBe(
      'Adapter "pip": its file holds 1 layer this model\'s LoRA slots do not: attn.k (in block 0); this package\'s slots hold attn.q, attn.v ' +
        '(in blocks 0–2), and applying the rest alone would change what the adapter does, so it is not loaded. Use a LoRA trained on those layers only.',
    );
    const zeroPadded = adapterFile({ 'blocks.01.attn.q': layer(1, 0) }, { rank: '1', alpha: '1' });
    expect(loadError(zeroPadded).message).toMatch(/holds 1 layer this model's LoRA slots do not: blocks\.01\.attn\.q;/);
  });

  it('rejects an A without its B, and an empty file', () => {
    const onlyA = encodeSafetensors({ 'blocks.0.attn.q.lora_A.weight': { shape: [1, C], values: seq(4, 0) } }, { rank: '1', alpha: '1' });
    expect(loadError(onlyA).message).toMatch(/blocks\.0\.attn\.q has lora_A but no lora_B/);
    expect(loadError(encodeSafetensors({}, { rank: '1', alpha: '1' })).message).toMatch(/holds no LoRA weights/);
  });

  it('rejects non-finite weights', () => {
    const l = layer(1, 0);
    (l.A.values as number[])[2] = NaN;
    expect(loadError(adapterFile({ 'blocks.0.attn.q': l }, { rank: '1', alpha: '1' })).message).toMatch(/lora_A\.weight holds a non-finite value \(NaN\) at index 2/);
  });

  it('passes malformed files through as SafetensorsError', () => {
    expect(loadError(new Uint8Array(3))).toBeInstanceOf(SafetensorsError);
  });
});

describe('parseAdapterDescription', () => {
  it('accepts a full description and keeps optional fields', () => {
    const d = parseAdapterDescription(description({ displayName: 'Pip', training: { steps: 10 } }));
    expect(d.kind).toBe('identity');
    expect(d.triggerWords).toEqual(['pip']);
    expect(d.displayName).toBe('Pip');
    expect(d.training).toEqual({ steps: 10 });
  });

  it.each([
    [{ format: 'lora' }, /format must be "vidlet-adapter"/],
    [{ formatVersion: 2 }, /formatVersion is 2, but this Vidlet reads version 1/],
    [{ name: 'Pip!' }, /name must be 1–64 characters/],
    [{ kind: 'face' }, /kind must be one of identity, motion, style, but it is "face"/],
    [{ baseModel: '' }, /baseModel must name the model/],
    [{ triggerWords: 'pip' }, /triggerWords must be a list/],
    [{ triggerWords: [''] }, /triggerWords must be a list of non-empty strings/],
    [{ recommendedStrength: '1' }, /recommendedStrength must be a finite number/],
    [{ license: 3 }, /license must be a string/],
  ])('rejects %j', (over, pattern) => {
    expect(() => parseAdapterDescription(description(over), 'pip.json')).toThrow(pattern);
  });

  it('rejects non-objects', () => {
    expect(() => parseAdapterDescription([], 'pip.json')).toThrow(/pip\.json must be a JSON object/);
  });
});

function matvec(m: ArrayLike<number>, rows: number, cols: number, x: ArrayLike<number>): number[] {
  return Array.from({ length: rows }, (_, i) => {
    let s = 0;
    for (let j = 0; j < cols; j++) s += m[i * cols + j]! * x[j]!;
    return s;
  });
}
