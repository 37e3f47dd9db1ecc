/**
 * `vidlet generate`: one clip from the real engine, written with its settings embedded
 * (src/media). Progress lines go to stderr so that `--json` keeps stdout to one JSON object.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { encodeClip, formatFromPath, settingsFromResult } from '../media/index';
import type { GenerateRequest, GenerateResult, ModelInfo } from '../engine/types';
import type { GenerateOptions } from './args';
import { createNodeEngine, defaultThreads } from './node-engine';

export interface GenerateReport {
  settings: GenerateRequest;
  model: { name: string; variant: string; backend: string; threads: number; video: ModelInfo['video'] };
  output: { path: string; format: string; bytes: number; frames: number; width: number; height: number; fps: number };
  timings: GenerateResult['timings'] & { loadMs: number; encodeMs: number };
  batch: number;
  denoiserCalls: number;
  innerGuidance: { requested: number; active: boolean; reason: string };
  unknownWords: string[];
}

/** The request: the user's flags over the model's defaults. */
export function buildRequest(o: GenerateOptions, info: ModelInfo, randomSeed: () => number): GenerateRequest {
  return {
    prompt: o.prompt,
    ...(o.negative !== undefined ? { negativePrompt: o.negative } : {}),
    seed: o.seed ?? randomSeed(),
    steps: o.steps ?? info.defaults.steps,
    guidance: o.guidance ?? info.defaults.guidance,
    innerGuidance: o.innerGuidance ?? info.defaults.innerGuidance,
    sampler: o.sampler ?? info.defaults.sampler,
    ...(o.decodeMotion ? { decodeMotion: true } : {}),
  };
}

export async function runGenerate(o: GenerateOptions, log: (line: string) => void): Promise<GenerateReport> {
  const format = formatFromPath(o.out); // fail on a bad extension before loading anything
  const { engine, threads } = createNodeEngine(o.threads ?? defaultThreads());
  const tLoad = performance.now();
  let lastPct = -1;
  const info = await engine.loadModel({ base: resolve(o.model) }, { backend: 'auto', variant: o.variant, numThreads: threads }, (p) => {
    const pct = p.totalBytes > 0 ? Math.floor((100 * p.loadedBytes) / p.totalBytes) : 0;
    if (p.phase === 'session' || pct >= lastPct + 25) {
      lastPct = pct;
      log(`load: ${p.phase} ${pct}%${p.file ? ` ${p.file}` : ''}`);
    }
  });
  const loadMs = performance.now() - tLoad;
  log(`model ${info.name} (${info.variant}) on ${info.backend.description}: ${info.backend.reason}`);
  const request = buildRequest(o, info, () => Math.floor(Math.random() * 2 ** 32));
  log(`generating seed ${request.seed}, ${request.steps} steps, ${request.sampler}, guidance ${request.guidance}, inner guidance ${request.innerGuidance}`);
  const result = await engine.generate(request, {
    onStep: (s) => log(`step ${s.step}/${s.steps} t=${s.t.toFixed(3)} ${(s.elapsedMs / 1000).toFixed(1)} s, ~${(s.etaMs / 1000).toFixed(1)} s left`),
  });
  if (result.unknownWords.length > 0) log(`words the model never saw in training: ${result.unknownWords.join(', ')}`);

  const tEnc = performance.now();
  const bytes = await encodeClip(result.video, result.fps, settingsFromResult(result), format);
  const path = resolve(o.out);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  const encodeMs = performance.now() - tEnc;
  log(`wrote ${path} (${bytes.length} bytes, ${result.video.frames} frames ${result.video.width}×${result.video.height})`);
  await engine.unload();

  const active = result.batch === 3 || (result.batch === 2 && request.guidance === 1 && request.innerGuidance > 0);
  return {
    settings: result.request,
    model: { name: info.name, variant: result.variant, backend: result.backend, threads: info.backend.threads, video: info.video },
    output: { path, format, bytes: bytes.length, frames: result.video.frames, width: result.video.width, height: result.video.height, fps: result.fps },
    timings: { ...result.timings, loadMs, encodeMs },
    batch: result.batch,
    denoiserCalls: result.denoiserCalls,
    innerGuidance: {
      requested: request.innerGuidance,
      active,
      reason: active
        ? `VideoJAM Inner-Guidance on: ${result.batch} passes per step`
        : request.innerGuidance === 0
          ? 'off (--inner-guidance 0)'
          : info.hasMotion
            ? 'off'
            : 'off: this model has no motion latent',
    },
    unknownWords: result.unknownWords,
  };
}
