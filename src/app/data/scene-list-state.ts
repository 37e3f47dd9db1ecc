/**
 * The page's scene list (#10) as pure data: the edits the scene list makes (add, remove, move,
 * retext, relength), the split it offers for a typed prompt, what reaches the engine, where the
 * cuts fall, and the total frames of a plan. The components only call these, so every rule here
 * is unit-tested without a browser (tests/unit/app/scene-list-state.test.ts).
 *
 * Nothing the user typed is ever dropped: removing a scene is the user's own act, and going back
 * to one prompt joins the scene texts rather than keeping only the first.
 */
import { parseScenes, type ParsedScenes } from '../../package/scene-text';
import {
  ANY_MODEL, MAX_SCENES, canMake, clipFrames, planProblems, sceneCaption, singleSceneSupport,
  type ScenePlan, type ScenePlanProblem, type SceneSupport,
} from '../../package/scenes';
import type { ModelInfo } from '../../engine/types';

/** What the loaded model declares; a package without "scenes" makes one scene of its own length. */
export function supportOf(model: Pick<ModelInfo, 'scenes' | 'video'> | undefined): SceneSupport | undefined {
  if (!model) return undefined;
  return model.scenes ?? singleSceneSupport(model.video.frames);
}

/**
 * A scene length the model can make: clamped into the model's range (the contract's before a
 * model is known) and rounded to its frame step, the nearer multiple, ties upwards. A value that
 * is not a number keeps `fallback`, so a cleared input never becomes NaN frames.
 */
export function snapFrames(value: number, support: SceneSupport | undefined, fallback: number): number {
  if (!Number.isFinite(value)) return fallback;
  // a one-scene model ignores scene lengths, so the contract's range is the one to keep to
  const { minFrames: min, maxFrames: max, frameStep: step } = multiScene(support) ?? ANY_MODEL;
  const clamped = Math.min(max, Math.max(min, value));
  const snapped = Math.round(clamped / step) * step;
  // rounding may step past max (or under min) when they are not multiples of the step
  if (snapped > max) return snapped - step;
  if (snapped < min) return snapped + step;
  return snapped;
}

/** The default length of a new scene for this model (the contract's before one is loaded). */
export function defaultSceneFrames(support: SceneSupport | undefined): number {
  return (multiScene(support) ?? ANY_MODEL).defaultFrames;
}

function multiScene(support: SceneSupport | undefined): SceneSupport | undefined {
  return support && support.maxScenes > 1 ? support : undefined;
}

/** A new empty scene after the last one; refused past MAX_SCENES, so the button says why instead. */
export function addScene(plan: ScenePlan, support: SceneSupport | undefined): ScenePlan {
  if (plan.length >= MAX_SCENES) return plan;
  return [...plan, { text: '', frames: defaultSceneFrames(support) }];
}

export function removeScene(plan: ScenePlan, index: number): ScenePlan {
  if (index < 0 || index >= plan.length) return plan;
  return plan.filter((_, i) => i !== index);
}

/** Moves scene `index` by `by` places (−1 up, +1 down); at either end it stays where it is. */
export function moveScene(plan: ScenePlan, index: number, by: number): ScenePlan {
  const to = index + by;
  if (index < 0 || index >= plan.length || to < 0 || to >= plan.length) return plan;
  const out = plan.slice();
  const [moved] = out.splice(index, 1);
  out.splice(to, 0, moved!);
  return out;
}

export function setSceneText(plan: ScenePlan, index: number, text: string): ScenePlan {
  return plan.map((s, i) => (i === index ? { ...s, text } : s));
}

export function setSceneFrames(plan: ScenePlan, index: number, frames: number, support: SceneSupport | undefined): ScenePlan {
  return plan.map((s, i) => (i === index ? { ...s, frames: snapFrames(frames, support, s.frames) } : s));
}

/**
 * The one prompt a scene list goes back to: the texts joined as the training captions join
 * scenes (sceneCaption), so parsing it again gives the same scenes and nothing typed is lost.
 * Empty scenes add nothing to it.
 */
