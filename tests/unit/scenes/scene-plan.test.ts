/** Scene plans against the contract and a model's declared support (src/package/scenes.ts). */
import { describe, expect, it } from 'vitest';
import {
  ANY_MODEL, CAPTION_CUT_JOINER, DEFAULT_SCENE_FRAMES, MAX_SCENES, SCENE_FRAMES, canMake, clipFrames, planProblems,
  sceneCaption, sceneSupportProblems, singleSceneSupport, type SceneSupport,
} from '../../../src/package/scenes';

const threeScenes: SceneSupport = { maxScenes: 3, minFrames: 8, maxFrames: 32, frameStep: 4, defaultFrames: 16 };
const plan = (...frames: number[]) => frames.map((f, i) => ({ text: `scene ${i + 1} text`, frames: f }));

describe('scene limits', () => {
  it('default lengths give 32 frames for two scenes and 48 for three (issue #10)', () => {
    expect(clipFrames(plan(DEFAULT_SCENE_FRAMES, DEFAULT_SCENE_FRAMES))).toBe(32);
    expect(clipFrames(plan(...Array(MAX_SCENES).fill(DEFAULT_SCENE_FRAMES)))).toBe(48);
    expect(sceneSupportProblems(ANY_MODEL)).toEqual([]);
    expect(sceneSupportProblems(threeScenes)).toEqual([]);
    expect(sceneSupportProblems(singleSceneSupport(16))).toEqual([]);
    expect(sceneSupportProblems(singleSceneSupport(200))).toEqual([]); // a one-scene model keeps its own length
  });

  it('refuses a declared support that cannot be used, saying which number', () => {
    expect(sceneSupportProblems({ ...threeScenes, maxScenes: 4 })).toEqual(['maxScenes must be a whole number from 1 to 3, got 4']);
    expect(sceneSupportProblems({ ...threeScenes, maxFrames: 80 })[0]).toMatch(/^maxFrames must be a whole number from 8 to 64, got 80/);
    expect(sceneSupportProblems({ ...threeScenes, defaultFrames: 40 })[0]).toMatch(/minFrames ≤ defaultFrames ≤ maxFrames/);
    expect(sceneSupportProblems({ ...threeScenes, defaultFrames: 18 })).toEqual(['defaultFrames (18) must be a multiple of frameStep (4)']);
    expect(sceneSupportProblems({ ...threeScenes, frameStep: 0 })[0]).toMatch(/frameStep must be a whole number ≥ 1, got 0/);
  });
});

describe('planProblems', () => {
  it('a good plan has none', () => {
    expect(planProblems(plan(16, 16))).toEqual([]);
    expect(planProblems(plan(8, 32, 12), threeScenes)).toEqual([]);
    expect(planProblems(plan(16), singleSceneSupport(16))).toEqual([]);
  });

  it('names the empty scene and keeps the others', () => {
    const p = [{ text: 'a red star', frames: 16 }, { text: '  ', frames: 16 }];
    expect(planProblems(p)).toEqual([
      { kind: 'empty', scene: 2, blocking: true, message: 'Scene 2 is empty: write what it shows, or remove it.' },
    ]);
    expect(planProblems([])[0]).toMatchObject({ kind: 'no-scenes', blocking: true });
    expect(p).toHaveLength(2); // nothing dropped
  });

  it('too many scenes, for the contract and for a model', () => {
    expect(planProblems(plan(16, 16, 16, 16))).toEqual([{
      kind: 'too-many', blocking: true,
      message: '4 scenes are more than Vidlet makes in one clip (at most 3): remove 1 or merge two of them.',
    }]);
    const two = { ...threeScenes, maxScenes: 2 };
    expect(planProblems(plan(16, 16, 16, 16), two)[0]!.message)
      .toBe('4 scenes are more than this model makes in one clip (at most 2): remove 2 or merge some of them.');
  });

  it('scene lengths: too short, too long, not whole, off the model\'s frame step', () => {
    const messages = planProblems(plan(4, 40, 10, 12.5), threeScenes).map((p) => [p.kind, p.scene, p.message]);
    expect(messages).toEqual([
      ['too-many', undefined, '4 scenes are more than this model makes in one clip (at most 3): remove 1 or merge two of them.'],
      ['too-short', 1, "Scene 1 is 4 frames; this model's scenes last at least 8 frames."],
      ['too-long', 2, "Scene 2 is 40 frames; this model's scenes last at most 32 frames: shorten it or split it into two scenes."],
      ['frame-step', 3, 'Scene 3 is 10 frames; this model makes scenes in steps of 4 frames: use 8 or 12.'],
      ['not-whole', 4, "Scene 4's length must be a whole number of frames, got 12.5."],
    ]);
    expect(planProblems(plan(SCENE_FRAMES.max + 1))[0]!.kind).toBe('too-long');
  });

  it('a model without scene support gets one scene and a note, not a refusal', () => {
    const single = singleSceneSupport(16);
    const problems = planProblems(plan(16, 16), single);
    expect(problems).toEqual([{
      kind: 'one-scene-model', blocking: false,
      message: 'This model makes one scene per clip (its package declares no multi-scene support): it gets the 2 scenes ' +
        'as one prompt and makes one 16-frame clip, with no planned cuts.',
    }]);
    expect(canMake(problems)).toBe(true);
    // one scene of another length cannot be made by a fixed-length model
    expect(planProblems(plan(24), single)).toEqual([{
      kind: 'too-long', scene: 1, blocking: true,
      message: 'Scene 1 is 24 frames; this model makes 16-frame scenes only: shorten it or split it into two scenes.',
    }]);
    // an empty scene is refused even so
    expect(canMake(planProblems([{ text: '', frames: 16 }, { text: 'x', frames: 16 }], single))).toBe(false);
  });
});

describe('sceneCaption', () => {
  it('joins scenes with the training template\'s " Then cut to "', () => {
    expect(CAPTION_CUT_JOINER).toBe(' Then cut to ');
    expect(sceneCaption([{ text: 'a red star moves left.', frames: 16 }, { text: 'a blue ring spins!', frames: 16 }]))
      .toBe('a red star moves left Then cut to a blue ring spins!');
  });

  it('keeps a single scene exactly as written', () => {
    expect(sceneCaption([{ text: ' A red star, moving LEFT... ', frames: 16 }])).toBe('A red star, moving LEFT...');
  });
});
