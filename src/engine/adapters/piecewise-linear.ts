/**
 * Piecewise-linear interpolation over ascending knots, held constant beyond the ends. Used for
 * hand-set strength curves and for reading the exported StageBlender table between the
 * timesteps it was sampled at.
 */

/** y at x for knots (xs strictly ascending, same length as ys, at least one knot). */
export function interpolate(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number): number {
  const n = xs.length;
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[n - 1]!) return ys[n - 1]!;
  // Binary search for the segment [xs[lo], xs[lo+1]] holding x.
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo]!;
  const x1 = xs[hi]!;
  const y0 = ys[lo]!;
  const y1 = ys[hi]!;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** Throws (via `fail`) unless xs are finite, strictly ascending and within [min, max]. */
export function checkKnots(
  xs: readonly number[],
  min: number,
  max: number,
  /** index null: the list as a whole is wrong. */
  fail: (index: number | null, why: string) => never,
): void {
  if (xs.length === 0) fail(null, 'needs at least one point');
  xs.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) fail(i, `is ${JSON.stringify(x)}, not a number in [${min}, ${max}]`);
    if (i > 0 && x <= xs[i - 1]!) fail(i, `is ${x}, not greater than the point before it (${xs[i - 1]}); points must ascend`);
  });
}
