/**
 * The scene plan as part of the generation settings (#10): restored from history, files and
 * storage without losing an unfinished plan, sent to the engine as the CLI's caption, checked
 * against the clip's cuts after a run, exported as a version 2 record, and the figure shown
 * before Generate.
 */
import { describe, expect, it } from 'vitest';
import { clipSettings } from '../../../src/app/data/clip-encoder';
import { FALLBACK_SETTINGS, mergeRestoredSettings, validateSettings } from '../../../src/app/data/generation-settings';
import { estimatePlan } from '../../../src/app/data/plan-estimate';
import { checkScenes, requestFromSettings } from '../../../src/app/data/scene-run';
import { parseSettings } from '../../../src/media/settings';
import { sceneCaption } from '../../../src/package/scenes';
import { blocksClip } from '../media/fixtures-scenes';

const plan = [{ text: 'a red ball moves right on blue', frames: 16 }, { text: 'a yellow star on white', frames: 16 }];
const withPlan = { ...FALLBACK_SETTINGS, prompt: 'joined', scenes: plan };

describe('scene plan in the settings', () => {
  it('is restored when present, dropped when the record has none, kept when unfinished', () => {
    expect(mergeRestoredSettings(FALLBACK_SETTINGS, { scenes: plan }).scenes).toEqual(plan);
    expect(mergeRestoredSettings(withPlan, { prompt: 'one prompt' }).scenes).toBeUndefined();
    const unfinished = [{ text: '', frames: 10 }, { text: 'a star', frames: 16 }];
    expect(mergeRestoredSettings(FALLBACK_SETTINGS, { scenes: unfinished }).scenes).toEqual(unfinished);
    expect(mergeRestoredSettings(withPlan, { scenes: [{ text: 3 }] as never }).scenes).toBeUndefined();
  });

  it('leaves the empty-scene complaint to the plan check, not the prompt check', () => {
    expect(validateSettings({ ...withPlan, prompt: '' }).map((p) => p.field)).toEqual([]);
    expect(validateSettings({ ...FALLBACK_SETTINGS, prompt: '' }).map((p) => p.field)).toEqual(['prompt']);
  });

  it('reaches the engine as the scenes caption with the plan; a one-scene plan or a prompt as the prompt alone', () => {
    const request = requestFromSettings(withPlan);
    expect(request.prompt).toBe(sceneCaption(plan));
    expect(request.scenes).toEqual(plan);
    expect('scenes' in requestFromSettings({ ...withPlan, scenes: [plan[0]!] })).toBe(false);
    expect(requestFromSettings({ ...FALLBACK_SETTINGS, prompt: 'as typed, then cut to x' }).prompt).toBe('as typed, then cut to x');
  });
});

describe('after a run', () => {
  it('counts the scenes found against the scenes asked, only for a plan', () => {
    const video = blocksClip([[255, 0, 0], [0, 0, 255]], 8, 8, 8); // two 8-frame scenes, a hard cut at 8
    expect(checkScenes(withPlan, video)).toEqual({ asked: 2, found: 2, cuts: [8] });
    expect(checkScenes({ ...FALLBACK_SETTINGS, prompt: 'p' }, video)).toBeUndefined();
  });

  it('exports the plan and the check as a version 2 record, and a one-prompt clip as version 1', () => {
    const video = blocksClip([[255, 0, 0]], 4, 4, 4);
    const origin = { settings: withPlan, model: 'm', variant: 'fp32', backend: 'wasm', fps: 8, video };
    const v2 = clipSettings({ ...origin, sceneCheck: { asked: 2, found: 1, cuts: [] } });
    expect(parseSettings(v2)).toMatchObject({ version: 2, scenes: plan, sceneCheck: { asked: 2, found: 1, cuts: [] } });
    expect(clipSettings({ ...origin, settings: FALLBACK_SETTINGS })).toMatchObject({ version: 1 });
    expect('scenes' in clipSettings({ ...origin, settings: FALLBACK_SETTINGS })).toBe(false);
  });
});

describe('estimate before Generate', () => {
  it('scales the last run per frame and step, and says when there is none', () => {
    const e = estimatePlan({ frames: 32, steps: 10, width: 64, height: 64, withMotion: true }, { totalMs: 1600, frames: 16, steps: 20 });
    expect(e.ms).toBeCloseTo(1600 / (16 * 20) * 32 * 10);
    expect(e.frameBytes).toBe(32 * 64 * 64 * 4 * 2);
    expect(e.basis).toMatch(/last run's 5\.0 ms per frame and step/);
    const none = estimatePlan({ frames: 32, steps: 10, width: 64, height: 64, withMotion: false }, undefined);
    expect(none.ms).toBeUndefined();
    expect(none.basis).toMatch(/no run measured yet/);
  });
});
