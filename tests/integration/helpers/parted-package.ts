/**
 * The shipped package with its text encoder in parts (docs/model-package.md "Parts"): the fp32 text
 * encoder cut into `parts` graphs by parted_text_encoder.py (the same arithmetic as the whole graph,
 * each part with its own external data), the other files linked from the shipped package. For the
 * bench and the per-prompt cost of parts (scripts/parts-prompt-cost.ts) on real graphs; ~90 MB, of
 * which part 0 (the word embeddings) is ~62 MB.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TRAINING_PYTHON } from '../../prerequisites';

export const SHIPPED = 'public/models/vidlet-tiny';

/** Writes the parted package into the empty folder `dir`; returns the text encoder's parts (each its files). */
export function writePartedPackage(dir: string, parts = 3): string[][] {
  const py = spawnSync(TRAINING_PYTHON.path, ['tests/integration/helpers/parted_text_encoder.py', `${SHIPPED}/text_encoder.onnx`, dir, String(parts)], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`parted_text_encoder.py failed: ${py.stderr}`);
  const written = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as string[][];
  const mine = new Set(written.flat());
  for (const name of readdirSync(SHIPPED)) {
    if (name !== 'manifest.json' && !mine.has(name)) symlinkSync(resolve(SHIPPED, name), join(dir, name));
  }
  const manifest = JSON.parse(readFileSync(`${SHIPPED}/manifest.json`, 'utf8'));
  const files = written.flat().map((path) => ({
    path, bytes: statSync(join(dir, path)).size, sha256: createHash('sha256').update(readFileSync(join(dir, path))).digest('hex'),
  }));
  manifest.components.textEncoder.variants = { fp32: { files, parts: written.map((p) => p.length) } };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return written;
}
