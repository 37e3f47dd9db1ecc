/**
 * The denoiser's per-scene text inputs (issue #10) for a package whose scenes.conditioning is
 * 'per-scene': the rule of docs/model-package.md "Scenes", mirrored from
 * training/vidlet_train/scenes.py (text_frame_mask) so the engine feeds what the model was
 * trained on. Pure: the caller encodes the texts and runs the graph.
 */
import type { ScenePlan } from '../package/scenes';

/** Scene lengths in latent frames; throws when a cut would fall inside a latent frame. */
export function latentSceneLengths(plan: ScenePlan, framesPerLatent: number): number[] {
  const bad = plan.filter((s) => s.frames <= 0 || s.frames % framesPerLatent !== 0);
  if (bad.length > 0) {
    throw new Error(`Scene lengths must be multiples of ${framesPerLatent} frames so every cut falls between latent frames; got ${plan.map((s) => s.frames).join(', ')}.`);
  }
  return plan.map((s) => s.frames / framesPerLatent);
}

/**
 * text_frame_mask [t, L'] row-major: 1 where latent frame f may see token l. One scene: L' = L,
 * all ones (the single-scene input exactly). S > 1: L' = (1 + S)·L, global caption first, seen by
 * every frame unless `globalCaption` is false (manifest scenes.globalCaption).
 */
export function textFrameMask(sceneLatents: readonly number[], segmentLength: number, globalCaption = true): { data: Float32Array; dims: [number, number] } {
  const t = sceneLatents.reduce((a, b) => a + b, 0);
  const width = sceneLatents.length === 1 ? segmentLength : (1 + sceneLatents.length) * segmentLength;
  const data = new Float32Array(t * width);
  if (sceneLatents.length === 1) return { data: data.fill(1), dims: [t, width] };
  let f = 0;
  sceneLatents.forEach((n, s) => {
    for (let end = f + n; f < end; f++) {
      if (globalCaption) data.fill(1, f * width, f * width + segmentLength); // the global caption
      const lo = f * width + (1 + s) * segmentLength;
      data.fill(1, lo, lo + segmentLength); // this frame's own scene
    }
  });
  return { data, dims: [t, width] };
}
