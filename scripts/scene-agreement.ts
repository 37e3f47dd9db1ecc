/**
 * Vidlet's cut detector (src/media/cut-detector.ts) against PySceneDetect on the same frames (#10):
 * reads the PNG sequences and cuts.json that training/vidlet_train/scene_agreement.py wrote, runs
 * detectCuts in both modes with the same parameters, and reports the share of clips whose cuts
 * agree within ±1 frame (same number of cuts, each within a frame), exactly, and against the
 * true cuts, and the largest difference between our score of a frame and ContentDetector's
 * content_val. Writes agreement.json beside cuts.json.
 *
 *   cd training && .venv/bin/python -m vidlet_train.scene_agreement --clips 60
 *   npx tsx scripts/scene-agreement.ts [--dir training/runs/scene-agreement]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decode } from 'fast-png';
import type { FramesRGBA } from '../src/engine/types';
import { detectCuts, type CutOptions } from '../src/media/cut-detector';

interface ClipCuts {
  dir: string;
  frames: number;
  scenes: number;
  truth: number[];
  content: number[];
  adaptive: number[];
  /** ContentDetector's content_val of each frame (0 for the first). */
  scores: number[];
}
interface CutsFile {
  pyscenedetect: string;
  params: { threshold: number; minSceneFrames: number };
  clips: ClipCuts[];
}
const MODES = ['content', 'adaptive'] as const;

const { values } = parseArgs({ options: { dir: { type: 'string', default: 'training/runs/scene-agreement' } } });
const dir = values.dir!;
const doc = JSON.parse(readFileSync(join(dir, 'cuts.json'), 'utf8')) as CutsFile;

function readClip(folder: string): FramesRGBA {
  const files = readdirSync(folder).filter((f) => /^frame-\d+\.png$/.test(f)).sort();
  const images = files.map((f) => decode(readFileSync(join(folder, f))));
  const { width, height } = images[0]!;
  const data = new Uint8ClampedArray(files.length * width * height * 4);
  images.forEach((img, f) => {
    if (img.width !== width || img.height !== height || img.depth !== 8) throw new Error(`${folder}: frames differ in size or depth`);
    for (let p = 0; p < width * height; p++) {
      for (let c = 0; c < 3; c++) data[(f * width * height + p) * 4 + c] = img.data[p * img.channels + c]!;
      data[(f * width * height + p) * 4 + 3] = 255;
    }
  });
  return { width, height, frames: files.length, data };
}

/** Same number of cuts, each within `tolerance` frames of its partner. */
const agree = (a: number[], b: number[], tolerance: number) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= tolerance);
const share = (n: number, of: number) => `${n}/${of} (${((100 * n) / of).toFixed(1)}%)`;

const rows = doc.clips.map((clip) => {
  const video = readClip(join(dir, clip.dir));
  if (video.frames !== clip.frames) throw new Error(`${clip.dir}: ${video.frames} PNG frames, cuts.json says ${clip.frames}`);
  const ours = Object.fromEntries(MODES.map((mode) => {
    const options: CutOptions = { mode, threshold: doc.params.threshold, minSceneFrames: doc.params.minSceneFrames };
    return [mode, detectCuts(video, options)];
  })) as Record<(typeof MODES)[number], ReturnType<typeof detectCuts>>;
  return { clip, ours };
});

const report = Object.fromEntries(MODES.map((mode) => {
  const n = rows.length;
  const within1 = rows.filter((r) => agree(r.ours[mode].cuts, r.clip[mode], 1)).length;
  const exact = rows.filter((r) => agree(r.ours[mode].cuts, r.clip[mode], 0)).length;
  const oursTrue = rows.filter((r) => agree(r.ours[mode].cuts, r.clip.truth, 1)).length;
  const theirsTrue = rows.filter((r) => agree(r.clip[mode], r.clip.truth, 1)).length;
  const disagreements = rows.filter((r) => !agree(r.ours[mode].cuts, r.clip[mode], 1)).map((r) => ({
    clip: r.clip.dir, truth: r.clip.truth, pyscenedetect: r.clip[mode], ours: r.ours[mode].cuts,
    scoresAtCuts: [...new Set([...r.clip.truth, ...r.clip[mode], ...r.ours[mode].cuts])].sort((a, b) => a - b)
      .map((f) => [f, Number(r.ours[mode].scores[f]!.toFixed(2))]),
  }));
  return [mode, {
    agreementWithin1: within1 / n, agreementExact: exact / n, oursMatchTruth: oursTrue / n, pyscenedetectMatchesTruth: theirsTrue / n,
    summary: `agree within ±1 frame ${share(within1, n)}, exactly ${share(exact, n)}; true cuts (±1) found by ours ${share(oursTrue, n)}, by PySceneDetect ${share(theirsTrue, n)}`,
    disagreements,
  }];
}));

// Scores: the same in both modes; compared frame by frame with PySceneDetect's.
const scoreDiffs = rows.flatMap((r) => r.clip.scores.map((theirs, f) => Math.abs(r.ours.content.scores[f]! - theirs)));
const maxScoreDiff = Math.max(...scoreDiffs);
const out = {
  pyscenedetect: doc.pyscenedetect, clips: rows.length, byScenes: countBy(rows.map((r) => r.clip.scenes)),
  frames: scoreDiffs.length, maxScoreDifference: maxScoreDiff, ...report,
};
writeFileSync(join(dir, 'agreement.json'), `${JSON.stringify(out, null, 1)}\n`);
for (const mode of MODES) process.stdout.write(`${mode}: ${report[mode]!.summary}\n`);
process.stdout.write(`scores: largest difference from ContentDetector's content_val over ${scoreDiffs.length} frames: ${maxScoreDiff.toExponential(2)}\n`);
process.stdout.write(`wrote ${join(dir, 'agreement.json')}\n`);

function countBy(xs: number[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const x of xs) c[x] = (c[x] ?? 0) + 1;
  return c;
}
