/**
 * Vidlet's cut detector (src/media/cut-detector.ts, the one the page's "N scenes found of M asked"
 * uses) over clips written by training/vidlet_train/scene_eval.py: reads clips.json (per clip a
 * raw RGBA file and its frames, width, height) in --dir and writes found.json: per clip the cuts
 * and the scenes found. Python measures, this counts, so the count is the page's own.
 *
 *   npx tsx scripts/count-scenes.ts --dir training/runs/scene-eval
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { detectCuts } from '../src/media/cut-detector';

interface ClipEntry {
  file: string;
  frames: number;
  width: number;
  height: number;
}

const { values } = parseArgs({ options: { dir: { type: 'string', default: 'training/runs/scene-eval' } } });
const dir = values.dir!;
const clips = (JSON.parse(readFileSync(join(dir, 'clips.json'), 'utf8')) as { clips: ClipEntry[] }).clips;
const found = clips.map((c) => {
  const bytes = readFileSync(join(dir, c.file));
  if (bytes.length !== c.frames * c.height * c.width * 4) {
    throw new Error(`${c.file}: ${bytes.length} bytes, expected ${c.frames}×${c.height}×${c.width}×4 (RGBA)`);
  }
  const report = detectCuts({ width: c.width, height: c.height, frames: c.frames, data: new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.length) });
  return { file: c.file, cuts: report.cuts, scenes: report.scenes };
});
writeFileSync(join(dir, 'found.json'), JSON.stringify({ found }, null, 1));
console.log(`${found.length} clips: ${found.map((f) => f.scenes).join(' ')} scenes found`);
