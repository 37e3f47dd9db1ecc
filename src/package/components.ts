/**
 * The components a model package holds and the roles each maps to ONNX tensor names
 * (docs/model-package.md, "Component I/O"): what the manifest parser requires of a package and
 * what the engine feeds and reads, stated once.
 */
import { loraGroupRoles } from './lora';

/**
 * Every component a manifest may list. Optional: the vaeEncoder (adapter training uses it), the
 * rewardModel (#9: scores finished takes; a package has it exactly when it has a `reward` section,
 * src/package/reward.ts) and the sceneDenoiser (#10: see `denoiserFor`).
 */
export const COMPONENTS = ['textEncoder', 'denoiser', 'vaeDecoder', 'previewDecoder', 'vaeEncoder', 'rewardModel', 'sceneDenoiser'] as const;
export type ComponentName = (typeof COMPONENTS)[number];
export const OPTIONAL_COMPONENTS: readonly ComponentName[] = ['vaeEncoder', 'rewardModel', 'sceneDenoiser'];

/** The two graphs that can denoise a clip. */
export type DenoiserName = 'denoiser' | 'sceneDenoiser';

/**
 * Which graph denoises a clip (docs/model-package.md "Scenes"). A package with a sceneDenoiser
 * (only with scenes.conditioning "per-scene") keeps its `denoiser` the plain single-scene graph,
 * untouched by scene training, and makes everything else with the sceneDenoiser: a plan of
 * several scenes, or one scene of another length than video.frames. Scene post-training cost the
 * embedded DiT single-scene quality (#10), so the shipped single-scene clips stay the base model's.
 */
export function denoiserFor(hasSceneDenoiser: boolean, sceneFrames: readonly number[] | null, videoFrames: number): DenoiserName {
  if (!hasSceneDenoiser || sceneFrames === null) return 'denoiser';
  return sceneFrames.length === 1 && sceneFrames[0] === videoFrames ? 'denoiser' : 'sceneDenoiser';
}

/** What a package has beyond the minimum, which decides the denoiser's roles. */
export interface PackageFeatures {
  /** A `motion` section: a joint appearance–motion (VideoJAM) model. */
  motion: boolean;
  /** A `lora` section: the denoiser takes LoRA slots. */
  lora: boolean;
  /** How many `lora.groups` it has beyond the square one (their inputs `lora_down_k`, `lora_up_k`); absent: 0. */
  loraGroups?: number;
  /** `scenes.conditioning` "per-scene" (scenes.ts, #10). */
  perScene: boolean;
  /** A `sceneDenoiser` component: then it, not the `denoiser`, takes `text_frame_mask`. */
  sceneDenoiser: boolean;
}

/**
 * Roles each component must map to ONNX tensor names. The motion roles (`motion`, `motion_flag`,
 * `v_motion`) only with a `motion` section and the LoRA roles only with a `lora` section:
 * converted models such as Wan have neither. `text_frame_mask` only for per-scene conditioning,
 * on the sceneDenoiser when the package has one, else on the denoiser.
 * Beyond these, the engine feeds only the `optionalRoles` a package maps (a session is checked
 * against and fed the roles of `mappedRoles`; any other role the manifest maps is ignored).
 */
export function requiredRoles(component: ComponentName, has: PackageFeatures): { inputs: string[]; outputs: string[] } {
  switch (component) {
    case 'textEncoder':
      return { inputs: ['input_ids', 'attention_mask'], outputs: ['hidden'] };
    case 'denoiser':
    case 'sceneDenoiser': {
      const frameMask = component === 'sceneDenoiser' || (has.perScene && !has.sceneDenoiser);
      return {
        inputs: [
          'latent', ...(has.motion ? ['motion', 'motion_flag'] : []), 'timestep', 'text', 'text_mask',
          ...(has.lora ? ['lora_scales', ...loraGroupRoles(has.loraGroups ?? 0)] : []), ...(frameMask ? ['text_frame_mask'] : []),
        ],
        outputs: ['v_latent', ...(has.motion ? ['v_motion'] : [])],
      };
    }
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

/** The vaeDecoder's (and the frame pair's) optional seeded-noise input role. */
export const DECODE_NOISE_ROLE = 'decode_noise';

/**
 * Roles a component may map beyond `requiredRoles`; the engine checks and feeds each one the
 * manifest maps, and nothing when it does not (the package then runs exactly as without it).
 * vaeDecoder `decode_noise` [1,c,t,h,w], standard normal, the latent's shape: a decoder that mixes
 * fresh noise into the latent before decoding (LTX-Video's `decode_noise_scale`), seeded by the
 * engine (src/engine/noise.ts `NoiseStream.decode`) and cut exactly as the latent is cut.
 */
export function optionalRoles(component: ComponentName): { inputs: string[]; outputs: string[] } {
  return component === 'vaeDecoder' ? { inputs: [DECODE_NOISE_ROLE], outputs: [] } : { inputs: [], outputs: [] };
}

/**
 * The roles a session of `component` is checked against and fed: the required ones, and the
 * optional ones its manifest entry maps.
 */
export function mappedRoles(component: ComponentName, has: PackageFeatures, graph: { inputs: Record<string, string>; outputs: Record<string, string> }): { inputs: string[]; outputs: string[] } {
  const req = requiredRoles(component, has);
  const opt = optionalRoles(component);
  return {
    inputs: [...req.inputs, ...opt.inputs.filter((r) => graph.inputs[r] !== undefined)],
    outputs: [...req.outputs, ...opt.outputs.filter((r) => graph.outputs[r] !== undefined)],
  };
}

/** The features of a parsed manifest (src/store/types.ts Manifest), for requiredRoles. */
export function packageFeatures(m: { motion?: unknown; lora: { slots: readonly string[]; groups?: readonly unknown[] }; scenes?: { conditioning?: string }; components: { sceneDenoiser?: unknown } }): PackageFeatures {
  return {
    motion: m.motion !== undefined,
    lora: m.lora.slots.length > 0,
    loraGroups: m.lora.groups?.length ?? 0,
    perScene: m.scenes?.conditioning === 'per-scene',
    sceneDenoiser: m.components.sceneDenoiser !== undefined,
  };
}
