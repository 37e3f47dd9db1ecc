/** The picture measures the browser tests rely on: a flat image scores 0, a picture does not. */
import { describe, expect, it } from 'vitest';
import { backgroundColour, colourSpread, distinctColours, meanAbsDiff, offBackgroundShare } from './pixels';

/** w×h RGBA filled with `rgb`, with a `size`×`size` square of `square` at the top left. */
function image(w: number, h: number, rgb: number[], square?: { size: number; rgb: number[] }): number[] {
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = square && x < square.size && y < square.size;
      out.push(...(inside ? square.rgb : rgb), 255);
    }
  }
  return out;
}

describe('pixel measures', () => {
  const blue = image(10, 10, [20, 40, 200]);
  const ball = image(10, 10, [20, 40, 200], { size: 3, rgb: [220, 30, 30] });

  it('a single-colour image has no spread, one colour and nothing off its background', () => {
    expect(colourSpread(blue)).toBe(0);
    expect(distinctColours(blue)).toBe(1);
    expect(backgroundColour(blue)).toEqual([20, 40, 200]);
    expect(offBackgroundShare(blue)).toBe(0);
  });

  it('an object on a background: the background is the common colour, the object is what is off it', () => {
    expect(colourSpread(ball)).toBeGreaterThan(50);
    expect(distinctColours(ball)).toBe(2);
    expect(backgroundColour(ball)).toEqual([20, 40, 200]);
    expect(offBackgroundShare(ball)).toBeCloseTo(9 / 100);
    // Codec-sized noise on the background is not an object.
    const noisy = blue.map((v, i) => (i % 4 === 3 ? v : v + ((i * 7) % 9) - 4));
    expect(offBackgroundShare(noisy)).toBe(0);
  });

  it('mean absolute difference is per byte, and refuses images of different sizes', () => {
    expect(meanAbsDiff(blue, blue)).toBe(0);
    expect(meanAbsDiff(blue, ball)).toBeCloseTo((9 * (200 + 10 + 170)) / 400);
    expect(() => meanAbsDiff(blue, image(5, 5, [0, 0, 0]))).toThrow(/cannot compare/);
  });
});
