/**
 * What a new prompt costs on a package whose text encoder is in parts (docs/model-package.md
 * "Parts"): the engine reads each part's files from the store, makes its session, runs and releases
 * it, for every prompt its text cache has not seen. Node, onnxruntime-web wasm, the folder store.
 *
 *   npx tsx scripts/parts-prompt-cost.ts [--package DIR] [--prompts 6] [--threads 1]
 *
 * Without --package it writes the shipped package with its text encoder cut in 3 parts
 * (tests/integration/helpers/parted-package.ts, ~90 MB) into a temporary folder. Each prompt is
 * one generation of 1 step with a prompt not seen before; the first prompt is reported apart (it is
 * the first read of the parts' files in this process). Prints one JSON line: the text encoder's
 * time per new prompt (GenerateResult.timings.textEncoderMs) and the store's share of it (getFile).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { VidletEngine } from '../src/engine/engine';
import { NodeFolderStore } from '../src/store/node-store';
import type { ModelFileStore } from '../src/store/types';
import { writePartedPackage } from '../tests/integration/helpers/parted-package';

const { values } = parseArgs({ options: { package: { type: 'string' }, prompts: { type: 'string', default: '6' }, threads: { type: 'string', default: '1' } } });
const made = values.package ? undefined : mkdtempSync(join(tmpdir(), 'vidlet-parted-'));
if (made) writePartedPackage(made);
const base = resolve(values.package ?? made!);

const folder = new NodeFolderStore();
let storeMs = 0;
// Every method of the folder store, getFile timed (the engine reads the parts through it).
const store: ModelFileStore = Object.assign(Object.create(folder) as NodeFolderStore, {
  getFile: async (...a: Parameters<NodeFolderStore['getFile']>) => {
    const t0 = performance.now();
    try {
      return await folder.getFile(...a);
    } finally {
      storeMs += performance.now() - t0;
    }
  },
});
ort.env.logLevel = 'error';
const engine = new VidletEngine(store, ort, { probe: async () => ({ webgpu: null, wasm: true, hardwareConcurrency: 2, crossOriginIsolated: true, isNode: true }) });
const info = await engine.loadModel({ base }, { backend: 'wasm', numThreads: Number(values.threads) });
const objects = ['ball', 'cube', 'star', 'ring', 'cone', 'disc', 'box', 'dot', 'bar', 'arc'];
const colours = ['red', 'blue', 'green', 'yellow', 'white', 'purple', 'orange'];
const rows: { textMs: number; storeMs: number }[] = [];
for (let i = 0; i < Number(values.prompts); i++) {
  storeMs = 0;
  const prompt = `a ${colours[i % colours.length]} ${objects[i % objects.length]} moves ${i % 2 ? 'left' : 'right'} number ${i}`;
  const r = await engine.generate({ prompt, seed: i, steps: 1, guidance: 1, innerGuidance: 0, sampler: 'euler' });
  rows.push({ textMs: r.timings.textEncoderMs, storeMs });
}
await engine.unload();
if (made) rmSync(made, { recursive: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const later = rows.slice(1);
console.log(JSON.stringify({
  model: info.name, backend: info.backend.description,
  firstPrompt: rows[0],
  newPromptMedian: { textMs: median(later.map((r) => r.textMs)), storeMs: median(later.map((r) => r.storeMs)) },
  prompts: rows.map((r) => ({ textMs: Math.round(r.textMs), storeMs: Math.round(r.storeMs) })),
}));
