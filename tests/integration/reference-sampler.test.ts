/**
 * The engine's whole generation loop against the training side's reference sampler
 * (training/vidlet_train/evaluate.py — Python onnxruntime, the code that scores the trained
 * model) on the shipped fp32 files, from the same initial noise: tokenizer, text encoder, the
 * unconditional "" pass, batch layout and motion flags, timesteps, CFG / Inner-Guidance, Euler and
 * the VAE decode must all agree, so the app generates what is evaluated.
 *
 * It runs at the manifest's default guidance (fewer steps, for time) and hands both sides the SAME
 * `guidance` (CFG scale w) and `innerGuidance` (VideoJAM w2) values: the contract
 * (docs/model-package.md) gives them one meaning, and each side derives Inner-Guidance's
 * w1 = w − 1 in one place (src/engine/guidance.ts, training/vidlet_train/guidance.py).
 *
 * Needs the training venv (training/.venv, `bash training/setup.sh`): without it this test FAILS
 * saying what is missing; it never skips.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VidletEngine } from '../../src/engine/engine';
import { gaussianNoise, NoiseStream } from '../../src/engine/noise';
import type { Ort } from '../../src/engine/sessions';
import type { GenerateRequest, ModelInfo } from '../../src/engine/types';
import { NodeFolderStore } from '../../src/store/node-store';
import { TRAINING_PYTHON } from '../prerequisites';

const MODEL = 'public/models/vidlet-tiny';
const PY = TRAINING_PYTHON.path; // it fails without it everywhere, CI or not (see above)
const HELPER = 'tests/integration/helpers/reference_sampler.py';
/** Denoising steps of each comparison: the manifest's defaultSteps, cut to this for time. */
const MAX_STEPS = 3;

/** Why the comparison cannot run here, or null when everything it needs is present. */
function missingPrerequisites(): string | null {
  const missing: string[] = [];
  if (!existsSync(`${MODEL}/manifest.json`)) missing.push(`the model package (${MODEL}/manifest.json)`);
  if (!existsSync(PY)) missing.push(`the training venv's Python (${PY})`);
  if (!existsSync('training/vidlet_train/evaluate.py')) missing.push('training/vidlet_train/evaluate.py');
  if (!existsSync(HELPER)) missing.push(HELPER);
  if (missing.length > 0) return `missing ${missing.join(', ')}`;
  const probe = spawnSync(PY, ['-c', 'import sys; sys.path.insert(0, "training"); import vidlet_train.evaluate'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (probe.status !== 0) return `${PY} cannot import vidlet_train.evaluate:\n${probe.stderr || probe.error?.message || `exit ${probe.status}`}`;
  return null;
}

describe('engine = reference sampler (training/vidlet_train/evaluate.py)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidlet-ref-'));
  const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort);
  let manifest: {
    schedule: { defaultSteps: number; defaultGuidance: number; defaultInnerGuidance: number };
    latent: { channels: number; frames: number; height: number; width: number };
    motion?: { channels: number };
    video: { frames: number; height: number; width: number };
  };
  let info: ModelInfo;
  let problem: string | null = null;
  /** Every test FAILS with this message (never skips) when Python or the model is missing. */
  const requirePrerequisites = () => {
    if (problem !== null) {
      throw new Error(
        `The engine-vs-reference-sampler test needs Python and cannot run: ${problem}.\n` +
          'Set up the training environment with `bash training/setup.sh` (creates training/.venv); this test fails rather than skips without it.',
      );
    }
  };
  beforeAll(async () => {
    problem = missingPrerequisites();
    if (problem !== null) return;
    manifest = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
    info = await engine.loadModel({ base: MODEL }, { variant: 'fp32', numThreads: 1 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the engine reports the manifest defaults unchanged', () => {
    requirePrerequisites();
    expect(info.defaults.guidance).toBe(manifest.schedule.defaultGuidance);
    expect(info.defaults.innerGuidance).toBe(manifest.schedule.defaultInnerGuidance);
  });

  const cases: [string, (s: typeof manifest.schedule) => Pick<GenerateRequest, 'guidance' | 'innerGuidance'>][] = [
    ['manifest defaults: defaultGuidance + defaultInnerGuidance', (s) => ({ guidance: s.defaultGuidance, innerGuidance: s.defaultInnerGuidance })],
    ['manifest defaultGuidance with Inner-Guidance off (plain CFG)', (s) => ({ guidance: s.defaultGuidance, innerGuidance: 0 })],
  ];
  for (const [label, weights] of cases) {
    it(label, async () => {
      requirePrerequisites();
      const steps = Math.min(manifest.schedule.defaultSteps, MAX_STEPS);
      const req: GenerateRequest = {
        prompt: 'a red circle moves left on a blue background',
        seed: 21,
        steps,
        sampler: 'euler',
        ...weights(manifest.schedule),
      };
      const ours = await engine.generate(req);
      const { channels: c, frames: t, height: h, width: w } = manifest.latent;
      const fx = join(dir, 'x.f32');
      const fd = join(dir, 'd.f32');
      const out = join(dir, 'ref.u8');
      // The engine's initial noise (same streams as pipeline.ts) handed to the reference sampler.
      writeFileSync(fx, gaussianNoise(req.seed, NoiseStream.video, c * t * h * w));
      writeFileSync(fd, gaussianNoise(req.seed, NoiseStream.motion, (manifest.motion?.channels ?? c) * t * h * w));
      // The same guidance values the engine was given, as they are: no conversion here.
      const args = [HELPER, MODEL, 'fp32', req.prompt, String(req.seed), String(req.steps), String(req.guidance), String(req.innerGuidance), fx, fd, out];
      const r = spawnSync(PY, args, { encoding: 'utf8', timeout: 180_000 });
      expect(r.status, r.stderr || r.error?.message).toBe(0);
      const ref = new Uint8Array(readFileSync(out)); // [F, H, W, 3]
      const { frames, height, width } = manifest.video;
      expect(ref.length).toBe(frames * height * width * 3);
      let sum = 0;
      let max = 0;
      for (let p = 0; p < frames * height * width; p++) {
        for (let k = 0; k < 3; k++) {
          const d = Math.abs(ours.video.data[p * 4 + k]! - ref[p * 3 + k]!);
          sum += d;
          if (d > max) max = d;
        }
      }
      const mean = sum / (frames * height * width * 3);
      console.log(
        `${label} (guidance ${req.guidance}, innerGuidance ${req.innerGuidance}, ${steps} steps, B = ${ours.batch}): ` +
          `engine vs reference sampler, mean |Δ| ${mean.toFixed(4)} levels, max ${max}`,
      );
      expect(mean).toBeLessThan(0.05);
      expect(max).toBeLessThanOrEqual(2);
    }, 240_000);
  }
});
