/**
 * What the schedule editor draws: an adapter's weight against denoising progress, one line per
 * block group. The x axis runs left to right through the run: for curves over t and for the
 * StageBlender table that is t from 1 (pure noise) to 0, i.e. x = 1 − t; for curves over
 * `progress` it is the step fraction itself. Weights come from the engine's own evaluators
 * (curveSchedule / scheduleWeight), so the picture is the schedule the denoiser receives, before
 * strength.
 */
import { curveSchedule, scheduleWeight } from '../../engine/adapters/schedule';
import type { BlenderInfo, CurveSpec } from '../../engine/types';

export interface Series {
  label: string;
  /** [x, weight] with x in [0, 1] = denoising progress. */
  points: [number, number][];
}

/** The curve's weight per block group, sampled where it bends (its knots) plus both ends. */
export function curveSeries(spec: CurveSpec, depth: number): Series[] {
  const schedule = curveSchedule(spec, depth);
  const groups = spec.groups ?? [Array.from({ length: depth }, (_, d) => d)];
  const knots = [...new Set([0, 1, ...schedule.at])].sort((a, b) => a - b);
  return groups.map((blocks, g) => {
    const block = blocks[0]!;
    const points = knots.map((pos): [number, number] => {
      const ctx = schedule.axis === 't' ? { t: pos, progress: 0 } : { t: 0, progress: pos };
      return [schedule.axis === 't' ? 1 - pos : pos, scheduleWeight(schedule, ctx, block)];
    });
    points.sort((a, b) => a[0] - b[0]);
    return { label: groupLabel(blocks, g, groups.length), points };
  });
}

/** The DualReal table: identity α and motion c − α per block group, at the table's timesteps. */
export function blenderSeries(blender: BlenderInfo): { identity: Series[]; motion: Series[] } {
  const make = (value: (alpha: number) => number) =>
    blender.groups.map((blocks, g) => ({
      label: groupLabel(blocks, g, blender.groups.length),
      points: blender.timesteps.map((t, i): [number, number] => [1 - t, value(blender.alpha[i]![g]!)]).sort((a, b) => a[0] - b[0]),
    }));
  return { identity: make((a) => a), motion: make((a) => blender.c - a) };
}

/** "blocks 0–1 (shallow)" … "blocks 4–5 (deep)". */
export function groupLabel(blocks: number[], g: number, count: number): string {
  const lo = Math.min(...blocks);
  const hi = Math.max(...blocks);
  const range = lo === hi ? `block ${lo}` : `blocks ${lo}–${hi}`;
  const depthWord = count === 1 ? '' : g === 0 ? ' (shallow)' : g === count - 1 ? ' (deep)' : ' (middle)';
  return range + depthWord;
}

/** Value range to draw, with 0 always included and a little headroom. */
export function weightRange(series: readonly Series[]): [number, number] {
  let lo = 0;
  let hi = 1;
  for (const s of series) for (const [, y] of s.points) {
    lo = Math.min(lo, y);
    hi = Math.max(hi, y);
  }
  return [lo, hi + (hi - lo) * 0.05];
}

/** SVG path data for a series in a box of width × height (y up). */
export function pathData(points: readonly [number, number][], width: number, height: number, range: [number, number]): string {
  const [lo, hi] = range;
  const span = hi - lo || 1;
  return points
    .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${(x * width).toFixed(1)},${(height - ((y - lo) / span) * height).toFixed(1)}`)
    .join(' ');
}
