/**
 * Synthetic LoRA adapters for the integration tests: seeded rank-4 weights on every block's
 * targets, written as real .safetensors (F32, string metadata) with a description JSON, in the
 * format of docs/adapter-format.md.
 */
import { gaussianNoise } from '../../../src/engine/noise';

/** A safetensors file with F32 tensors and string metadata. */
export function safetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export function makeAdapter(name: string, kind: string, baseModel: string, lora: { depth: number; targets: string[]; width: number }, seed: number) {
  const r = 4;
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  let k = 0;
  for (let d = 0; d < lora.depth; d++) {
    for (const p of lora.targets) {
      // Large enough to move a random-init model visibly: A, B ~ N(0, 0.5²).
      tensors[`blocks.${d}.${p}.lora_A.weight`] = { shape: [r, lora.width], data: gaussianNoise(seed, 10 + k++, r * lora.width).map((v) => v * 0.5) };
      tensors[`blocks.${d}.${p}.lora_B.weight`] = { shape: [lora.width, r], data: gaussianNoise(seed, 10 + k++, r * lora.width).map((v) => v * 0.5) };
    }
  }
  const weights = safetensors(tensors, { rank: String(r), alpha: String(r), base_model: baseModel, format: 'vidlet-lora' });
  const description = { format: 'vidlet-adapter', formatVersion: 1, name, kind, baseModel, triggerWords: [], recommendedStrength: 1 };
  return { weights, description };
}

