/**
 * The manifests the fuzz (manifest-fuzz.test.ts, issue #13) found crashing a later stage, each now
 * refused by the parser naming its field. The seed that found each is beside it.
 */
import { describe, expect, it } from 'vitest';
import { checkGrid, samplingSigmas } from '../../../src/engine/schedulers/timesteps';
import { planSceneRun } from '../../../src/engine/scene-request';
import { SIGMA_SPACINGS } from '../../../src/package/schedule';
import { MAX_TENSOR_ELEMENTS } from '../../../src/package/tensor-size';
import { parseManifest } from '../../../src/store/manifest';
import { errorOf, validManifest } from './manifest-fixture';

describe('manifests the fuzz found', () => {
  it('a shift so large that the grid repeats a level (seed 29: shift 2^53 − 1) is refused, not a RangeError at generate', () => {
    for (const shift of [2 ** 53 - 1, 1e9, 1e-320]) {
      const m = validManifest();
      m.schedule.shift = shift;
      const e = errorOf(m);
      expect(e.field).toBe('schedule.shift');
      expect(e.message).toMatch(/cannot step through: at \d+ steps?, level \d+ is/);
    }
  });

  it('a shiftTerminal so near 1 that the stretched grid collapses is refused naming shiftTerminal', () => {
    const m = validManifest();
    m.schedule.shiftTerminal = 1 - 1e-12;
    expect(errorOf(m).field).toBe('schedule.shiftTerminal');
  });

  it('every shift real models use still gives a grid the engine samples at 1–200 steps', () => {
    for (const shift of [0.5, 1, 3, 5, 7, 17, 100]) {
      for (const spacing of SIGMA_SPACINGS) {
        const m = validManifest();
        Object.assign(m.schedule, { shift, spacing, shiftTerminal: 0.1 });
        const parsed = parseManifest(m);
        for (const steps of [1, 2, 8, 50, 200]) checkGrid(samplingSigmas(parsed.schedule, steps));
      }
    }
  });

  it('sizes whose tensors no browser can hold are refused (the fuzz ran out of memory tiling a latent of 2^53 − 1 rows)', () => {
    const cases: [string, (m: Record<string, any>) => void][] = [
      ['latent', (m) => (m.latent.height = 2 ** 53 - 1)],
      ['video', (m) => (m.video.width = 2 ** 31 - 1)],
      ['text', (m) => (m.text.maxLength = 2 ** 31 - 1)],
      ['lora', (m) => (m.lora.depth = 2 ** 31 - 1)],
    ];
    for (const [field, edit] of cases) {
      const m = validManifest();
      edit(m);
      const e = errorOf(m);
      expect(e.field).toBe(field);
      expect(e.message).toContain(`more than the ${MAX_TENSOR_ELEMENTS}`);
    }
  });

  it('a per-scene package whose cuts would fall inside a latent frame is refused (seed 1448: a plain Error at generate)', () => {
    const perScene = () => {
      const m = validManifest();
      m.scenes = { maxScenes: 3, minFrames: 8, maxFrames: 16, frameStep: 4, defaultFrames: 16, conditioning: 'per-scene' };
      m.components.denoiser.inputs.text_frame_mask = 'text_frame_mask';
      return m;
    };
    const parsed = parseManifest(perScene());
    const plan = [{ text: 'a', frames: 16 }, { text: 'b', frames: 16 }];
    expect(planSceneRun(plan, { scenes: parsed.scenes, videoFrames: 16, latentFrames: 4 }).latentFrames).toBe(8);

    const ratio = perScene();
    ratio.latent.frames = 7; // 16 / 7 video frames per latent frame
    expect(errorOf(ratio).field).toBe('video.frames');

    const step = perScene();
    step.latent.frames = 2; // 8 video frames per latent frame, but scenes step by 4
    const e = errorOf(step);
    expect(e.field).toBe('scenes.frameStep');
    expect(e.message).toContain('multiple of the 8 video frames');
  });
});
