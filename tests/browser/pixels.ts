/**
 * Plain measures on RGBA bytes read back from the page (a canvas, a <video> frame), so the
 * browser tests can say "this shows a picture" rather than "something of non-zero size exists".
 */

/** Mean absolute difference per byte (0–255) of two RGBA images of the same size. */
export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`cannot compare images of ${a.length} and ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/**
 * The image's background: its most common colour, counted in 16-level bins per channel so that
 * codec noise does not split one flat area into many colours. Returns the mean colour of that bin.
 */
export function backgroundColour(rgba: ArrayLike<number>): [number, number, number] {
  const counts = new Map<number, { n: number; r: number; g: number; b: number }>();
  for (let i = 0; i < rgba.length; i += 4) {
    const key = ((rgba[i] >> 4) << 8) | ((rgba[i + 1] >> 4) << 4) | (rgba[i + 2] >> 4);
    const c = counts.get(key) ?? { n: 0, r: 0, g: 0, b: 0 };
    c.n++;
    c.r += rgba[i];
    c.g += rgba[i + 1];
    c.b += rgba[i + 2];
    counts.set(key, c);
  }
  let best = { n: 0, r: 0, g: 0, b: 0 };
  for (const c of counts.values()) if (c.n > best.n) best = c;
  return best.n ? [best.r / best.n, best.g / best.n, best.b / best.n] : [0, 0, 0];
}

/**
 * Share of pixels (0–1) that differ from the background-only frame (every pixel the background
 * colour) by more than `tolerance` in some channel: 0 for a frame of nothing but background.
 */
export function offBackgroundShare(rgba: ArrayLike<number>, tolerance = 48): number {
  const [r, g, b] = backgroundColour(rgba);
  const n = rgba.length / 4;
  let off = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    if (Math.max(Math.abs(rgba[i] - r), Math.abs(rgba[i + 1] - g), Math.abs(rgba[i + 2] - b)) > tolerance) off++;
  }
  return n ? off / n : 0;
}

/** Spread of the colours (0–255): the root of the summed per-channel variances; 0 for a single-colour image. */
export function colourSpread(rgba: ArrayLike<number>): number {
  const n = rgba.length / 4;
  if (n === 0) return 0;
  let variance = 0;
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    let sum2 = 0;
    for (let i = c; i < rgba.length; i += 4) {
      sum += rgba[i];
      sum2 += rgba[i] * rgba[i];
    }
    const mean = sum / n;
    variance += Math.max(0, sum2 / n - mean * mean);
  }
  return Math.sqrt(variance);
}

/** How many different colours the image holds (exact RGB). */
export function distinctColours(rgba: ArrayLike<number>): number {
  const seen = new Set<number>();
  for (let i = 0; i < rgba.length; i += 4) seen.add((rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2]);
  return seen.size;
}
