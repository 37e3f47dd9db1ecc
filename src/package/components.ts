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

/**
 * Roles each component must map to ONNX tensor names. The motion roles (`motion`, `motion_flag`,
 * `v_motion`) only for a joint appearance–motion (VideoJAM) model, i.e. one with a `motion`
 * section: converted models such as Wan have none. `text_frame_mask` only for a denoiser with
 * per-scene conditioning (scenes.ts, #10). A role a package maps beyond these is fed when the
 * engine has it (runComponent), so a motionless package may still map `motion_flag`.
 */
export function requiredRoles(component: ComponentName, hasMotion: boolean, perScene = false): { inputs: string[]; outputs: string[] } {
  switch (component) {
    case 'textEncoder':
      return { inputs: ['input_ids', 'attention_mask'], outputs: ['hidden'] };
    case 'denoiser':
      return {
        inputs: [
          'latent', ...(hasMotion ? ['motion', 'motion_flag'] : []), 'timestep', 'text', 'text_mask',
          'lora_scales', 'lora_down', 'lora_up', ...(perScene ? ['text_frame_mask'] : []),
        ],
        outputs: ['v_latent', ...(hasMotion ? ['v_motion'] : [])],
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
