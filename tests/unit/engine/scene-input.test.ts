import { describe, expect, it } from 'vitest';
import { latentSceneLengths, textFrameMask } from '../../../src/engine/scene-input';

describe('textFrameMask', () => {
  it('lets each latent frame see the global caption and its own scene only', () => {
    const { data, dims } = textFrameMask([1, 2], 2); // L = 2: [global | scene 1 | scene 2]
    expect(dims).toEqual([3, 6]);
    expect(Array.from(data)).toEqual([
      1, 1, 1, 1, 0, 0,
      1, 1, 0, 0, 1, 1,
      1, 1, 0, 0, 1, 1,
    ]);
  });

  it('without the global caption (scenes.globalCaption false) each frame sees its own scene only', () => {
    const { data, dims } = textFrameMask([1, 2], 2, false);
    expect(dims).toEqual([3, 6]);
    expect(Array.from(data)).toEqual([
      0, 0, 1, 1, 0, 0,
      0, 0, 0, 0, 1, 1,
      0, 0, 0, 0, 1, 1,
    ]);
    expect(textFrameMask([4], 3, false).data.every((v) => v === 1)).toBe(true); // one scene: the caption alone, as before
  });

  it('gives one scene all ones over the caption alone, the single-scene input', () => {
    const { data, dims } = textFrameMask([4], 3);
    expect(dims).toEqual([4, 3]);
    expect(data.every((v) => v === 1)).toBe(true);
  });
});

describe('latentSceneLengths', () => {
  it('converts frames to latent frames and refuses cuts inside one', () => {
    expect(latentSceneLengths([{ text: 'a', frames: 16 }, { text: 'b', frames: 8 }], 4)).toEqual([4, 2]);
    expect(() => latentSceneLengths([{ text: 'a', frames: 10 }], 4)).toThrow(/multiples of 4/);
  });
});
