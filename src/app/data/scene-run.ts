/**
 * A scene plan at the two ends of a run (#10): the request the engine is sent (the plan as one
 * caption, as the CLI sends it) and, once the frames are back, what the cut detector finds in
 * them against what the plan asked for. Kept apart from engine-session.ts so both are testable
 * without an engine (tests/unit/app/scene-run.test.ts).
 */
import type { FramesRGBA, GenerateRequest } from '../../engine/types';
import { detectCuts } from '../../media/cut-detector';
import type { SceneCheck } from '../../media/settings';
import type { GenerationSettings } from './generation-settings';
import { activePlan, promptForEngine } from './scene-list-state';

/** The engine's request for these settings, without the page-only `scenes`. */
export function requestFromSettings(settings: GenerationSettings): Omit<GenerateRequest, 'decodeMotion'> & Omit<GenerationSettings, 'scenes'> {
  const { scenes: _plan, ...rest } = settings;
  return { ...rest, prompt: promptForEngine(settings) };
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
