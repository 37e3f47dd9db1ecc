/** The CLI's --scene flags and the scenes of --prompt (src/cli/scene-flags.ts, src/cli/args.ts). */
import { describe, expect, it } from 'vitest';
import { parseCli, UsageError, type GenerateOptions } from '../../../src/cli/args';
import { parseSceneFlag, planScenes, sceneReport } from '../../../src/cli/scene-flags';
import { singleSceneSupport, type SceneSupport } from '../../../src/package/scenes';

const generate = (...args: string[]) => parseCli(['generate', ...args]) as GenerateOptions;
const threeScenes: SceneSupport = { maxScenes: 3, minFrames: 8, maxFrames: 32, frameStep: 4, defaultFrames: 16 };

describe('--scene "text[:frames]"', () => {
  it('splits a length off the end only when it is a number', () => {
    expect(parseSceneFlag('a red star moves left:24')).toEqual({ text: 'a red star moves left', frames: 24 });
    expect(parseSceneFlag(' a red star : 24 ')).toEqual({ text: 'a red star', frames: 24 });
    expect(parseSceneFlag('a red star')).toEqual({ text: 'a red star' });
    expect(parseSceneFlag('bg: blue')).toEqual({ text: 'bg: blue' });
    expect(parseSceneFlag('Scene 1: a star:16')).toEqual({ text: 'Scene 1: a star', frames: 16 });
    expect(parseSceneFlag('a star:12.5')).toEqual({ text: 'a star', frames: 12.5 }); // refused by the plan, by name
    expect(parseSceneFlag(':16')).toEqual({ text: '', frames: 16 });
  });

  it('repeated flags become the plan, and their caption the prompt', () => {
    const o = generate('--scene', 'a red star moves left', '--scene', 'a blue ring spins:24');
    expect(o.scenes).toEqual([{ text: 'a red star moves left' }, { text: 'a blue ring spins', frames: 24 }]);
    expect(o.prompt).toBe('a red star moves left Then cut to a blue ring spins');
    expect(generate('--scene', 'a red star').prompt).toBe('a red star');
    expect(generate('--prompt', 'p').scenes).toEqual([]);
  });

  it('refuses bad scenes before any model loads, naming the flag and the scene', () => {
    const refusal = (...args: string[]) => {
      try {
        generate(...args);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal('--scene', 'a red star', '--scene', ' ')).toBe('--scene: Scene 2 is empty: write what it shows, or remove it.');
    expect(refusal('--scene', 'a', '--scene', 'b', '--scene', 'c', '--scene', 'd'))
      .toBe('--scene: 4 scenes are more than Vidlet makes in one clip (at most 3): remove 1 or merge two of them.');
    expect(refusal('--scene', 'a red star:100')).toBe("--scene: Scene 1 is 100 frames; Vidlet's scenes last at most 64 frames: shorten it or split it into two scenes.");
    expect(refusal('--scene', 'a red star:4')).toBe("--scene: Scene 1 is 4 frames; Vidlet's scenes last at least 8 frames.");
    expect(refusal('--scene', 'a red star:12.5')).toBe("--scene: Scene 1's length must be a whole number of frames, got 12.5.");
    expect(refusal('--scene', 'a', '--prompt', 'b')).toMatch(/Give --prompt or --scene, not both/);
    expect(refusal('--scene')).toBe('--scene needs a value.');
  });
});

describe('planScenes and sceneReport (what generate says once the model is loaded)', () => {
  it('a typed prompt goes to the model as typed; its scenes are reported, its problems are notes', () => {
    const s = planScenes({ prompt: 'a red star, then cut to a blue ring', scenes: [] }, singleSceneSupport(16));
    expect(s.prompt).toBe('a red star, then cut to a blue ring');
    expect(s.plan).toEqual([{ text: 'a red star', frames: 16 }, { text: 'a blue ring', frames: 16 }]);
    expect(sceneReport(s)).toEqual({
      lines: [
        'scenes: 2 scenes, split at "then cut to".',
        '  1. 16 frames: a red star',
        '  2. 16 frames: a blue ring',
        'note: This model makes one scene per clip (its package declares no multi-scene support): it gets the 2 scenes as one prompt and makes one 16-frame clip, with no planned cuts.',
      ],
    });
    const tooMany = planScenes({ prompt: 'a cut to b cut to c cut to d', scenes: [] }, threeScenes);
    expect(sceneReport(tooMany).refusal).toBeUndefined();
    expect(sceneReport(tooMany).lines.at(-1)).toMatch(/^note: 4 scenes are more than this model makes .* The prompt goes to the model as typed\.$/);
    // a one-scene prompt: nothing to say
    expect(sceneReport(planScenes({ prompt: 'a ball grows and then shrinks', scenes: [] }, threeScenes))).toEqual({ lines: [] });
  });

  it('--scene flags take the model\'s default length and are refused what the model cannot make', () => {
    const s = planScenes({ scenes: [{ text: 'a' }, { text: 'b', frames: 10 }] }, threeScenes);
    expect(s.plan).toEqual([{ text: 'a', frames: 16 }, { text: 'b', frames: 10 }]);
    expect(sceneReport(s).refusal).toBe('Scene 2 is 10 frames; this model makes scenes in steps of 4 frames: use 8 or 12.');
    // the shipped model declares no scenes: two flags make one clip with a note; one of another length is refused
    expect(sceneReport(planScenes({ scenes: [{ text: 'a' }, { text: 'b' }] }, singleSceneSupport(16))).refusal).toBeUndefined();
    expect(sceneReport(planScenes({ scenes: [{ text: 'a', frames: 24 }] }, singleSceneSupport(16))).refusal)
      .toBe('Scene 1 is 24 frames; this model makes 16-frame scenes only: shorten it or split it into two scenes.');
  });
});
