/**
 * The real engine on the shipped model files (public/models/vidlet-tiny), in Node with
 * onnxruntime-web's wasm backend. Few steps to stay fast on the shared 2-core machine.
 * The default path (int8 on wasm) is pinned to a stored clip (tests/fixtures/engine-reference.json,
 * tile means; helpers/clip-reference.ts says how its tolerance was measured). After shipping a new
 * package, record it again: VIDLET_RECORD_REFERENCE=1 npx vitest run tests/integration/engine.test.ts
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseVariant } from '../../src/engine/backend';
import { RUNTIME_COMPONENTS, VidletEngine } from '../../src/engine/engine';
import { CancelledError } from '../../src/engine/errors';
import type { Ort } from '../../src/engine/sessions';
import type { GenerateRequest, StepPreview } from '../../src/engine/types';
import { NodeFolderStore } from '../../src/store/node-store';
import { available, SHIPPED_MODEL } from '../prerequisites';
import { BLOCK, CLIP_TOLERANCE, largestTileDifference, tileMeans, type ClipReference } from './helpers/clip-reference';

const MODEL = 'public/models/vidlet-tiny';
const TITLE = 'VidletEngine on the shipped model (wasm, Node)';

/** Wraps onnxruntime so the test sees the batch size of every denoiser call. */
function spyingOrt(batches: number[], textBatches: number[] = []): Ort {
  const create = ortWeb.InferenceSession.create.bind(ortWeb.InferenceSession);
  const InferenceSession = {
    create: async (...args: Parameters<typeof create>) => {
      const s = await create(...args);
      if (s.inputNames.includes('input_ids')) {
        const run = s.run.bind(s);
        (s as { run: unknown }).run = (feeds: Record<string, ortWeb.Tensor>, ...rest: unknown[]) => {
          textBatches.push(feeds.input_ids!.dims[0]!);
          return (run as (...a: unknown[]) => unknown)(feeds, ...rest);
        };
      }
      if (s.inputNames.includes('lora_scales')) {
        const run = s.run.bind(s);
        (s as { run: unknown }).run = (feeds: Record<string, ortWeb.Tensor>, ...rest: unknown[]) => {
          batches.push(feeds.latent!.dims[0]!);
          return (run as (...a: unknown[]) => unknown)(feeds, ...rest);
        };
      }
      return s;
    },
  };
  return { ...ortWeb, InferenceSession } as unknown as Ort;
}

const hash = (d: Uint8ClampedArray) => createHash('sha256').update(d).digest('hex');
const REFERENCE = 'tests/fixtures/engine-reference.json';
const RECORD = 'VIDLET_RECORD_REFERENCE=1 npx vitest run tests/integration/engine.test.ts';

