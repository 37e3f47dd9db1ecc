/**
 * Generates the held-out evaluation prompts with the real engine (onnxruntime-web, wasm, in Node:
 * the same code the page runs) and writes each clip as a PNG-frame zip for the Python judge.
 *
 *   npx tsx scripts/eval-engine.ts --prompts tests/fixtures/eval-prompts.json --out .tmp/eval-ig \
 *       [--limit 200] [--steps 20] [--guidance 5] [--inner-guidance 3] [--contrast 2] [--variant auto]
 *   training/.venv/bin/python -m vidlet_train.judge --clips .tmp/eval-ig --prompts tests/fixtures/eval-prompts.json
 *
 * Adapters: --lora NAME[:STRENGTH] (repeatable; shipped, or added with --adapter FILE.safetensors,
 * whose description is FILE.json beside it) and --blend constant|dualreal, as in `vidlet generate`.
 * The adapter fidelity table (training/vidlet_train/adapters/fidelity.py) is made this way.
 *
 * --guidance is the CFG scale w (1 = off), --inner-guidance VideoJAM's w2 (0 = off) and --contrast
 * contrast guidance's w3 (0 = off), the same meaning as the manifest's defaults and
 * `python -m vidlet_train.evaluate --guidance/--inner-guidance/--contrast` (docs/model-package.md);
 * unset, they are the manifest's defaults.
 *
 * --score also scores every clip with the package's reward model (Engine.scoreTakes, the page's
 * scorer) and writes scores.json, { id: { VQ, MQ, TA, overall } }: the reward win rate of one run
 * over another (`python -m vidlet_train.reward.win_rate`) is read from two such files.
 *
 * --seed-offset K makes every prompt's take from seed + K: K = 0…3 are best-of-4's takes (the
 * engine's best-of-N uses seeds seed, seed + 1, …; `python -m vidlet_train.reward.best_of_eval`).
 *
 * One model load for all prompts; each prompt carries its own seed, so two runs that differ only
 * in --inner-guidance compare the same prompts from the same noise.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportClip, settingsFromResult } from '../src/media';
import { loadNodeEngine } from '../src/cli/node-engine';
import { parseLoraRequest } from '../src/engine/adapters/slot-plan';
import type { AdapterSettings } from '../src/engine/types';

interface EvalPrompt { id: string; prompt: string; seed: number }

const { values } = parseArgs({
  options: {
    prompts: { type: 'string', default: 'tests/fixtures/eval-prompts.json' },
    out: { type: 'string', default: '.tmp/eval' },
    model: { type: 'string', default: 'public/models/vidlet-tiny' },
    limit: { type: 'string' },
    steps: { type: 'string' },
    guidance: { type: 'string' },
    'inner-guidance': { type: 'string' },
    contrast: { type: 'string' },
    variant: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: '2' },
    lora: { type: 'string', multiple: true },
    adapter: { type: 'string', multiple: true },
    blend: { type: 'string' },
    score: { type: 'boolean', default: false },
    'seed-offset': { type: 'string', default: '0' },
  },
});

const prompts: EvalPrompt[] = JSON.parse(readFileSync(values.prompts!, 'utf8'));
const limit = values.limit ? Number(values.limit) : prompts.length;
mkdirSync(values.out!, { recursive: true });
const { engine, info } = await loadNodeEngine({
  model: resolve(values.model!),
  backend: 'wasm',
  variant: values.variant as never,
  threads: Number(values.threads),
} as never);
for (const file of values.adapter ?? []) {
  const json = file.replace(/\.safetensors$/, '.json');
  const added = await engine.addAdapter!(new Uint8Array(readFileSync(file)), JSON.parse(readFileSync(json, 'utf8')), file);
  process.stderr.write(`adapter ${added.name} (${added.kind}) added from ${file}\n`);
}
if (values.blend !== undefined && values.blend !== 'constant' && values.blend !== 'dualreal') {
  throw new Error(`--blend ${values.blend}: use constant or dualreal`);
}
const adapterSettings: AdapterSettings = values.lora?.length
  ? { adapters: values.lora.map(parseLoraRequest), blend: (values.blend ?? 'constant') as AdapterSettings['blend'] }
  : {};
const started = Date.now();
const stepMs: number[] = [];
const scores: Record<string, { VQ: number; MQ: number; TA: number; overall: number }> = {};
for (const p of prompts.slice(0, limit)) {
  const result = await engine.generate({
    prompt: p.prompt,
    seed: p.seed + Number(values['seed-offset']),
    steps: values.steps ? Number(values.steps) : info.defaults.steps,
    guidance: values.guidance ? Number(values.guidance) : info.defaults.guidance,
    innerGuidance: values['inner-guidance'] !== undefined ? Number(values['inner-guidance']) : info.defaults.innerGuidance,
    contrast: values.contrast !== undefined ? Number(values.contrast) : info.defaults.contrast,
    sampler: info.defaults.sampler,
    ...adapterSettings,
  });
  stepMs.push(result.timings.stepMs);
  const zip = await exportClip(result.video, result.fps, settingsFromResult(result), 'zip');
  writeFileSync(join(values.out!, `${p.id}.zip`), zip.bytes);
  if (values.score) {
    const [{ VQ, MQ, TA, overall }] = await engine.scoreTakes!([result.video], p.prompt);
    scores[p.id] = { VQ, MQ, TA, overall };
  }
  process.stderr.write(`\r${p.id} ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
const summary = {
  model: info.name, variant: info.variant, backend: info.backend.description, clips: Math.min(limit, prompts.length),
  adapters: adapterSettings.adapters ?? [], blend: adapterSettings.blend ?? 'constant',
  meanStepMs: stepMs.reduce((a, b) => a + b, 0) / stepMs.length, wallS: (Date.now() - started) / 1000,
};
writeFileSync(join(values.out!, 'run.json'), JSON.stringify(summary, null, 1));
if (values.score) writeFileSync(join(values.out!, 'scores.json'), JSON.stringify(scores, null, 1));
process.stderr.write(`\n${JSON.stringify(summary)}\n`);
