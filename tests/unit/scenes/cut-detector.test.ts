/**
 * The cut detector (src/media/cut-detector.ts) on synthetic clips, and its HSV conversion against
 * OpenCV's (tests/fixtures/opencv-hsv-cases.json, written by training/vidlet_train/opencv_hsv_cases.py).
 * Agreement with PySceneDetect itself on rendered world clips: scripts/scene-agreement.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FramesRGBA } from '../../../src/engine/types';
import { contentScores, cutSummary, cutsFromScores, detectCuts, type CutOptions } from '../../../src/media/cut-detector';
import { rgbaToHsv } from '../../../src/media/hsv';

type RGB = [number, number, number];
type Picture = (f: number, x: number, y: number) => RGB;
const SIZE = 64;

function clip(frames: number, picture: Picture): FramesRGBA {
  const data = new Uint8ClampedArray(frames * SIZE * SIZE * 4);
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const [r, g, b] = picture(f, x, y);
        const o = ((f * SIZE + y) * SIZE + x) * 4;
        data[o] = r;
        data[o + 1] = g;
        data[o + 2] = b;
        data[o + 3] = 255;
      }
    }
  }
  return { width: SIZE, height: SIZE, frames, data };
}

const mix = (a: RGB, b: RGB, t: number): RGB => [0, 1, 2].map((i) => Math.round(a[i]! * (1 - t) + b[i]! * t)) as RGB;
/** A red square moving right on blue. */
const sceneA: Picture = (f, x, y) => (Math.abs(x - 10 - f) < 8 && Math.abs(y - 32) < 8 ? [230, 30, 30] : [30, 70, 230]);
/** A green disc on yellow: far from A in hue. */
const sceneB: Picture = (_f, x, y) => ((x - 40) ** 2 + (y - 30) ** 2 < 100 ? [40, 200, 60] : [250, 230, 40]);
/** An orange square on crimson: near A's red in hue, for a gentle dissolve. */
const sceneC: Picture = (_f, x, y) => (Math.abs(x - 30) < 8 && Math.abs(y - 32) < 8 ? [250, 160, 40] : [200, 40, 90]);
const black: Picture = () => [0, 0, 0];
/** `a` until frame 8, then a linear dissolve over `steps` frames into `b`. */
const dissolve = (steps: number, a: Picture, b: Picture) =>
  clip(24, (f, x, y) => mix(a(f, x, y), b(f, x, y), Math.min(1, Math.max(0, (f - 8) / steps))));
const both = (video: FramesRGBA) => ({
  content: detectCuts(video, { mode: 'content' }).cuts,
  adaptive: detectCuts(video, { mode: 'adaptive' }).cuts,
});

