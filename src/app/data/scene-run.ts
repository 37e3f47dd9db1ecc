/**
 * A scene plan at the two ends of a run (#10): the request the engine is sent (the plan's
 * caption, as the CLI sends it, with the plan) and, once the frames are back, what the cut detector finds in
 * them against what the plan asked for. Kept apart from engine-session.ts so both are testable
 * without an engine (tests/unit/app/scene-run.test.ts).
 */
import type { FramesRGBA, GenerateRequest } from '../../engine/types';
import { detectCuts } from '../../media/cut-detector';
import type { SceneCheck } from '../../media/settings';
import type { GenerationSettings } from './generation-settings';
import { activePlan, promptForEngine } from './scene-list-state';

/**
 * The engine's request for these settings: the plan's caption as the prompt and, for two or more
 * scenes, the plan itself, which a per-scene package makes scene by scene and any other package
 * reads as that one caption (the engine says so in GenerateResult.scenes, src/engine/scene-request.ts).
 */
export function requestFromSettings(settings: GenerationSettings): Omit<GenerateRequest, 'decodeMotion'> & Omit<GenerationSettings, 'scenes'> {
  const { scenes: _plan, ...rest } = settings;
  const plan = activePlan(settings);
  return { ...rest, prompt: promptForEngine(settings), ...(plan && plan.length > 1 ? { scenes: plan.map((s) => ({ ...s })) } : {}) };
}

/**
 * Cuts found in the finished clip, when several scenes were asked for; undefined for a
 * one-prompt clip, where "1 scene found of 1 asked" would say nothing.
 */
export function checkScenes(settings: GenerationSettings, video: FramesRGBA): SceneCheck | undefined {
  const plan = activePlan(settings);
  if (!plan || plan.length < 2) return undefined;
  const report = detectCuts(video);
  return { asked: plan.length, found: report.scenes, cuts: report.cuts };
}
