/**
 * The page's scene list as pure data (#10): edits keep what was typed, lengths snap to what the
 * model makes, the split offer carries the parser's sentence, the engine gets the CLI's caption,
 * and the planned cuts fall at scene boundaries.
 */
import { describe, expect, it } from 'vitest';
import {
  addScene, checkPlan, cutFractions, joinScenes, moveScene, plannedCuts, plannedFrames, promptForEngine,
  removeScene, setSceneFrames, setSceneText, snapFrames, splitOffer, supportOf,
} from '../../../src/app/data/scene-list-state';
import { planScenes } from '../../../src/cli/scene-flags';
import { parseScenes } from '../../../src/package/scene-text';
import { MAX_SCENES, type ScenePlan, type SceneSupport } from '../../../src/package/scenes';

const multi: SceneSupport = { maxScenes: 3, minFrames: 8, maxFrames: 32, frameStep: 4, defaultFrames: 16 };
const two: ScenePlan = [
  { text: 'a red ball moves right on blue', frames: 16 },
  { text: 'a yellow star on white', frames: 16 },
];

describe('scene edits', () => {
  it('adds an empty scene of the model default, up to MAX_SCENES', () => {
    let plan = addScene(two, { ...multi, defaultFrames: 12 });
    expect(plan[2]).toEqual({ text: '', frames: 12 });
    for (let i = 0; i < MAX_SCENES + 2; i++) plan = addScene(plan, multi);
    expect(plan).toHaveLength(MAX_SCENES);
  });

  it('moves a scene up and down, and not past either end', () => {
    expect(moveScene(two, 1, -1).map((s) => s.text)).toEqual([two[1]!.text, two[0]!.text]);
    expect(moveScene(two, 0, 1).map((s) => s.text)).toEqual([two[1]!.text, two[0]!.text]);
    expect(moveScene(two, 0, -1)).toBe(two);
    expect(moveScene(two, 1, 1)).toBe(two);
  });

  it('removes only the scene asked for, and edits text without touching the others', () => {
    expect(removeScene(two, 0)).toEqual([two[1]]);
    expect(removeScene(two, 5)).toBe(two);
    const edited = setSceneText(two, 1, 'a green box');
    expect(edited.map((s) => s.text)).toEqual([two[0]!.text, 'a green box']);
    expect(two[1]!.text).toBe('a yellow star on white'); // not mutated
  });

  it('snaps lengths into the model range and onto its frame step', () => {
    expect(snapFrames(10, multi, 16)).toBe(12); // nearer multiple of 4, ties up
    expect(snapFrames(9, multi, 16)).toBe(8);
    expect(snapFrames(100, multi, 16)).toBe(32);
    expect(snapFrames(1, multi, 16)).toBe(8);
    expect(snapFrames(Number.NaN, multi, 16)).toBe(16); // a cleared input keeps the old length
    expect(snapFrames(10, undefined, 16)).toBe(10); // no model yet: the contract, step 1
    expect(snapFrames(100, undefined, 16)).toBe(64);
    expect(setSceneFrames(two, 0, 31, multi)[0]!.frames).toBe(32);
  });
});

describe('one prompt and back', () => {
  it('offers the parser split with its sentence, and nothing for a one-scene prompt', () => {
    const offer = splitOffer('a red ball moves right on blue, then a yellow star on white', multi);
    expect(offer?.plan.map((s) => s.text)).toEqual(parseScenes('a red ball moves right on blue, then a yellow star on white').plan.map((s) => s.text));
    expect(offer?.plan).toHaveLength(2);
    expect(offer?.description).toMatch(/\w/);
    expect(splitOffer('a ball grows and then shrinks', multi)).toBeUndefined();
  });

  it('joins scene texts so that nothing typed is lost and the join splits back the same way', () => {
    const joined = joinScenes(two);
    for (const s of two) expect(joined).toContain(s.text);
    expect(parseScenes(joined).plan.map((s) => s.text)).toEqual(two.map((s) => s.text));
    expect(joinScenes([...two, { text: '  ', frames: 16 }])).toBe(joined);
  });
});

describe('what the engine gets', () => {
  it('sends a plan as the CLI sends its --scene flags, and a plain prompt as typed', () => {
    const cli = planScenes({ scenes: two.map((s) => ({ text: s.text, frames: s.frames })) });
    expect(promptForEngine({ prompt: 'ignored when scenes are planned', scenes: two })).toBe(cli.prompt);
    expect(promptForEngine({ prompt: 'a ball, then cut to  a star' })).toBe('a ball, then cut to  a star');
    expect(promptForEngine({ prompt: 'p', scenes: [] })).toBe('p');
  });
});

describe('plan checks, cuts and frames', () => {
  it('ties each problem to its scene and says why Generate is blocked', () => {
    const check = checkPlan([{ text: '', frames: 16 }, { text: 'a star', frames: 10 }], multi);
    expect(check.canGenerate).toBe(false);
    expect(check.forScene(0).map((p) => p.kind)).toEqual(['empty']);
    expect(check.forScene(1).map((p) => p.kind)).toEqual(['frame-step']);
    expect(check.blockedBecause).toContain('Scene 1 is empty');
    const fine = checkPlan(two, multi);
    expect(fine.canGenerate).toBe(true);
    expect(fine.blockedBecause).toBeUndefined();
  });

  it('lets a one-scene model make the clip with a note and no planned cuts', () => {
    const single = supportOf({ video: { frames: 16, width: 64, height: 64 } } as never)!;
    const check = checkPlan(two, single);
    expect(check.canGenerate).toBe(true);
    expect(check.general.map((p) => p.kind)).toEqual(['one-scene-model']);
    expect(plannedCuts(two, single)).toEqual([]);
    expect(plannedFrames(two, single, 16)).toBe(16);
  });

  it('puts the cuts at the first frame of each later scene', () => {
    const plan = [...two, { text: 'a blue ring', frames: 8 }];
    plan[0] = { ...plan[0]!, frames: 12 };
    expect(plannedCuts(plan, multi)).toEqual([12, 28]);
    expect(plannedFrames(plan, multi, 16)).toBe(36);
    expect(cutFractions([12, 28], 36)).toEqual([12 / 36, 28 / 36]);
    expect(cutFractions([0, 40], 36)).toEqual([]);
  });
});
