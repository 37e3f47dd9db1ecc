/**
 * Flow-DPO from exported votes to the engine (#9): the adapter the training command writes
 * installs like any adapter and loads in the engine the page runs.
 *
 * One vote is built and exported as the page does (takeVoteRecord at Save, votesToJsonl at Export),
 * then `python -m vidlet_train.reward.flow_dpo` runs on it as a user runs it: its two takes are made
 * again by `vidlet generate` (reward/regenerate.py), encoded, and a rank-4 LoRA is fine-tuned for a
 * few steps on the committed fp16 copy of the shipped DiT (training/checkpoints/dit-ta1-4000.pt,
 * the run the package was exported from; model card) and written by export_flow_dpo.
 * `python -m vidlet_train.adapters.install` puts it into a copy of the package. Then, in the Node
 * engine on onnxruntime-web: the package lists it, its sha256 (checked by the store when it is
 * read) and rank metadata are accepted, it changes the clip and strength 0 does not, and the
 * exported pair given to `vidlet generate --adapter FILE --lora NAME` on the shipped package makes
 * the very same frames as the installed copy.
 *
 * Needs the training venv (training/.venv, `bash training/setup.sh`): without it this test FAILS
 * saying what is missing; it never skips (the reference-sampler test's rule).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FALLBACK_SETTINGS } from '../../src/app/data/generation-settings';
import { takeVoteRecord } from '../../src/app/data/take-vote';
import { loadAdapter } from '../../src/engine/adapters';
import { VidletEngine } from '../../src/engine/engine';
import type { Ort } from '../../src/engine/sessions';
import type { AdapterSettings, GenerateRequest, GenerateResult } from '../../src/engine/types';
import { encodeFramePng } from '../../src/media/png';
import { frameFileName } from '../../src/media/zip';
import { NodeFolderStore } from '../../src/store/node-store';
import { votesToJsonl } from '../../src/votes/vote-record';
import { TRAINING_PYTHON } from '../prerequisites';

const SHIPPED = 'public/models/vidlet-tiny';
const PY = resolve(TRAINING_PYTHON.path); // it fails without it everywhere, CI or not (see above)
const DIT = 'checkpoints/dit-ta1-4000.pt';
const VAE = 'checkpoints/vae4-6000.pt';
const NAME = 'flow-dpo';
/**
 * Hang guards, not budgets: alone the training command takes ~17 s of CPU (two takes made by the
 * CLI, three steps); beside other jobs on the 2 shared cores it took several minutes of wall time.
 */
const SPAWN_MS = 900_000;
/** LoRA rank and alpha asked of the trainer; the engine must read them back from the file. */
const RANK = 4;
const sha = (d: Uint8Array | Uint8ClampedArray) => createHash('sha256').update(d).digest('hex');

/** Why the test cannot run here, or null when everything it needs is present. */
function missingPrerequisites(): string | null {
  const missing = [`${SHIPPED}/manifest.json`, PY, `training/${DIT}`, `training/${VAE}`].filter((p) => !existsSync(p));
  if (missing.length > 0) return `missing ${missing.join(', ')}`;
  const probe = spawnSync(PY, ['-c', 'import vidlet_train.reward.flow_dpo, vidlet_train.adapters.install'], { cwd: 'training', encoding: 'utf8', timeout: 120_000 });
  if (probe.status !== 0) return `${PY} cannot import vidlet_train.reward.flow_dpo:\n${probe.stderr || probe.error?.message || `exit ${probe.status}`}`;
  return null;
}