export function joinScenes(plan: ScenePlan): string {
  return sceneCaption(plan.filter((s) => s.text.trim() !== ''));
}

/**
 * The split offered for a typed prompt ("Split into 2 scenes?"), or undefined when the prompt
 * reads as one scene. The offer carries the parser's own sentence, so the user sees why.
 */
export interface SplitOffer {
  plan: ScenePlan;
  description: string;
  rule: ParsedScenes['rule'];
}

export function splitOffer(prompt: string, support: SceneSupport | undefined): SplitOffer | undefined {
  const parsed = parseScenes(prompt, defaultSceneFrames(support));
  if (parsed.plan.length < 2) return undefined;
  return { plan: parsed.plan, description: parsed.description, rule: parsed.rule };
}

/** The scenes a settings record plans, or undefined for a one-prompt clip. */
export function activePlan(settings: { scenes?: ScenePlan }): ScenePlan | undefined {
  return settings.scenes && settings.scenes.length > 0 ? settings.scenes : undefined;
}

/**
 * The prompt the engine is given: a scene plan as the CLI sends its --scene flags (sceneCaption,
 * src/package/scenes.ts, the one function both use), else the prompt exactly as typed.
 */
export function promptForEngine(settings: { prompt: string; scenes?: ScenePlan }): string {
  const plan = activePlan(settings);
  return plan ? sceneCaption(plan) : settings.prompt;
}

/** The plan's problems for this model, each tied to its scene when it has one. */
export interface PlanCheck {
  problems: ScenePlanProblem[];
  /** Problems about scene i (0-based), for showing on its row. */
  forScene: (index: number) => ScenePlanProblem[];
  /** Problems about the whole plan (too many scenes, a one-scene model's note). */
  general: ScenePlanProblem[];
  canGenerate: boolean;
  /** Why Generate is disabled, one sentence; undefined when it is not. */
  blockedBecause?: string;
}

export function checkPlan(plan: ScenePlan, support: SceneSupport | undefined): PlanCheck {
  const problems = planProblems(plan, support);
  const blocking = problems.filter((p) => p.blocking);
  return {
    problems,
    forScene: (i) => problems.filter((p) => p.scene === i + 1),
    general: problems.filter((p) => p.scene === undefined),
    canGenerate: canMake(problems),
    ...(blocking.length > 0 ? { blockedBecause: blocking.map((p) => p.message).join(' ') } : {}),
  };
}

/**
 * Where the cuts fall: the first frame of every scene after the first (frame indices of the
 * finished clip). A one-scene model makes its own length with no planned cut, so none.
 */
export function plannedCuts(plan: ScenePlan, support: SceneSupport | undefined): number[] {
  if (plan.length < 2 || support?.maxScenes === 1) return [];
  const cuts: number[] = [];
  let at = 0;
  for (const s of plan.slice(0, -1)) {
    at += s.frames;
    cuts.push(at);
  }
  return cuts;
}

/** Frames the clip will have: the plan's, or the model's own length when it makes one scene. */
export function plannedFrames(plan: ScenePlan | undefined, support: SceneSupport | undefined, modelFrames: number): number {
  if (!plan || support?.maxScenes === 1) return modelFrames;
  return clipFrames(plan);
}

/** Cut positions as fractions of the clip (0–1), for marks on a strip or scrubber. */
export function cutFractions(cuts: readonly number[], frames: number): number[] {
  if (frames <= 0) return [];
  return cuts.filter((c) => c > 0 && c < frames).map((c) => c / frames);
}

/** Where a run's planned cuts fall, as fractions of its clip, for the live preview's marks. */
export function plannedCutFractions(settings: { scenes?: ScenePlan }, model: Pick<ModelInfo, 'scenes' | 'video'> | undefined): number[] {
  const plan = activePlan(settings);
  if (!plan) return [];
  const support = supportOf(model);
  return cutFractions(plannedCuts(plan, support), plannedFrames(plan, support, model?.video.frames ?? 0));
}
