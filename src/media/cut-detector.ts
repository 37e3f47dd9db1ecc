/**
 * Hard cuts in a clip, the way PySceneDetect finds them (issue #10: after a multi-scene
 * generation the page and the CLI say which cuts the clip really has).
 *
 * Score: ContentDetector's content_val. Each frame is converted to 8-bit HSV as OpenCV does
 * (hsv.ts); frame i's score is the mean over pixels of |ΔH|, |ΔS| and |ΔV| against frame i − 1,
 * averaged over the three channels (its default weights 1, 1, 1, no edges). Hue differences are
 * plain, not taken around the colour circle, as PySceneDetect takes them. Frame 0 scores 0.
 * (Issue #10 says "HSV-histogram difference"; ContentDetector compares pixels, not histograms,
 * which is PySceneDetect's HistogramDetector. Pixels it is, so the two can be compared.)
 *
 * Decision, one of two rules:
 * - 'content' (PySceneDetect's ContentDetector): frame i starts a new scene when its score is at
 *   least `threshold` (27, its default).
 * - 'adaptive' (its AdaptiveDetector): when its score is at least `adaptiveRatio` (3) times the
 *   mean score of the `windowWidth` (2) frames on each side, and at least `minScore` (15). A
 *   steady camera pan over stripes scores high on every frame, so its ratio stays near 1.
 *   Where PySceneDetect waits for a full window (no cut within `windowWidth` frames of either end,
 *   and frame 0's 0 counted among the neighbours), this uses the neighbours that exist.
 * Either way a cut is kept only when its scene, counted from the clip's start or the previous
 * kept cut, has at least `minSceneFrames` frames; the last scene may be shorter (as in
 * PySceneDetect, whose min_scene_len is 15 frames, half a second at 30 fps: 4 frames here is
 * half a second at the shipped model's 8 fps).
 *
 * Fades (tests/unit/scenes/cut-detector.test.ts holds each case): a fade or dissolve spreads its
 * change over its steps, so it is found only where one step stands out.
 * - A dissolve of 1–2 steps is a cut at its first step in both modes.
 * - A longer dissolve between similar colours is no cut in either mode. Between far-apart hues
 *   (blue into yellow) its middle passes through grey, where hue swings by tens of levels in one
 *   step: 'content' finds a cut there when that step reaches the threshold, 'adaptive' does not
 *   (the neighbouring steps are nearly as large).
 * - A fade from or to black is a cut at its black end in both modes: HSV's hue and saturation are
 *   0 at black and jump to the scene's at the first step of light.
 * Vidlet's models are trained on hard cuts only (training/vidlet_train/world: "then cut to").
 */
import type { FramesRGBA } from '../engine/types';
import { assertFrames, frameBytes } from './frames';
import { rgbaToHsv, type HsvPlanes } from './hsv';

export interface CutOptions {
  mode?: 'content' | 'adaptive';
  /** 'content': the lowest score that is a cut (PySceneDetect's default 27). */
  threshold?: number;
  /** 'adaptive': how many times its neighbours' mean a cut's score must be (default 3). */
  adaptiveRatio?: number;
  /** 'adaptive': neighbours on each side (default 2). */
  windowWidth?: number;
  /** 'adaptive': the lowest score that is a cut whatever its ratio (default 15). */
  minScore?: number;
  /** The fewest frames a scene may have (default 4). */
  minSceneFrames?: number;
}

/** PySceneDetect's defaults but the scene length; 'adaptive' first because a steady pan over a
 * pattern, which the models draw, can pass 'content''s threshold on every frame. */
export const CUT_DEFAULTS: Required<CutOptions> = {
  mode: 'adaptive', threshold: 27, adaptiveRatio: 3, windowWidth: 2, minScore: 15, minSceneFrames: 4,
};

export interface CutReport {
  /** Frames that start a new scene (never 0), ascending. */
  cuts: number[];
  /** cuts.length + 1. */
  scenes: number;
  /** Each frame's content score against the previous one; scores[0] is 0. */
  scores: number[];
}

export function detectCuts(video: FramesRGBA, options: CutOptions = {}): CutReport {
  const scores = contentScores(video);
  const cuts = cutsFromScores(scores, options);
  return { cuts, scenes: cuts.length + 1, scores };
}

/** ContentDetector's score of every frame against the one before it. */
export function contentScores(video: FramesRGBA): number[] {
  assertFrames(video);
  const pixels = video.width * video.height;
  const scores = [0];
  let previous: HsvPlanes | undefined;
  for (let f = 0; f < video.frames; f++) {
    const hsv = rgbaToHsv(frameBytes(video, f), pixels);
    if (previous) {
      const dh = meanAbsDiff(hsv.h, previous.h);
      const ds = meanAbsDiff(hsv.s, previous.s);
      const dv = meanAbsDiff(hsv.v, previous.v);
      scores.push((dh + ds + dv) / 3);
    }
    previous = hsv;
  }
  return scores;
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** The frames that start a new scene, from the scores of contentScores. */
export function cutsFromScores(scores: readonly number[], options: CutOptions = {}): number[] {
  const o = { ...CUT_DEFAULTS, ...options };
  const cuts: number[] = [];
  let sceneStart = 0;
  for (let i = 1; i < scores.length; i++) {
    if (!isCut(scores, i, o)) continue;
    if (i - sceneStart < o.minSceneFrames) continue;
    cuts.push(i);
    sceneStart = i;
  }
  return cuts;
}

function isCut(scores: readonly number[], i: number, o: Required<CutOptions>): boolean {
  const score = scores[i]!;
  if (o.mode === 'content') return score >= o.threshold;
  if (score < o.minScore) return false;
  let sum = 0;
  let n = 0;
  for (let j = Math.max(1, i - o.windowWidth); j <= Math.min(scores.length - 1, i + o.windowWidth); j++) {
    if (j === i) continue;
    sum += scores[j]!;
    n++;
  }
  const mean = n > 0 ? sum / n : 0;
  // Still neighbours (mean 0) make any score over minScore a cut, as PySceneDetect's ratio of 255 does.
  return mean < 1e-5 || score / mean >= o.adaptiveRatio;
}

/** "2 scenes found of 2 asked" (what the page and the CLI say after a multi-scene generation). */
export function cutSummary(found: number, asked: number): string {
  return `${found} ${found === 1 ? 'scene' : 'scenes'} found of ${asked} asked`;
}
