/**
 * A denoiser exported with a symbolic LoRA rank axis gets lora_down/lora_up cut to the rank the
 * loaded adapters use (1 with none) — far fewer bytes per call for large models — and produces
 * exactly the clip the fixed-rank export produces. The symbolic-rank copy of the shipped fp32
 * denoiser is made with the training venv's `onnx` (skipped without it; in CI, failed: tests/prerequisites.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VidletEngine } from '../../src/engine/engine';
import type { Ort } from '../../src/engine/sessions';
import type { AdapterSettings, GenerateRequest } from '../../src/engine/types';
import { NodeFolderStore } from '../../src/store/node-store';
import { available, SHIPPED_MODEL, TRAINING_PYTHON } from '../prerequisites';
import { makeAdapter } from './helpers/adapter-fixture';

const MODEL = 'public/models/vidlet-tiny';
const PY = TRAINING_PYTHON.path;
const TITLE = 'symbolic LoRA rank axis';
const ready = available(SHIPPED_MODEL, TITLE) && available(TRAINING_PYTHON, TITLE);
const sha = (d: Uint8Array | Uint8ClampedArray) => createHash('sha256').update(d).digest('hex');

/** onnxruntime-web that records the lora_down shape of every denoiser call. */
function spying(ranks: number[]): Ort {
  const create = ortWeb.InferenceSession.create.bind(ortWeb.InferenceSession);
  const InferenceSession = {
    create: async (...args: Parameters<typeof create>) => {
      const s = await create(...args);
      if (s.inputNames.includes('lora_down')) {
        const run = s.run.bind(s);
        (s as { run: unknown }).run = (feeds: Record<string, ortWeb.Tensor>, ...rest: unknown[]) => {
          ranks.push(feeds.lora_down!.dims[3]!);
          return (run as (...a: unknown[]) => unknown)(feeds, ...rest);
        };
      }
      return s;
    },
  };
  return new Proxy(ortWeb, { get: (t, k) => (k === 'InferenceSession' ? InferenceSession : (t as Record<string | symbol, unknown>)[k]) }) as unknown as Ort;
}

describe.runIf(ready)(TITLE, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidlet-rank-'));
  const dynRanks: number[] = [];
  const fixedRanks: number[] = [];
  const dyn = new VidletEngine(new NodeFolderStore(), spying(dynRanks));
  const fixed = new VidletEngine(new NodeFolderStore(), spying(fixedRanks));
  const req: GenerateRequest & AdapterSettings = { prompt: 'a green box falls', seed: 8, steps: 2, guidance: 5, innerGuidance: 3, sampler: 'euler' };
  let adapter: ReturnType<typeof makeAdapter>;

  beforeAll(async () => {
    const manifest = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
    for (const f of readdirSync(MODEL)) if (f !== 'manifest.json' && f !== 'denoiser.onnx') symlinkSync(resolve(MODEL, f), join(dir, f));
    const r = spawnSync(PY, ['tests/integration/helpers/symbolic_lora_rank.py', `${MODEL}/denoiser.onnx`, join(dir, 'denoiser.onnx')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const bytes = new Uint8Array(readFileSync(join(dir, 'denoiser.onnx')));
    manifest.components.denoiser.variants = { fp32: { files: [{ path: 'denoiser.onnx', bytes: bytes.length, sha256: sha(bytes) }] } };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    adapter = makeAdapter('rank-four', 'style', manifest.name, manifest.lora, 9); // rank 4 < R = 8
    await dyn.loadModel({ base: dir }, { variant: 'fp32', numThreads: 1 });
    await fixed.loadModel({ base: MODEL }, { variant: 'fp32', numThreads: 1 });
    for (const e of [dyn, fixed]) await e.addAdapter(adapter.weights, adapter.description);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('no adapters: rank 1 is fed and the clip equals the fixed-rank export', async () => {
    const a = await dyn.generate(req);
    const b = await fixed.generate(req);
    expect(dynRanks).toEqual([1, 1]);
    expect(fixedRanks).toEqual([8, 8]);
    expect(sha(a.video.data)).toBe(sha(b.video.data));
  });

  it("a rank-4 adapter: rank 4 is fed and the clip equals the fixed-rank export's", async () => {
    dynRanks.length = 0;
    const a = await dyn.generate({ ...req, adapters: [{ name: 'rank-four' }] });
    const b = await fixed.generate({ ...req, adapters: [{ name: 'rank-four' }] });
    const plain = await fixed.generate(req);
    expect(dynRanks).toEqual([4, 4]);
    expect(sha(a.video.data)).toBe(sha(b.video.data));
    expect(sha(a.video.data)).not.toBe(sha(plain.video.data));
  });
});