describe.runIf(available(SHIPPED_MODEL, TITLE))(TITLE, () => {
  const batches: number[] = [];
  const textBatches: number[] = [];
  const engine = new VidletEngine(new NodeFolderStore(), spyingOrt(batches, textBatches));
  let manifest: { video: { width: number; height: number; frames: number } };
  const base: GenerateRequest = { prompt: 'a red ball bounces on a blue background', seed: 7, steps: 2, guidance: 5, innerGuidance: 3, sampler: 'euler' };

  beforeAll(async () => {
    const info = await engine.loadModel({ base: MODEL }, { numThreads: 1 });
    manifest = info;
    expect(info.backend.backend).toBe('wasm');
  });

  it('generates a clip of the manifest size with a preview every step; same seed → same bytes', async () => {
    const previews: StepPreview[] = [];
    const a = await engine.generate(base, { onStep: (p) => previews.push(p) });
    expect([a.video.width, a.video.height, a.video.frames]).toEqual([manifest.video.width, manifest.video.height, manifest.video.frames]);
    expect(a.video.data.length).toBe(manifest.video.width * manifest.video.height * manifest.video.frames * 4);
    expect(previews.map((p) => p.step)).toEqual([1, 2]);
    expect(previews.every((p) => p.preview.data.length === p.preview.width * p.preview.height * p.preview.frames * 4)).toBe(true);
    // ETA = time per step so far × steps left + the previous run's decode time (none yet on a fresh engine).
    expect(previews[0]!.etaMs).toBeGreaterThan(0);
    expect(previews[1]!.etaMs).toBe(0);

    const later: StepPreview[] = [];
    const b = await engine.generate(base, { onStep: (p) => later.push(p) });
    expect(hash(b.video.data)).toBe(hash(a.video.data));
    expect(later[1]!.etaMs).toBe(a.timings.decodeMs);
    expect(later[0]!.etaMs).toBeGreaterThan(later[1]!.etaMs);
    const c = await engine.generate({ ...base, seed: 8 });
    expect(hash(c.video.data)).not.toBe(hash(a.video.data));
  });

  it('the default path (int8 on wasm) gives the stored reference clip', async () => {
    const r = await engine.generate(base);
    expect(r.variant).toBe('int8');
    const tiles = tileMeans(r.video);
    if (process.env.VIDLET_RECORD_REFERENCE) {
      const reference: ClipReference = {
        about: `Tile means (${BLOCK}x${BLOCK} px, RGB, 8-bit levels) of the engine's default clip on wasm; written by: ${RECORD}`,
        files: packageFiles(), request: { ...base }, frames: r.video.frames, width: r.video.width, height: r.video.height, block: BLOCK,
        tiles: tiles.map((v) => Math.round(v * 10) / 10),
      };
      writeFileSync(REFERENCE, JSON.stringify(reference, null, 1).replace(/\n\s+(-?[\d.]+)(?=,|\n)/g, ' $1') + '\n');
    }
    expect(existsSync(REFERENCE), `${REFERENCE} is missing: record it with ${RECORD}`).toBe(true);
    const ref = JSON.parse(readFileSync(REFERENCE, 'utf8')) as ClipReference;
    expect(packageFiles(), `the package files differ from those ${REFERENCE} was recorded on; if the new package is intended, record it again: ${RECORD}`).toEqual(ref.files);
    expect(ref.request).toEqual({ ...base });
    const d = largestTileDifference(ref.tiles, tiles, r.video.width, r.video.height, ref.block);
    console.log(`default clip vs stored reference: tile mean |Δ| max ${d.max.toFixed(3)} (${d.at}), mean ${d.mean.toFixed(4)} levels`);
    expect(d.max, `largest tile difference at ${d.at}`).toBeLessThanOrEqual(CLIP_TOLERANCE);
  });

  it('runs all guidance passes in one denoiser call: Inner-Guidance B=3, CFG B=2, guidance 1 B=1', async () => {
    const cases: [Partial<GenerateRequest>, number][] = [
      [{ guidance: 5, innerGuidance: 3 }, 3],
      [{ guidance: 5, innerGuidance: 0 }, 2],
      [{ guidance: 1, innerGuidance: 0 }, 1],
    ];
    for (const [over, B] of cases) {
      batches.length = 0;
      const r = await engine.generate({ ...base, ...over, steps: 2 });
      expect(batches).toEqual([B, B]); // one call per step, all passes batched
      expect(r.batch).toBe(B);
    }
    // Heun: 2n − 1 calls for n steps; still one preview per step.
    batches.length = 0;
    const previews: number[] = [];
    const h = await engine.generate({ ...base, sampler: 'heun', steps: 2 }, { onStep: (p) => previews.push(p.step) });
    expect(batches.length).toBe(3);
    expect(h.denoiserCalls).toBe(3);
    expect(previews).toEqual([1, 2]);
  });

  it('cancel stops within one step with CancelledError, and the next generate works', async () => {
    batches.length = 0;
    let cancelledAt = 0;
    const p = engine.generate({ ...base, steps: 6 }, {
      onStep: (s) => {
        if (s.step === 2) {
          cancelledAt = s.step;
          void engine.cancel();
        }
      },
    });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(cancelledAt).toBe(2);
    expect(batches.length).toBeLessThanOrEqual(3); // at most one call after the cancel
    const again = await engine.generate(base);
    expect(again.video.frames).toBe(manifest.video.frames);
  });

  it('decodes the motion latent when asked, and reports unknown words', async () => {
    const r = await engine.generate({ ...base, steps: 1, prompt: 'a red ball zyxwv', decodeMotion: true });
    expect(r.motion?.frames).toBe(manifest.video.frames);
    expect(r.unknownWords).toEqual(['zyxwv']);
    expect((await engine.analyzePrompt('a red ball zyxwv')).unknownWords).toEqual(['zyxwv']);
  });

  it('euler-ancestral is seeded: same seed → same clip', async () => {
    const req = { ...base, sampler: 'euler-ancestral' as const, steps: 2, guidance: 1, innerGuidance: 0 };
    const a = await engine.generate(req);
    const b = await engine.generate(req);
    expect(hash(a.video.data)).toBe(hash(b.video.data));
  });

  it('refuses bad requests with InvalidRequestError and stays usable', async () => {
    await expect(engine.generate({ ...base, steps: 0 })).rejects.toMatchObject({ name: 'InvalidRequestError' });
    await expect(engine.generate({ ...base, sampler: 'ddim' as never })).rejects.toMatchObject({ name: 'InvalidRequestError' });
    const r = await engine.generate({ ...base, steps: 1, guidance: 1, innerGuidance: 0 });
    expect(r.video.frames).toBe(manifest.video.frames);
  });

  it('re-rolling the seed of a prompt reuses its text encoding, and the clip is the same as uncached', async () => {
    textBatches.length = 0;
    const req = { ...base, prompt: 'a green star spins on a black background', steps: 1 };
    const a = await engine.generate(req);
    const b = await engine.generate({ ...req, seed: 99 });
    const c = await engine.generate(req);
    expect(textBatches).toEqual([2]); // prompt + "" once; the next two generations hit the cache
    expect(b.timings.textEncoderMs).toBeLessThan(a.timings.textEncoderMs);
    expect(hash(c.video.data)).toBe(hash(a.video.data));
    await engine.generate({ ...req, guidance: 1, innerGuidance: 0 }); // another batch (prompt only): encoded
    expect(textBatches).toEqual([2, 1]);
    // An engine without the cache gives the same bytes.
    const plain = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort, { cacheText: false });
    await plain.loadModel({ base: MODEL }, { numThreads: 1 });
    expect(hash((await plain.generate(req)).video.data)).toBe(hash(a.video.data));
    await plain.unload();
  });

  it('prepareText encodes the batch the generation will (the page calls it when typing pauses): the clip is the same, its text from the cache', async () => {
    textBatches.length = 0;
    const req = { ...base, prompt: 'a pink heart moves right on a gray background', negativePrompt: 'blurry', steps: 1 };
    await engine.prepareText(req);
    expect(textBatches).toEqual([2]); // prompt + negative prompt, as generate batches them
    const prepared = await engine.generate(req);
    expect(textBatches).toEqual([2]); // generate found it in the cache
    await engine.prepareText({ ...req, guidance: 1, innerGuidance: 0 }); // no unconditional pass: the prompt alone
    expect(textBatches).toEqual([2, 1]);
    await engine.prepareText({ ...req, scenes: [{ text: 'a red ball', frames: 16 }] } as never); // scene plans: not prepared
    expect(textBatches).toEqual([2, 1]);
    const plain = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort, { cacheText: false });
    await plain.loadModel({ base: MODEL }, { numThreads: 1 });
    expect(hash((await plain.generate(req)).video.data)).toBe(hash(prepared.video.data));
    await plain.unload();
  });

  it('a generation asked while prepareText runs waits for it and gives the same clip', async () => {
    const req = { ...base, prompt: 'a white ring spins on a purple background', steps: 1 };
    const fresh = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort);
    await fresh.loadModel({ base: MODEL }, { numThreads: 1 });
    const [, during] = await Promise.all([fresh.prepareText(req), fresh.generate(req)]);
    expect(hash(during.video.data)).toBe(hash((await engine.generate(req)).video.data));
    await fresh.unload();
  });
});

/** sha256 by path of every file the default wasm path reads (each runtime component's chosen variant, the tokenizer). */
function packageFiles(): Record<string, string> {
  const m = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
  const wasm = { backend: 'wasm', shaderF16: false, threads: 1, description: '', reason: '' } as const;
  const out: Record<string, string> = {};
  for (const c of RUNTIME_COMPONENTS) {
    const variants = m.components[c].variants;
    for (const f of variants[chooseVariant(c, variants, wasm).variant].files) out[f.path] = f.sha256;
  }
  out[m.text.tokenizer] = createHash('sha256').update(readFileSync(`${MODEL}/${m.text.tokenizer}`)).digest('hex');
  return out;
}
