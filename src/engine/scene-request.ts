/**
 * How one generate request's scene plan (GenerateRequest.scenes, issue #10) is made by the loaded
 * package: per scene, through the denoiser's `text_frame_mask`, when the package declares
 * scenes.conditioning 'per-scene' (the manifest parser then guarantees the input, components.ts),
 * on its sceneDenoiser when it has one (components.ts denoiserFor);
 * otherwise as before: one caption (the request's prompt, sceneCaption of the plan), one clip of
 * the package's length, and a note saying so. Pure, so the decision is unit-tested without ORT.
 */
import { denoiserFor, type DenoiserName } from '../package/components';
import { planProblems, singleSceneSupport, type ScenePlan, type SceneSupport } from '../package/scenes';
import { InvalidRequestError } from './errors';
import { latentSceneLengths } from './scene-input';

/** What the package says that matters here (from its manifest). */
export interface SceneModel {
  scenes?: SceneSupport;
  /** video.frames and latent.frames: their ratio is the VAE's frames per latent frame. */
  videoFrames: number;
  latentFrames: number;
  /** The package has a sceneDenoiser (components.ts denoiserFor). */
  sceneDenoiser?: boolean;
}

export interface SceneRun {
  /** The graph that denoises this clip; the plain `denoiser` takes no text_frame_mask when the package has a sceneDenoiser. */
  denoiser: DenoiserName;
  /** Latent frames of the clip (the denoiser's and decoders' t). */
  latentFrames: number;
  /**
   * The per-scene text layout for a 'per-scene' package, or null for a package that takes one
   * caption. sceneLatents: latent frames per scene; texts: the scenes' texts after the global
   * caption (the prompt), [] for one scene (the caption alone, text_frame_mask all ones).
   */
  perScene: { sceneLatents: number[]; texts: string[]; globalCaption: boolean } | null;
  /** Scenes the request asked for (1 without a plan) and scenes the model was conditioned on. */
  asked: number;
  conditioned: number;
  /** For the user when the model makes fewer scenes than asked (a one-caption package). */
  note?: string;
}

export function planSceneRun(plan: ScenePlan | undefined, model: SceneModel): SceneRun {
  const perScene = model.scenes?.conditioning === 'per-scene';
  const globalCaption = model.scenes?.globalCaption ?? true;
  const asked = plan?.length ?? 1;
  const split = !!model.sceneDenoiser;
  if (!plan || plan.length === 0) {
    // No plan: the package's own clip length and the prompt alone (a per-scene graph still takes its mask, all ones).
    const masked = perScene && !split;
    return { denoiser: 'denoiser', latentFrames: model.latentFrames, perScene: masked ? { sceneLatents: [model.latentFrames], texts: [], globalCaption } : null, asked: 1, conditioned: 1 };
  }
  if (!perScene) {
    const note = plan.length > 1 ? oneCaptionNote(plan.length, model) : undefined;
    return { denoiser: 'denoiser', latentFrames: model.latentFrames, perScene: null, asked, conditioned: 1, ...(note ? { note } : {}) };
  }
  const blocking = planProblems(plan, model.scenes).filter((p) => p.blocking);
  if (blocking.length > 0) throw new InvalidRequestError(blocking.map((p) => p.message).join(' '));
  const sceneLatents = latentSceneLengths(plan, model.videoFrames / model.latentFrames);
  const denoiser = denoiserFor(split, plan.map((s) => s.frames), model.videoFrames);
  const latentFrames = sceneLatents.reduce((a, b) => a + b, 0);
  if (split && denoiser === 'denoiser') {
    // One scene of the package's length on a package with a sceneDenoiser: the plain graph, as a prompt without a plan.
    return { denoiser, latentFrames, perScene: null, asked, conditioned: 1 };
  }
  return {
    denoiser,
    latentFrames,
    perScene: { sceneLatents, texts: plan.length > 1 ? plan.map((s) => s.text.trim()) : [], globalCaption },
    asked,
    conditioned: plan.length,
  };
}

/** The note for a plan of several scenes given to a package that takes one caption. */
function oneCaptionNote(count: number, model: SceneModel): string {
  const support = model.scenes ?? singleSceneSupport(model.videoFrames);
  if (support.maxScenes === 1) {
    // The contract's own wording for a one-scene package (src/package/scenes.ts planProblems).
    const p = planProblems(Array.from({ length: count }, () => ({ text: 'x', frames: model.videoFrames })), support);
    const note = p.find((q) => q.kind === 'one-scene-model');
    if (note) return note.message;
  }
  return `This model takes a scene plan as one caption (its package declares no per-scene conditioning): it got the ` +
    `${count} scenes as one prompt and made one ${model.videoFrames}-frame clip; the cuts are up to the model.`;
}
