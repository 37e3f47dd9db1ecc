/**
 * The components a model package holds and the roles each maps to ONNX tensor names
 * (docs/model-package.md, "Component I/O"): what the manifest parser requires of a package and
 * what the engine feeds and reads, stated once.
 */

/**
 * Every component a manifest may list. Optional: the vaeEncoder (adapter training uses it) and the
 * rewardModel (#9: scores finished takes; a package has it exactly when it has a `reward` section,
 * src/package/reward.ts).
 */
export const COMPONENTS = ['textEncoder', 'denoiser', 'vaeDecoder', 'previewDecoder', 'vaeEncoder', 'rewardModel'] as const;
export type ComponentName = (typeof COMPONENTS)[number];
export const OPTIONAL_COMPONENTS: readonly ComponentName[] = ['vaeEncoder', 'rewardModel'];

/** What a package has beyond the minimum, which decides the denoiser's roles. */
export interface PackageFeatures {
  /** A `motion` section: a joint appearance–motion (VideoJAM) model. */
  motion: boolean;
  /** A `lora` section: the denoiser takes LoRA slots. */
  lora: boolean;
  /** `scenes.conditioning` "per-scene" (scenes.ts, #10). */
  perScene: boolean;
}

/**
 * Roles each component must map to ONNX tensor names. The motion roles (`motion`, `motion_flag`,
 * `v_motion`) only with a `motion` section and the LoRA roles only with a `lora` section:
 * converted models such as Wan have neither. `text_frame_mask` only for per-scene conditioning.
 * A role a package maps beyond these is fed when the engine has it (runComponent).
 */
export function requiredRoles(component: ComponentName, has: PackageFeatures): { inputs: string[]; outputs: string[] } {
  switch (component) {
    case 'textEncoder':
      return { inputs: ['input_ids', 'attention_mask'], outputs: ['hidden'] };
    case 'denoiser':
      return {
        inputs: [
          'latent', ...(has.motion ? ['motion', 'motion_flag'] : []), 'timestep', 'text', 'text_mask',
          ...(has.lora ? ['lora_scales', 'lora_down', 'lora_up'] : []), ...(has.perScene ? ['text_frame_mask'] : []),
        ],
        outputs: ['v_latent', ...(has.motion ? ['v_motion'] : [])],
      };
    case 'vaeDecoder':
      return { inputs: ['latent'], outputs: ['video'] };
    case 'previewDecoder':
      return { inputs: ['latent'], outputs: ['preview'] };
    case 'vaeEncoder':
      return { inputs: ['video'], outputs: ['latent'] };
    case 'rewardModel':
      // video [B,3,T,H,W] in [-1,1] (the vaeDecoder's output), text [B,L,hidden] and text_mask [B,L]
      // (the textEncoder's, as the denoiser takes them) → scores [B,3], features [B,F].
      return { inputs: ['video', 'text', 'text_mask'], outputs: ['scores', 'features'] };
  }
}

/** The features of a parsed manifest (src/store/types.ts Manifest), for requiredRoles. */
export function packageFeatures(m: { motion?: unknown; lora: { slots: readonly string[] }; scenes?: { conditioning?: string } }): PackageFeatures {
  return { motion: m.motion !== undefined, lora: m.lora.slots.length > 0, perScene: m.scenes?.conditioning === 'per-scene' };
}
