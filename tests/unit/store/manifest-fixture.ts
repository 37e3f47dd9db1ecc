/** A valid format-1 manifest built in code (tests must not depend on the trained model's export). */
import { expect } from 'vitest';
import { ManifestError } from '../../../src/store/errors';
import { parseManifest } from '../../../src/store/manifest';

export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);

function variant(path: string, sha = SHA_A, bytes = 1000) {
  return { files: [{ path, bytes, sha256: sha }] };
}

export function validManifest(): Record<string, any> {
  return {
    format: 'vidlet-model',
    formatVersion: 1,
    name: 'vidlet-tiny',
    displayName: 'Vidlet tiny (test)',
    description: 'test manifest',
    license: 'MIT',
    modelCard: 'MODEL_CARD.md',
    video: { width: 128, height: 128, frames: 16, fps: 8 },
    latent: { channels: 4, frames: 4, height: 16, width: 16, scale: 1.0, shift: 0.0 },
    motion: { channels: 4 },
    text: { tokenizer: 'tokenizer.json', maxLength: 64, hiddenSize: 384, vocabulary: 'vocabulary.json' },
    schedule: {
      type: 'flow-matching', shift: 1.0, defaultSteps: 20, defaultGuidance: 5.0,
      defaultInnerGuidance: 3.0, defaultSampler: 'euler',
    },
    components: {
      textEncoder: {
        inputs: { input_ids: 'input_ids', attention_mask: 'attention_mask' },
        outputs: { hidden: 'last_hidden_state' },
        variants: { fp32: variant('text_encoder.onnx', '1'.repeat(64)), int8: variant('text_encoder.int8.onnx', '2'.repeat(64)) },
      },
      denoiser: {
        inputs: {
          latent: 'latent', motion: 'motion', timestep: 'timestep', text: 'text', text_mask: 'text_mask',
          motion_flag: 'motion_flag', lora_scales: 'lora_scales', lora_down: 'lora_down', lora_up: 'lora_up',
        },
        outputs: { v_latent: 'v_latent', v_motion: 'v_motion' },
        variants: {
          fp32: { files: [{ path: 'denoiser.onnx', bytes: 500, sha256: '3'.repeat(64) }, { path: 'denoiser.onnx.data', bytes: 9000, sha256: '4'.repeat(64) }] },
          fp16: { ...variant('denoiser.fp16.onnx', '5'.repeat(64)), requires: ['shader-f16'] },
        },
      },
      vaeDecoder: { inputs: { latent: 'z' }, outputs: { video: 'video' }, variants: { fp32: variant('vae_decoder.onnx', '6'.repeat(64)) } },
      previewDecoder: { inputs: { latent: 'z' }, outputs: { preview: 'preview' }, variants: { fp32: variant('preview_decoder.onnx', '7'.repeat(64)) } },
    },
    lora: { slots: ['identity', 'motion'], depth: 6, targets: ['attn.q', 'attn.k', 'attn.v', 'attn.o'], rank: 8, width: 192 },
    adapters: [
      { name: 'spin', kind: 'motion', file: 'adapters/spin.safetensors', description: 'adapters/spin.json', bytes: 2048, sha256: SHA_B },
    ],
    blender: { file: 'blender.json', bytes: 100, sha256: '8'.repeat(64) },
  };
}

/** The ManifestError parseManifest throws for `m` (fails the test when it throws none or another kind). */
export function errorOf(m: unknown): ManifestError {
  try {
    parseManifest(m);
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return e as ManifestError;
  }
  throw new Error('parseManifest accepted a broken manifest');
}