describe('HSV as OpenCV converts it', () => {
  it('matches cv2.cvtColor(COLOR_BGR2HSV) on every fixture pixel, greys and ties included', () => {
    const fx = JSON.parse(readFileSync('tests/fixtures/opencv-hsv-cases.json', 'utf8')) as { rgb: number[]; hsv: number[] };
    const n = fx.rgb.length / 3;
    const rgba = new Uint8ClampedArray(n * 4);
    for (let i = 0; i < n; i++) rgba.set([fx.rgb[3 * i]!, fx.rgb[3 * i + 1]!, fx.rgb[3 * i + 2]!, 255], 4 * i);
    const { h, s, v } = rgbaToHsv(rgba, n);
    const got = Array.from({ length: n }, (_, i) => [h[i], s[i], v[i]]).flat();
    const wrong = got.flatMap((g, i) => (g === fx.hsv[i] ? [] : [`pixel ${Math.floor(i / 3)} channel ${i % 3}: ${g} vs ${fx.hsv[i]}`]));
    expect(n).toBeGreaterThanOrEqual(1000);
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});

describe('detectCuts', () => {
  it('finds a hard cut between two different scenes at the frame the new scene starts', () => {
    const video = clip(20, (f, x, y) => (f < 10 ? sceneA(f, x, y) : sceneB(f, x, y)));
    expect(both(video)).toEqual({ content: [10], adaptive: [10] });
    const report = detectCuts(video);
    expect(report.scenes).toBe(2);
    expect(report.scores).toHaveLength(20);
    expect(report.scores[0]).toBe(0);
    expect(report.scores[10]).toBeGreaterThan(27);
    // two cuts, three scenes
    expect(detectCuts(clip(30, (f, x, y) => (f < 10 ? sceneA(f, x, y) : f < 20 ? sceneB(f, x, y) : sceneC(f, x, y)))).cuts).toEqual([10, 20]);
  });

  it('a moving object on a still background is not a cut', () => {
    expect(both(clip(20, (f, x, y) => sceneA(2 * f, x, y)))).toEqual({ content: [], adaptive: [] });
    // a large object moving fast: a quarter of the frame changes every step
    const big: Picture = (f, x, y) => (Math.abs(x - 4 * f) < 16 && Math.abs(y - 32) < 16 ? [250, 250, 250] : [20, 20, 20]);
    expect(both(clip(16, big))).toEqual({ content: [], adaptive: [] });
  });

  it('a camera pan over stripes is not a cut; a fast one passes the fixed threshold, hence the adaptive default', () => {
    const pan = (speed: number): FramesRGBA => clip(20, (f, x) => (Math.floor((x + f * speed) / 16) % 2 ? [20, 20, 20] : [240, 240, 240]));
    expect(both(pan(2))).toEqual({ content: [], adaptive: [] }); // the world's pans: ~2 px a frame
    const fast = pan(8); // half a stripe per frame: every step flips half the pixels
    expect(contentScores(fast).slice(1).every((s) => s > 27)).toBe(true);
    expect(both(fast)).toEqual({ content: [4, 8, 12, 16], adaptive: [] });
    expect(detectCuts(fast).cuts).toEqual([]);
  });

  it('fades, by the documented rule', () => {
    expect(both(dissolve(1, sceneA, sceneB))).toEqual({ content: [9], adaptive: [9] });
    expect(both(dissolve(2, sceneA, sceneB))).toEqual({ content: [9], adaptive: [9] });
    expect(both(dissolve(8, sceneA, sceneC))).toEqual({ content: [], adaptive: [] }); // similar hues: no step stands out
    expect(both(dissolve(8, sceneA, sceneB))).toEqual({ content: [11], adaptive: [] }); // through grey: hue swings mid-way
    expect(both(dissolve(8, black, sceneA))).toEqual({ content: [9], adaptive: [9] }); // out of black: its first light
    expect(both(dissolve(8, sceneA, black))).toEqual({ content: [16], adaptive: [16] }); // into black: its first black frame
  });
});

describe('cutsFromScores', () => {
  const scores = [0, 1, 1, 40, 1, 1, 1, 1, 40, 1, 40, 1];
  it('keeps a cut only when its scene has minSceneFrames frames', () => {
    const content: CutOptions = { mode: 'content' };
    expect(cutsFromScores(scores, content)).toEqual([8]); // 3 - 0 < 4; 10 - 8 < 4
    expect(cutsFromScores(scores, { ...content, minSceneFrames: 1 })).toEqual([3, 8, 10]);
    expect(cutsFromScores(scores, { ...content, minSceneFrames: 3 })).toEqual([3, 8]);
  });

  it('adaptive: a score must stand out from its neighbours and reach minScore', () => {
    expect(cutsFromScores([0, 10, 10, 10, 60, 10, 10, 10])).toEqual([4]);
    expect(cutsFromScores([0, 10, 10, 10, 25, 10, 10, 10])).toEqual([]); // 2.5 × its neighbours
    expect(cutsFromScores([0, 2, 2, 2, 12, 2, 2, 2])).toEqual([]); // 6 × but below minScore 15
    expect(cutsFromScores([0, 0, 0, 0, 20, 0, 0, 0])).toEqual([4]); // still neighbours: any score over minScore
    expect(cutsFromScores([0, 10, 10, 10, 60, 10, 10, 10], { adaptiveRatio: 7 })).toEqual([]);
  });

  it('a clip of one frame has no cuts', () => {
    expect(detectCuts(clip(1, sceneA))).toEqual({ cuts: [], scenes: 1, scores: [0] });
  });
});

describe('cutSummary', () => {
  it('says how many scenes were found of those asked', () => {
    expect(cutSummary(2, 2)).toBe('2 scenes found of 2 asked');
    expect(cutSummary(1, 3)).toBe('1 scene found of 3 asked');
  });
});
