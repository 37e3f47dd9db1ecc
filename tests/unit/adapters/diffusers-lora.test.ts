/**
 * LoRA files of other trainers, read by the engine and by diffusers itself: tests/fixtures/lora/make.py
 * (command in its docstring) wrote each file for a tiny Wan 2.1 / LTX-Video transformer and loaded
 * it as `load_lora_weights` does (diffusers' conversion of the original and musubi-tuner names and
 * alphas, its lora_adapter_metadata, then PEFT), keeping the update PEFT adds to each weight,
 * scaling · lora_B · lora_A. The slots must add the same update: up · down of the layer's rows.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAdapter, type LoadedAdapter, type TargetModel } from '../../../src/engine/adapters/adapter';
import { parseSafetensors, tensorToFloat32 } from '../../../src/engine/adapters/safetensors';

const dir = fileURLToPath(new URL('../../fixtures/lora/', import.meta.url));
const read = (name: string) => new Uint8Array(readFileSync(dir + name));
const expected = parseSafetensors(read('expected.safetensors'));

const TARGETS = ['attn1.to_q', 'attn1.to_k', 'attn1.to_v', 'attn1.to_out.0', 'attn2.to_q', 'attn2.to_k', 'attn2.to_v', 'attn2.to_out.0'];
const ALIASES = {
  'self_attn.q': 'attn1.to_q', 'self_attn.k': 'attn1.to_k', 'self_attn.v': 'attn1.to_v', 'self_attn.o': 'attn1.to_out.0',
  'cross_attn.q': 'attn2.to_q', 'cross_attn.k': 'attn2.to_k', 'cross_attn.v': 'attn2.to_v', 'cross_attn.o': 'attn2.to_out.0',
};
const D = 2;
const C = 8;
const R = 4;
const P = TARGETS.length;
const wan: TargetModel = { name: 'wan-tiny', lora: { slots: ['style'], depth: D, targets: TARGETS, rank: R, width: C, blocks: 'blocks', aliases: ALIASES } };
const ltx: TargetModel = { name: 'ltx-tiny', lora: { ...wan.lora, blocks: 'transformer_blocks', aliases: {} } };

/** The update the slot adds for module `path`: up [C,R] · down [R,C]. */
function slotUpdate(a: LoadedAdapter, model: TargetModel, path: string): Float64Array {
  const [, block, ...target] = path.slice(model.lora.blocks!.length).split('.');
  const base = (Number(block) * P + TARGETS.indexOf(target.join('.'))) * R * C;
  const out = new Float64Array(C * C);
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) {
      let s = 0;
      for (let k = 0; k < R; k++) s += a.up[base + i * R + k]! * a.down[base + k * C + j]!;
      out[i * C + j] = s;
    }
  }
  return out;
}

/** diffusers' updates of one case, by module path. */
function diffusersUpdates(kase: string): Map<string, Float32Array> {
  return new Map([...expected.tensors].filter(([name]) => name.startsWith(`${kase}/`)).map(([name, t]) => [name.slice(kase.length + 1), tensorToFloat32(t)]));
}

describe('the same update as diffusers load_lora_weights', () => {
  it.each([
    ['wan-original', 'wan-original', wan],
    ['wan-musubi-attention', 'wan-musubi', wan],
    ['wan-peft', 'wan-peft', wan],
    ['wan-peft-config', 'wan-peft-config', wan],
    ['ltx-original', 'ltx-original', ltx],
  ] as const)('%s.safetensors', (file, kase, model) => {
    const a = loadAdapter({ weights: read(`${file}.safetensors`), source: `${file}.safetensors` }, model);
    const want = diffusersUpdates(kase);
    expect(want.size).toBeGreaterThan(0);
    // The same layers, no more, no fewer.
    expect([...a.layers].sort()).toEqual([...want.keys()].sort());
    for (const [path, update] of want) {
      const got = slotUpdate(a, model, path);
      // Both are float32 products of the same dyadic inputs; diffusers folds alpha/r into A (and
      // B) before PEFT multiplies, the slots into B: they differ by rounding only.
      const worst = Math.max(...got.map((v, i) => Math.abs(v - update[i]!) / Math.max(1, Math.abs(update[i]!))));
      expect(worst, path).toBeLessThan(1e-5);
    }
  });

  it('were made by the diffusers this engine follows', () => {
    expect(expected.metadata['diffusers']).toBe('0.42.1');
  });

  it('refuses the musubi file with its ffn layers, which diffusers applies and the slots cannot hold', () => {
    expect(() => loadAdapter({ weights: read('wan-musubi.safetensors'), source: 'wan-musubi.safetensors' }, wan)).toThrow(
      /holds 4 layers this model's LoRA slots do not: ffn_0, ffn_2 \(in blocks 0–1\);/,
    );
  });
});