function python(args: string[]) {
  const r = spawnSync(PY, args, { cwd: 'training', encoding: 'utf8', timeout: SPAWN_MS });
  expect(r.status, `${args.slice(0, 2).join(' ')}:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('Flow-DPO adapter from exported votes, loaded by the engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidlet-flow-dpo-'));
  /** A copy of the shipped package the adapter is installed into (files linked; manifest and adapters/ its own). */
  const pkg = join(dir, 'pkg');
  const out = join(dir, 'out');
  const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort);
  const manifest = JSON.parse(readFileSync(`${SHIPPED}/manifest.json`, 'utf8'));
  let problem: string | null = null;
  let trainLog = '';
  /** Every test FAILS with this message (never skips) when Python or the checkpoints are missing. */
  const requirePrerequisites = () => {
    if (problem !== null) {
      throw new Error(
        `The Flow-DPO adapter test needs the training venv and cannot run: ${problem}.\n` +
          'Set up the training environment with `bash training/setup.sh` (creates training/.venv); this test fails rather than skips without it.',
      );
    }
  };

  beforeAll(async () => {
    problem = missingPrerequisites();
    if (problem !== null) return;
    mkdirSync(join(pkg, 'adapters'), { recursive: true });
    for (const f of readdirSync(SHIPPED)) if (f !== 'manifest.json' && f !== 'adapters') symlinkSync(resolve(SHIPPED, f), join(pkg, f));
    for (const f of readdirSync(`${SHIPPED}/adapters`)) symlinkSync(resolve(SHIPPED, 'adapters', f), join(pkg, 'adapters', f));
    // Byte for byte: the votes name the model by its manifest's sha256, as the page does.
    copyFileSync(`${SHIPPED}/manifest.json`, join(pkg, 'manifest.json'));

    const settings = { ...FALLBACK_SETTINGS, prompt: 'a red ball bounces on a white background', steps: 1 };
    const take = (id: string, seed: number) => ({ id, settings: { ...settings, seed }, model: manifest.name, variant: 'int8', adapterHashes: {} });
    const vote = takeVoteRecord({
      id: 'vote-1',
      createdAt: 1,
      a: take('take-a', 11),
      b: take('take-b', 12),
      model: { name: manifest.name, hash: sha(readFileSync(`${SHIPPED}/manifest.json`)), variant: 'int8' },
      outcomes: { VQ: 'A', MQ: 'tie', TA: 'A', overall: 'A' },
    });
    writeFileSync(join(dir, 'votes.jsonl'), votesToJsonl([vote]));

    // lr and beta as the Python smoke test (test_flow_dpo_smoke.py): large enough that three steps
    // move the adapter off its no-op start (B = 0) by more than a level of 255 in the frames.
    trainLog = python([
      '-m', 'vidlet_train.reward.flow_dpo', '--votes', join(dir, 'votes.jsonl'), '--package', pkg, '--dit', DIT, '--vae', VAE,
      '--out', out, '--name', NAME, '--steps', '3', '--batch', '1', '--rank', String(RANK), '--alpha', String(RANK),
      '--lr', '1e-2', '--beta', '500', '--threads', '1',
    ]);
    python(['-m', 'vidlet_train.adapters.install', '--entries', join(out, `${NAME}.entry.json`), '--package', pkg]);
    ortWeb.env.logLevel = 'error';
  }, SPAWN_MS);
  afterAll(async () => {
    await engine.unload().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('the training command reads the exported vote, makes its takes again and writes the adapter pair', () => {
    requirePrerequisites();
    expect(trainLog).toContain(`wrote ${out}/${NAME}.* in`);
    const description = JSON.parse(readFileSync(join(out, `${NAME}.json`), 'utf8'));
    expect(description).toMatchObject({ format: 'vidlet-adapter', name: NAME, kind: 'style', baseModel: manifest.name, triggerWords: [], recommendedStrength: 1 });
    expect(description.training.method).toBe('Flow-DPO (VideoAlign) on 1 decisive votes, dimension overall');
    expect(description.training.config).toMatchObject({ steps: 3, rank: RANK });
    // The installer copied it and listed its size and sha256 beside the shipped adapters.
    const installed = JSON.parse(readFileSync(join(pkg, 'manifest.json'), 'utf8'));
    const weights = readFileSync(join(out, `${NAME}.safetensors`));
    expect(installed.adapters.map((a: { name: string }) => a.name)).toEqual([...manifest.adapters.map((a: { name: string }) => a.name), NAME]);
    expect(installed.adapters.at(-1)).toEqual({
      name: NAME, kind: 'style', file: `adapters/${NAME}.safetensors`, description: `adapters/${NAME}.json`, bytes: weights.length, sha256: sha(weights),
    });
  });

  it('the engine accepts its metadata: base model, rank and alpha as trained, every q/k/v/o layer of every block', () => {
    requirePrerequisites();
    const a = loadAdapter(
      { weights: new Uint8Array(readFileSync(join(out, `${NAME}.safetensors`))), description: JSON.parse(readFileSync(join(out, `${NAME}.json`), 'utf8')) },
      { name: manifest.name, lora: manifest.lora },
    );
    expect([a.rank, a.alpha]).toEqual([RANK, RANK]);
    expect(a.layers).toHaveLength(manifest.lora.depth * manifest.lora.targets.length);
    // Trained: its up weights are not the zeros it started from.
    expect(a.up.some((v) => v !== 0)).toBe(true);
  });

  it('installed: the package lists it, the store accepts its sha256, it changes the clip and strength 0 does not; the CLI given the exported pair makes the same frames', async () => {
    requirePrerequisites();
    const info = await engine.loadModel({ base: pkg }, { variant: 'int8', numThreads: 1 });
    expect(info.adapters).toContainEqual({ name: NAME, kind: 'style', triggerWords: [], recommendedStrength: 1 });

    // The dropped-file route, as a user runs it: `vidlet generate --adapter FILE --lora NAME` on the
    // shipped package, which does not list the adapter.
    const clipZip = join(dir, 'cli.zip');
    const cli = spawnSync(process.execPath, [
      'bin/vidlet.mjs', 'generate', '--prompt', 'a blue star moves right on a yellow background', '--seed', '5', '--steps', '2',
      '--model', SHIPPED, '--variant', 'int8', '--adapter', join(out, `${NAME}.safetensors`), '--lora', NAME, '--out', clipZip, '--json', '--threads', '1',
    ], { encoding: 'utf8', timeout: SPAWN_MS });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stderr).toContain(`adapter ${NAME} (style) added from ${join(out, `${NAME}.safetensors`)}`);
    const s = JSON.parse(cli.stdout.trim()).settings;
    expect(s.adapters).toEqual([{ name: NAME }]);

    const request: GenerateRequest & AdapterSettings = {
      prompt: s.prompt, negativePrompt: s.negativePrompt, seed: s.seed, steps: s.steps, guidance: s.guidance, innerGuidance: s.innerGuidance, contrast: s.contrast, sampler: s.sampler,
    };
    const plain = await engine.generate(request);
    const tuned = await engine.generate({ ...request, adapters: [{ name: NAME }] });
    expect(sha(tuned.video.data)).not.toBe(sha(plain.video.data));
    expect(sha((await engine.generate({ ...request, adapters: [{ name: NAME, strength: 0 }] })).video.data)).toBe(sha(plain.video.data));

    const frames = unzipSync(new Uint8Array(readFileSync(clipZip)));
    const png = (r: GenerateResult, i: number) => encodeFramePng(r.video, i);
    for (let i = 0; i < tuned.video.frames; i++) expect(frames[frameFileName(i, tuned.video.frames)], `frame ${i}`).toEqual(png(tuned, i));
  }, SPAWN_MS);
});
