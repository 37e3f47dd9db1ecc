/** How the engine makes a request's scene plan with the loaded package (src/engine/scene-request.ts). */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/engine/errors';
import { planSceneRun, type SceneModel } from '../../../src/engine/scene-request';
import type { SceneSupport } from '../../../src/package/scenes';

const perScene: SceneSupport = { maxScenes: 3, minFrames: 8, maxFrames: 16, frameStep: 4, defaultFrames: 16, conditioning: 'per-scene' };
const sceneModel: SceneModel = { scenes: perScene, videoFrames: 16, latentFrames: 4 };
const plainModel: SceneModel = { videoFrames: 16, latentFrames: 4 };
const two = [{ text: 'a red ball bounces ', frames: 8 }, { text: 'a blue star spins', frames: 16 }];

describe('planSceneRun', () => {
  it('a per-scene package: each scene its own text and latent frames, the clip their sum', () => {
    expect(planSceneRun(two, sceneModel)).toEqual({
      denoiser: 'denoiser', latentFrames: 6, perScene: { sceneLatents: [2, 4], texts: ['a red ball bounces', 'a blue star spins'], globalCaption: true }, asked: 2, conditioned: 2,
    });
    // the package's scenes.globalCaption reaches the pipeline (the frame mask's rule)
    const ownOnly: SceneModel = { ...sceneModel, scenes: { ...perScene, globalCaption: false } };
    expect(planSceneRun(two, ownOnly).perScene?.globalCaption).toBe(false);
  });

  it('one scene or no plan on a per-scene package: the caption alone, the mask still fed (all ones)', () => {
    expect(planSceneRun([{ text: 'x', frames: 12 }], sceneModel)).toMatchObject({ latentFrames: 3, perScene: { sceneLatents: [3], texts: [] } });
    expect(planSceneRun(undefined, sceneModel)).toEqual({ denoiser: 'denoiser', latentFrames: 4, perScene: { sceneLatents: [4], texts: [], globalCaption: true }, asked: 1, conditioned: 1 });
  });

  it('a package without per-scene conditioning: one caption, its own length, and a note for the user', () => {
    const run = planSceneRun(two, plainModel);
    expect(run).toMatchObject({ latentFrames: 4, perScene: null, asked: 2, conditioned: 1 });
    expect(run.note).toMatch(/makes one scene per clip.*2 scenes as one prompt/);
    const joined = planSceneRun(two, { ...sceneModel, scenes: { ...perScene, conditioning: 'joined-caption' } });
    expect(joined).toMatchObject({ perScene: null, conditioned: 1 });
    expect(joined.note).toMatch(/as one caption.*2 scenes as one prompt/);
    expect(planSceneRun(undefined, plainModel)).toEqual({ denoiser: 'denoiser', latentFrames: 4, perScene: null, asked: 1, conditioned: 1 });
    expect(planSceneRun([two[0]!], plainModel).note).toBeUndefined();
  });

  it('refuses, before any work, a plan the per-scene package cannot make', () => {
    const refused = (plan: { text: string; frames: number }[]) => () => planSceneRun(plan, sceneModel);
    expect(refused([...two, ...two])).toThrow(InvalidRequestError);
    expect(refused([...two, ...two])).toThrow(/4 scenes are more than this model makes/);
    expect(refused([{ text: 'a', frames: 10 }, { text: 'b', frames: 8 }])).toThrow(/steps of 4 frames/);
    expect(refused([{ text: ' ', frames: 8 }, { text: 'b', frames: 8 }])).toThrow(/Scene 1 is empty/);
    expect(refused([{ text: 'a', frames: 24 }, { text: 'b', frames: 8 }])).toThrow(/at most 16 frames/);
  });

  it('a package with a sceneDenoiser: scene plans go to it, one scene of the package\'s length to the plain denoiser without a mask', () => {
    const split: SceneModel = { ...sceneModel, sceneDenoiser: true };
    expect(planSceneRun(two, split)).toEqual({
      denoiser: 'sceneDenoiser', latentFrames: 6, perScene: { sceneLatents: [2, 4], texts: ['a red ball bounces', 'a blue star spins'], globalCaption: true }, asked: 2, conditioned: 2,
    });
    // no plan, or one scene of video.frames: exactly a package without scenes
    expect(planSceneRun(undefined, split)).toEqual({ denoiser: 'denoiser', latentFrames: 4, perScene: null, asked: 1, conditioned: 1 });
    expect(planSceneRun([{ text: 'x', frames: 16 }], split)).toEqual({ denoiser: 'denoiser', latentFrames: 4, perScene: null, asked: 1, conditioned: 1 });
    // one scene of another length: only the scene graph takes other clip lengths
    expect(planSceneRun([{ text: 'x', frames: 8 }], split)).toMatchObject({ denoiser: 'sceneDenoiser', latentFrames: 2, perScene: { sceneLatents: [2], texts: [] } });
    // its plans are checked as any per-scene package's
    expect(() => planSceneRun([...two, ...two], split)).toThrow(/4 scenes are more than this model makes/);
  });
});
