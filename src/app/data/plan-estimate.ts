/**
 * The figure shown before Generate for a scene plan (#10): total frames, the memory the finished
 * frames take, and a rough time. The app has no model of the engine's cost, so the time is the
 * last run's measured cost per frame and step, scaled to this plan; before any run there is none,
 * and the figure says so rather than guessing.
 */
export interface LastRun {
  totalMs: number;
  frames: number;
  steps: number;
}

export interface PlanEstimate {
  frames: number;
  /** Bytes of the decoded clip (RGBA, and the motion view when the model decodes one). */
  frameBytes: number;
  /** Rough milliseconds, or undefined when no run has been measured yet. */
  ms?: number;
  /** What the time is based on, for the line under the list. */
  basis: string;
}

export function estimatePlan(
  plan: { frames: number; steps: number; width: number; height: number; withMotion: boolean },
  last: LastRun | undefined,
): PlanEstimate {
  const frameBytes = plan.frames * plan.width * plan.height * 4 * (plan.withMotion ? 2 : 1);
  if (!last || last.frames <= 0 || last.steps <= 0 || !(last.totalMs > 0)) {
    return { frames: plan.frames, frameBytes, basis: 'no run measured yet on this model, so no time estimate' };
  }
  const perFrameStep = last.totalMs / (last.frames * last.steps);
  return {
    frames: plan.frames,
    frameBytes,
    ms: perFrameStep * plan.frames * plan.steps,
    basis: `the last run's ${perFrameStep.toFixed(1)} ms per frame and step (${last.frames} frames, ${last.steps} steps)`,
  };
}
