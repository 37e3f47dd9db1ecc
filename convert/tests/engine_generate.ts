// Vidlet's own engine (src/engine, onnxruntime-web wasm in Node: what `vidlet generate --model PKG`
// runs) generating one clip from a converted package, for the converter's tests to compare with the
// publisher's diffusers pipeline started from the same noise.
// npx tsx convert/tests/engine_generate.ts SPEC.json — SPEC: { model, variant, prompt, seed, steps,
// guidance, out, sampler? (default: the package's defaultSampler, as `vidlet generate`), preset?, adapters?:
// [{ weights (a .safetensors path), description? (a .json path), strength }] added with addAdapter and used }. Writes out/noise.f32 (the initial latent the engine drew for the seed, [c,t,h,w],
// pipeline.ts initialNoise), out/decode_noise.f32 (the seed's NoiseStream.decode draw, [c,t,h,w], which a
// package whose vaeDecoder maps decode_noise is fed), out/video.u8 (RGBA frames, [T,H,W,4]) and out/result.json (with stepLevels:
// the noise level each step ended at).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { VidletEngine } from '../../src/engine/engine';
import { gaussianNoise, NoiseStream } from '../../src/engine/noise';
import type { Ort } from '../../src/engine/sessions';
import { NodeFolderStore } from '../../src/store/node-store';
import { parseManifest } from '../../src/store/manifest';
import { presetSize } from '../../src/package/presets';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
ortWeb.env.logLevel = 'error';
const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort);
const info = await engine.loadModel({ base: resolve(spec.model) }, { variant: spec.variant, numThreads: 1 });
// the level each step ended at, so a test sees the engine's own schedule (src/engine/schedulers/timesteps.ts)
const stepLevels: number[] = [];
const sampler = spec.sampler ?? info.defaults.sampler;
const adapters: { name: string; strength: number }[] = [];
for (const a of spec.adapters ?? []) {
  const description = a.description === undefined ? undefined : JSON.parse(readFileSync(a.description, 'utf8'));
  const added = await engine.addAdapter(readFileSync(a.weights), description, basename(a.weights));
  adapters.push({ name: added.name, strength: a.strength });
}
const result = await engine.generate({
  prompt: spec.prompt, seed: spec.seed, steps: spec.steps, guidance: spec.guidance, innerGuidance: 0, sampler,
  ...(spec.preset === undefined ? {} : { preset: spec.preset }),
  ...(adapters.length ? { adapters } : {}),
}, { onStep: (p) => stepLevels.push(p.t) });
// the latent of the size made: the package's own, or the preset's (src/package/presets.ts)
const manifest = parseManifest(JSON.parse(readFileSync(join(spec.model, 'manifest.json'), 'utf8')));
const size = presetSize(manifest, spec.preset);
if (typeof size === 'string') throw new Error(`preset ${size}`);
const c = manifest.latent.channels;
const { frames: t, height: h, width: w } = size.latent;
writeFileSync(join(spec.out, 'noise.f32'), gaussianNoise(spec.seed, NoiseStream.video, c * t * h * w));
// the decode noise a vaeDecoder with the optional decode_noise role was fed (engine.ts decodeVideo)
writeFileSync(join(spec.out, 'decode_noise.f32'), gaussianNoise(spec.seed, NoiseStream.decode, c * t * h * w));
writeFileSync(join(spec.out, 'video.u8'), result.video.data);
writeFileSync(join(spec.out, 'result.json'), JSON.stringify({
  variant: result.variant, backend: result.backend, batch: result.batch, denoiserCalls: result.denoiserCalls,
  frames: result.video.frames, height: result.video.height, width: result.video.width, model: info.name, stepLevels, sampler,
  latent: [c, t, h, w], preset: result.preset ?? null,
}));
