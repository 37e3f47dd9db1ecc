/** A package's optional "scenes" declaration, read by the manifest parser (src/store/manifest.ts). */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/store/manifest';
import { ManifestError } from '../../../src/store/errors';
import { validManifest } from '../store/manifest-fixture';

const withScenes = (scenes: unknown) => ({ ...validManifest(), scenes });

describe('manifest "scenes"', () => {
  it('is optional: a package without it declares none', () => {
    expect(parseManifest(validManifest()).scenes).toBeUndefined();
  });

  it('reads a declaration, frameStep defaulting to 1', () => {
    expect(parseManifest(withScenes({ maxScenes: 3, minFrames: 8, maxFrames: 32, frameStep: 4, defaultFrames: 16 })).scenes)
      .toEqual({ maxScenes: 3, minFrames: 8, maxFrames: 32, frameStep: 4, defaultFrames: 16 });
    expect(parseManifest(withScenes({ maxScenes: 2, minFrames: 8, maxFrames: 16, defaultFrames: 16 })).scenes?.frameStep).toBe(1);
  });

  it('refuses one it cannot use, naming the field', () => {
    const error = (scenes: unknown) => {
      try {
        parseManifest(withScenes(scenes));
      } catch (e) {
        expect(e).toBeInstanceOf(ManifestError);
        return (e as Error).message;
      }
      throw new Error('expected a ManifestError');
    };
    expect(error({ maxScenes: 5, minFrames: 8, maxFrames: 32, defaultFrames: 16 })).toMatch(/^manifest\.scenes cannot be used: maxScenes must be a whole number from 1 to 3, got 5/);
    expect(error({ maxScenes: 2, minFrames: 8, maxFrames: 32, frameStep: 4, defaultFrames: 18 })).toMatch(/defaultFrames \(18\) must be a multiple of frameStep \(4\)/);
    expect(error({ maxScenes: 2, minFrames: 8, defaultFrames: 16 })).toMatch(/^manifest\.scenes\.maxFrames/);
    expect(error('three')).toMatch(/^manifest\.scenes is the string "three", but must be an object/);
  });

  it('a per-scene package must map the denoiser\'s text_frame_mask role; others need not', () => {
    const perScene = { maxScenes: 3, minFrames: 8, maxFrames: 16, frameStep: 4, defaultFrames: 16, conditioning: 'per-scene' };
    expect(() => parseManifest(withScenes(perScene))).toThrow(/^manifest\.components\.denoiser\.inputs\.text_frame_mask is missing/);
    const m = validManifest();
    m.scenes = perScene;
    m.components.denoiser.inputs.text_frame_mask = 'text_frame_mask';
    expect(parseManifest(m).scenes?.conditioning).toBe('per-scene');
    expect(parseManifest(m).components.denoiser.inputs.text_frame_mask).toBe('text_frame_mask');
    // joined-caption (or no conditioning): today's denoiser inputs are enough
    expect(parseManifest(withScenes({ ...perScene, conditioning: 'joined-caption' })).scenes?.conditioning).toBe('joined-caption');
  });

  it('reads globalCaption for a per-scene package and refuses it elsewhere or mistyped', () => {
    const m = validManifest();
    m.components.denoiser.inputs.text_frame_mask = 'text_frame_mask';
    const perScene = { maxScenes: 3, minFrames: 8, maxFrames: 16, frameStep: 4, defaultFrames: 16, conditioning: 'per-scene' };
    m.scenes = perScene;
    expect(parseManifest(m).scenes?.globalCaption).toBeUndefined(); // absent: the global caption is seen (true)
    m.scenes = { ...perScene, globalCaption: false };
    expect(parseManifest(m).scenes?.globalCaption).toBe(false);
    m.scenes = { ...perScene, globalCaption: 'no' };
    expect(() => parseManifest(m)).toThrow(/^manifest\.scenes\.globalCaption is the string "no", but must be true or false/);
    expect(() => parseManifest(withScenes({ ...perScene, conditioning: 'joined-caption', globalCaption: false })))
      .toThrow(/^manifest\.scenes\.globalCaption only applies to "conditioning": "per-scene"/);
  });

  it('a sceneDenoiser takes text_frame_mask and leaves the denoiser the plain graph; only with per-scene conditioning', () => {
    const perScene = { maxScenes: 3, minFrames: 8, maxFrames: 16, frameStep: 4, defaultFrames: 16, conditioning: 'per-scene' };
    const m = validManifest();
    m.scenes = perScene;
    m.components.sceneDenoiser = JSON.parse(JSON.stringify(m.components.denoiser));
    m.components.sceneDenoiser.variants.fp32.files[0].path = 'scene_denoiser.onnx';
    // the scene graph must map text_frame_mask ...
    expect(() => parseManifest(m)).toThrow(/^manifest\.components\.sceneDenoiser\.inputs\.text_frame_mask is missing/);
    m.components.sceneDenoiser.inputs.text_frame_mask = 'text_frame_mask';
    // ... and the plain denoiser then needs none
    const parsed = parseManifest(m);
    expect(parsed.components.sceneDenoiser?.inputs.text_frame_mask).toBe('text_frame_mask');
    expect(parsed.components.denoiser.inputs.text_frame_mask).toBeUndefined();
    // without per-scene conditioning nothing would run it: refused, naming the field
    for (const scenes of [undefined, { ...perScene, conditioning: 'joined-caption' }]) {
      const bad = { ...m, scenes };
      expect(() => parseManifest(bad)).toThrow(ManifestError);
      expect(() => parseManifest(bad)).toThrow(/^manifest\.components\.sceneDenoiser is present, but the package declares no per-scene conditioning/);
    }
  });
});
