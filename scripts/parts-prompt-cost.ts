/**
 * What a new prompt costs on a package whose text encoder is in parts (docs/model-package.md
 * "Parts"): the engine reads each part's files from the store, makes its session, runs and releases
 * it, for every prompt its text cache has not seen. Node, onnxruntime-web wasm, the folder store.
 *
 *   npx tsx scripts/parts-prompt-cost.ts [--package DIR] [--prompts 6] [--threads 1] [--compare verify|keep]
 *
 * Without --package it writes the shipped package with its text encoder cut in 3 parts
 * (tests/integration/helpers/parted-package.ts, ~90 MB) into a temporary folder. Two engines take
 * the same new prompts in turn. --compare verify (the default): one whose store hashes every read
 * of a part ('always', as before the engine asked for ReadOptions 'if-changed') and the engine as
 * it is. --compare keep: the engine as it is ('per-call') and one loaded with keepTextEncoder
 * ('kept', src/engine/parts-residency.ts). Each prompt is one generation of 1 step; the first
 * prompt is reported apart (the first read of the parts' files in each process hashes them either
 * way, and a kept engine makes its part sessions then). Prints one JSON line: the text encoder's
 * time per new prompt (GenerateResult.timings.textEncoderMs) and the store's share of it (getFile;
 * wall and the process's CPU time, which other work on a busy machine shakes less), each mode's
 * median over the prompts after the first, and the first mode's over the second's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { VidletEngine } from '../src/engine/engine';
import { NodeFolderStore } from '../src/store/node-store';
import type { FileProgress, ModelFileStore, PackageFile, ReadOptions } from '../src/store/types';
import { writePartedPackage } from '../tests/integration/helpers/parted-package';

const { values } = parseArgs({
  options: { package: { type: 'string' }, prompts: { type: 'string', default: '6' }, threads: { type: 'string', default: '1' }, compare: { type: 'string', default: 'verify' } },
});
/** The two engines each --compare sets side by side. */
const COMPARISONS = { verify: ['always', 'if-changed'], keep: ['per-call', 'kept'] } as const;
if (!(values.compare! in COMPARISONS)) throw new Error(`--compare must be ${Object.keys(COMPARISONS).join(' or ')}, got "${values.compare}".`);
const made = values.package ? undefined : mkdtempSync(join(tmpdir(), 'vidlet-parted-'));
if (made) writePartedPackage(made);
const base = resolve(values.package ?? made!);

/**
 * Two engines, each on its own folder store, taking the prompts in turn: 'always' hashes every read
 * of a part (getFile's default, what the engine did before the parts asked for 'if-changed'),
 * 'kept' keeps the part sessions loaded; the others are the engine as it is. The same prompts, each new to both.
 */
const MODES = COMPARISONS[values.compare as keyof typeof COMPARISONS];
type Mode = (typeof MODES)[number];
const storeMs = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
/** The process's CPU time (user + system) inside getFile: less shaken than wall time by other work on the machine. */
const storeCpuMs = { ...storeMs };
function storeFor(mode: Mode): ModelFileStore {
  const folder = new NodeFolderStore();
  return Object.assign(Object.create(folder) as NodeFolderStore, {
    getFile: async (base: string, file: PackageFile, onProgress?: (p: FileProgress) => void, options?: ReadOptions) => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      try {
        return await folder.getFile(base, file, onProgress, mode === 'always' ? { verify: 'always' } : options);
      } finally {
        storeMs[mode] += performance.now() - t0;
        const c = process.cpuUsage(c0);
        storeCpuMs[mode] += (c.user + c.system) / 1000;
      }
    },
  });
}
ort.env.logLevel = 'error';
const probe = async () => ({ webgpu: null, wasm: true, hardwareConcurrency: 2, crossOriginIsolated: true, isNode: true });
const engines = {} as Record<Mode, VidletEngine>;
for (const mode of MODES) {
  engines[mode] = new VidletEngine(storeFor(mode), ort, { probe });
  await engines[mode].loadModel({ base }, { backend: 'wasm', numThreads: Number(values.threads), keepTextEncoder: mode === 'kept' });
}
const objects = ['ball', 'cube', 'star', 'ring', 'cone', 'disc', 'box', 'dot', 'bar', 'arc'];
const colours = ['red', 'blue', 'green', 'yellow', 'white', 'purple', 'orange'];
const rows = Object.fromEntries(MODES.map((m) => [m, []])) as unknown as Record<Mode, { textMs: number; storeMs: number; storeCpuMs: number }[]>;
for (let i = 0; i < Number(values.prompts); i++) {
  const prompt = `a ${colours[i % colours.length]} ${objects[i % objects.length]} moves ${i % 2 ? 'left' : 'right'} number ${i}`;
  for (const mode of i % 2 ? [...MODES].reverse() : MODES) {
    storeMs[mode] = 0;
    storeCpuMs[mode] = 0;
    const r = await engines[mode].generate({ prompt, seed: i, steps: 1, guidance: 1, innerGuidance: 0, sampler: 'euler' });
    rows[mode].push({ textMs: r.timings.textEncoderMs, storeMs: storeMs[mode], storeCpuMs: storeCpuMs[mode] });
  }
}
for (const mode of MODES) await engines[mode].unload();
if (made) rmSync(made, { recursive: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const summary = (mode: Mode) => {
  const later = rows[mode].slice(1);
  return {
    firstPrompt: { textMs: Math.round(rows[mode][0]!.textMs), storeMs: Math.round(rows[mode][0]!.storeMs), storeCpuMs: Math.round(rows[mode][0]!.storeCpuMs) },
    newPromptMedian: {
      textMs: Math.round(median(later.map((r) => r.textMs))), storeMs: Math.round(median(later.map((r) => r.storeMs))), storeCpuMs: Math.round(median(later.map((r) => r.storeCpuMs))),
    },
  };
};
const a = summary(MODES[0]);
const b = summary(MODES[1]);
const over = (x: number, y: number) => (y === 0 ? null : +(x / y).toFixed(2));
console.log(JSON.stringify({
  package: base, prompts: Number(values.prompts), [MODES[0]]: a, [MODES[1]]: b,
  ratio: { textMs: over(a.newPromptMedian.textMs, b.newPromptMedian.textMs), storeMs: over(a.newPromptMedian.storeMs, b.newPromptMedian.storeMs), storeCpuMs: over(a.newPromptMedian.storeCpuMs, b.newPromptMedian.storeCpuMs) },
}));
