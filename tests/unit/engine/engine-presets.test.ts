/**
 * Clip size presets in the engine (src/package/presets.ts; docs/model-package.md "Presets"): a request's
 * `preset` sizes the latent, its noise, every denoiser and preview call and the decode; a package
 * without presets behaves as before and refuses a preset by name. A size whose attention does not fit
 * the device is refused (src/package/attention-fit.ts): a preset, or the one size of a package without presets.
 */
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { presetAxesProblem, VidletEngine } from '../../../src/engine/engine';
import { InvalidRequestError } from '../../../src/engine/errors';
import { gaussianNoise, NoiseStream } from '../../../src/engine/noise';
import type { ComponentSession, Ort } from '../../../src/engine/sessions';
import type { GenerateRequest } from '../../../src/engine/types';
import { parseManifest } from '../../../src/store/manifest';
import { cpu, fakeOrt, MODEL, storeFor, type FakeSeen } from './fake-package';

const req: GenerateRequest = { prompt: 'a red ball bounces on white', seed: 7, steps: 2, guidance: 5, innerGuidance: 0, sampler: 'euler' };

/** vidlet-tiny (16 frames of 128², latent 4×4×16×16) with a wide preset beside its own size (and without its scenes, which presets do not combine with yet). */
function presetManifest() {
  const m = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
  delete m.scenes;
  delete m.components.sceneDenoiser;
  m.presets = {
    default: 'square',
    factors: { time: 4, space: 8, causal: false },
    patch: { frames: 1, height: 2, width: 2 },
    sizes: [
      { name: 'square', frames: 16, height: 128, width: 128, attentionScoresBytes: 100 },
      { name: 'wide', label: 'wide', frames: 16, height: 128, width: 256, attentionScoresBytes: 400 },
    ],
  };
  return m;
}

/** `ort` with every session's run recorded: its first output's name and its `latent` feed's dims. */
function spyOnLatents(ort: Ort, runs: { graph: string; latent: number[] }[]): Ort {
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as unknown as (...a: unknown[]) => Promise<{ outputNames: readonly string[]; run: (f: Record<string, Tensor>) => unknown }>;
  return {
    ...ort,
    InferenceSession: {
      create: async (...a: unknown[]) => {
        const s = await create(...a);
        const run = s.run;
        s.run = (feeds) => {
          if (feeds.latent) runs.push({ graph: s.outputNames[0]!, latent: [...feeds.latent.dims] });
          return run(feeds);
        };
        return s;
      },
    },
  } as unknown as Ort;
}

async function engineFor(json: unknown, runs: { graph: string; latent: number[] }[] = [], seen?: FakeSeen) {
  const engine = new VidletEngine(storeFor(json), spyOnLatents(fakeOrt(json, [], seen), runs), { probe: cpu });
  const info = await engine.loadModel({ base: MODEL });
  return { engine, info };
}

describe('VidletEngine with size presets', () => {
  it('lists the presets in ModelInfo, the default named', async () => {
    const { info } = await engineFor(presetManifest());
    expect(info.defaultPreset).toBe('square');
    expect(info.presets).toEqual([
      { name: 'square', video: { frames: 16, height: 128, width: 256 / 2 }, attentionScoresBytes: 100 },
      { name: 'wide', label: 'wide', video: { frames: 16, height: 128, width: 256 }, attentionScoresBytes: 400 },
    ]);
  });

  it('makes the named preset: latent, noise, denoiser, preview and decode at its size', async () => {
    const runs: { graph: string; latent: number[] }[] = [];
    const seen: FakeSeen = { timesteps: [], textBatches: [], vaeFeeds: [] };
    const { engine } = await engineFor(presetManifest(), runs, seen);
    const result = await engine.generate({ ...req, preset: 'wide' });
    expect(result.preset).toBe('wide');
    expect(result.request.preset).toBe('wide');
    const latents = (graph: string) => runs.filter((r) => r.graph === graph).map((r) => r.latent.slice(1));
    expect(latents('v_latent')).toEqual([[4, 4, 16, 32], [4, 4, 16, 32]]); // one call a step, batch cond + uncond
    expect(latents('preview').length).toBeGreaterThan(0);
    for (const l of latents('preview')) expect(l).toEqual([4, 4, 16, 32]);
    expect(latents('video')).toEqual([[4, 4, 16, 32]]);
    // the fake denoiser's v is 0, so the decoded latent is the initial noise: the seed's draw of the preset's size
    expect(seen.vaeFeeds![0]!.latent!.data).toEqual(gaussianNoise(7, NoiseStream.video, 4 * 4 * 16 * 32));
  });

  it('makes the default preset, the manifest’s own size, when the request names none', async () => {
    const runs: { graph: string; latent: number[] }[] = [];
    const { engine } = await engineFor(presetManifest(), runs);
    const result = await engine.generate(req);
    expect(result.preset).toBe('square');
    expect(runs.filter((r) => r.graph === 'video').map((r) => r.latent)).toEqual([[1, 4, 4, 16, 16]]);
  });

  it('refuses a preset the package does not have, naming its presets, before any work', async () => {
    const runs: { graph: string; latent: number[] }[] = [];
    const { engine } = await engineFor(presetManifest(), runs);
    const error = await engine.generate({ ...req, preset: 'tall' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).details.field).toBe('preset');
    expect((error as Error).message).toBe('preset is "tall", but vidlet-tiny\'s presets are square, wide.');
    expect(runs).toEqual([]);
    await expect(engine.generate({ ...req, preset: '' })).rejects.toThrow(/preset must be a preset's name, got ""/);
  });

  it('a package without presets: the same clip as before, and any preset refused', async () => {
    const json = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
    const runs: { graph: string; latent: number[] }[] = [];
    const { engine, info } = await engineFor(json, runs);
    expect(info.presets).toBeUndefined();
    const result = await engine.generate(req);
    expect(result.preset).toBeUndefined();
    expect(runs.filter((r) => r.graph === 'video').map((r) => r.latent)).toEqual([[1, 4, 4, 16, 16]]);
    await expect(engine.generate({ ...req, preset: 'square' })).rejects.toThrow(
      /^preset is "square", but vidlet-tiny has no size presets: it makes 16×128×128 \(frames × height × width\) clips only; leave the preset out\.$/,
    );
  });
});

/** A hardware WebGPU adapter whose device binds at most `binding` bytes of one buffer and makes buffers of at most `buffer`. */
const gpu = (binding: number, buffer = 1e12) => async () => ({
  webgpu: { vendor: 'nvidia', architecture: 'ada', description: 'GPU', isFallbackAdapter: false, features: [], limits: { maxBufferSize: buffer, maxStorageBufferBindingSize: binding } },
  wasm: true, hardwareConcurrency: 4, crossOriginIsolated: true, isNode: false,
});

describe('VidletEngine, a preset whose attention does not fit the device (src/package/attention-fit.ts)', () => {
  // vidlet-tiny's int8 weights on wasm: text encoder, denoiser, VAE decoder, preview decoder
  const WASM_WEIGHTS = 24308500 + 6738970 + 2262749 + 17250;

  it('on WebGPU refuses a preset whose scores exceed the binding limit, with the numbers, before any denoiser call', async () => {
    const runs: { graph: string; latent: number[] }[] = [];
    const json = presetManifest();
    const engine = new VidletEngine(storeFor(json), spyOnLatents(fakeOrt(json, []), runs), { probe: gpu(300) });
    const info = await engine.loadModel({ base: MODEL });
    expect(info.backend.backend).toBe('webgpu');
    expect(info.bufferLimits).toEqual({ backend: 'webgpu', maxBufferSize: 1e12, maxStorageBufferBindingSize: 300 });
    const error = await engine.generate({ ...req, preset: 'wide' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).details.field).toBe('preset');
    expect((error as Error).message).toBe(
      'preset wide (16 frames of 256×128) needs 400 B in one buffer for one attention step (its scores, 2 passes per step), ' +
        'but this GPU binds at most 300 B of one buffer (maxStorageBufferBindingSize); choose a smaller size, or fewer guidance passes (guidance 1: one pass per step needs 200 B).',
    );
    expect(runs).toEqual([]);
    // the preset under the limit runs
    await expect(engine.generate({ ...req, preset: 'square' })).resolves.toMatchObject({ preset: 'square' });
  });

  it('one pass per step (guidance 1) needs half: the same preset then runs', async () => {
    const json = presetManifest();
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, []), { probe: gpu(300) });
    await engine.loadModel({ base: MODEL });
    const result = await engine.generate({ ...req, guidance: 1, preset: 'wide' });
    expect(result.preset).toBe('wide');
    expect(result.batch).toBe(1);
  });

  it('refuses the default size too, when the request names no preset; and best-of-N before any take', async () => {
    const json = presetManifest();
    json.presets.sizes[0].attentionScoresBytes = 1000;
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, []), { probe: gpu(1e6, 500) });
    await engine.loadModel({ base: MODEL });
    await expect(engine.generate(req)).rejects.toThrow(
      /^preset square \(16 frames of 128×128\) needs 1.00 KB in one buffer .* but this GPU makes buffers of at most 500 B \(maxBufferSize\); choose a smaller size, or fewer guidance passes/,
    );
    await expect(engine.generateBestOf(req, { n: 2 })).rejects.toThrow(/^preset square .* 500 B/);
  });

  it('on WebAssembly the scores must fit beside the weights in the 4 GiB memory', async () => {
    const runs: { graph: string; latent: number[] }[] = [];
    const json = presetManifest();
    const room = 4 * 1024 ** 3 - WASM_WEIGHTS;
    json.presets.sizes[1].attentionScoresBytes = room + 2; // one pass: room / 2 + 1, fits
    const engine = new VidletEngine(storeFor(json), spyOnLatents(fakeOrt(json, []), runs), { probe: cpu });
    const info = await engine.loadModel({ base: MODEL });
    expect(info.bufferLimits).toEqual({ backend: 'wasm', memoryBytes: 4 * 1024 ** 3, weightsBytes: WASM_WEIGHTS });
    await expect(engine.generate({ ...req, preset: 'wide' })).rejects.toThrow(
      'preset wide (16 frames of 256×128) needs 4.26 GB in one buffer for one attention step (its scores, 2 passes per step), but the 4.29 GB WebAssembly memory ' +
        "has only 4.26 GB left beside the model's 33.3 MB of weights; choose a smaller size, or fewer guidance passes (guidance 1: one pass per step needs 2.13 GB).",
    );
    expect(runs).toEqual([]);
    json.presets.sizes[1].attentionScoresBytes = room;
    const fits = new VidletEngine(storeFor(json), fakeOrt(json, []), { probe: cpu });
    await fits.loadModel({ base: MODEL });
    await expect(fits.generate({ ...req, preset: 'wide' })).resolves.toMatchObject({ preset: 'wide' });
  });

  it('a package without presets is judged by its video’s figure, as a one-preset package: refused with the same sentence, named by the package', async () => {
    const runs: { graph: string; latent: number[] }[] = [];
    const json = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
    json.video.attentionScoresBytes = 400;
    const engine = new VidletEngine(storeFor(json), spyOnLatents(fakeOrt(json, []), runs), { probe: gpu(300) });
    const info = await engine.loadModel({ base: MODEL });
    expect(info.presets).toBeUndefined();
    expect(info.video.attentionScoresBytes).toBe(400);
    const error = await engine.generate(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).details.field).toBe('preset');
    expect((error as Error).message).toBe(
      'vidlet-tiny (16 frames of 128×128) needs 400 B in one buffer for one attention step (its scores, 2 passes per step), ' +
        "but this GPU binds at most 300 B of one buffer (maxStorageBufferBindingSize); it is the package's only size, so a smaller clip needs the model converted at a smaller size, " +
        'or fewer guidance passes (guidance 1: one pass per step needs 200 B).',
    );
    await expect(engine.generateBestOf(req, { n: 2 })).rejects.toThrow(/^vidlet-tiny \(16 frames of 128×128\) needs 400 B/);
    expect(runs).toEqual([]);
    // one pass per step fits; and the same figure under the limit runs as before
    await expect(engine.generate({ ...req, guidance: 1 })).resolves.toMatchObject({ batch: 1 });
    json.video.attentionScoresBytes = 300;
    const fits = new VidletEngine(storeFor(json), fakeOrt(json, []), { probe: gpu(300) });
    await fits.loadModel({ base: MODEL });
    await expect(fits.generate(req)).resolves.toMatchObject({ batch: 2 });
  });

  it('judges nothing when the adapter gave no limits', async () => {
    const json = presetManifest();
    json.presets.sizes[1].attentionScoresBytes = 1e15;
    const probe = async () => ({ ...(await gpu(1)()), webgpu: { vendor: 'nvidia', architecture: 'ada', description: 'GPU', isFallbackAdapter: false, features: [] } });
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, []), { probe });
    const info = await engine.loadModel({ base: MODEL });
    expect(info.bufferLimits).toBeUndefined();
    await expect(engine.generate({ ...req, preset: 'wide' })).resolves.toMatchObject({ preset: 'wide' });
  });
});

/** presetManifest with a long preset (32 frames: 8 latent frames) and a frame pair: first 2 latent frames, then 1. */
function framesManifest() {
  const m = presetManifest();
  m.presets.sizes.push({ name: 'long', frames: 32, height: 128, width: 128 });
  const file = (path: string) => ({ path, bytes: 10, sha256: 'a'.repeat(64) });
  const graph = (latentFrames: number, path: string) => ({ latentFrames, inputs: { latent: 'latent' }, outputs: { video: 'video' }, variants: { fp32: { files: [file(path)] } } });
  m.vaeDecoderFrames = { first: graph(2, 'vae_first.onnx'), next: graph(1, 'vae_next.onnx'), cache: [{ input: 'cache_0', output: 'next_cache_0' }] };
  return m;
}

function framesOrt(json: unknown, calls: { graph: string; latent: number[] }[]): Ort {
  const base = fakeOrt(json, []);
  const zeros = (dims: number[]) => new Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  return {
    ...base,
    InferenceSession: {
      create: async (bytes: Uint8Array, opts?: unknown) => {
        const path = new TextDecoder().decode(bytes);
        if (!path.startsWith('vae_first') && !path.startsWith('vae_next')) return base.InferenceSession.create(bytes, opts as never);
        const first = path.startsWith('vae_first');
        return {
          inputNames: first ? ['latent'] : ['latent', 'cache_0'],
          outputNames: first ? ['video', 'cache_0'] : ['video', 'next_cache_0'],
          release: async () => {},
          run: async (feeds: Record<string, Tensor>) => {
            calls.push({ graph: first ? 'first' : 'next', latent: [...feeds.latent!.dims] });
            const [, , t, h, w] = feeds.latent!.dims as number[];
            return { video: zeros([1, 3, 4 * t!, 8 * h!, 8 * w!]), [first ? 'cache_0' : 'next_cache_0']: zeros([1]) };
          },
        };
      },
    },
  } as unknown as Ort;
}

describe('VidletEngine, presets of other lengths and the frame pair', () => {
  it('loads the pair for a package whose presets it can all decode, and decodes the long preset frame by frame', async () => {
    const json = framesManifest();
    const calls: { graph: string; latent: number[] }[] = [];
    const engine = new VidletEngine(storeFor(json), framesOrt(json, calls), { probe: cpu });
    const info = await engine.loadModel({ base: MODEL });
    expect(info.vaeDecode?.graphs).toBe('frames');
    const result = await engine.generate({ ...req, preset: 'long' });
    expect(result.preset).toBe('long');
    expect(result.video.frames).toBe(32);
    expect(calls.map((c) => c.graph)).toEqual(['first', ...Array(6).fill('next')]);
    expect(calls[0]!.latent).toEqual([1, 4, 2, 16, 16]);
  });

  it('refuses the long preset when a forced whole-clip graph decodes only the manifest’s length', async () => {
    const json = framesManifest();
    const engine = new VidletEngine(storeFor(json), framesOrt(json, []), { probe: cpu, vaeDecode: { graphs: 'whole' } });
    await engine.loadModel({ base: MODEL });
    await expect(engine.generate({ ...req, preset: 'long' })).rejects.toThrow(
      /preset long has 8 latent frames, but this load decodes with the whole-clip VAE graph, traced for 4/,
    );
    await expect(engine.generate({ ...req, preset: 'wide' })).resolves.toMatchObject({ preset: 'wide' });
  });
});

describe('presetAxesProblem', () => {
  const session = (name: 'denoiser' | 'previewDecoder' | 'vaeDecoder', shape: (number | string)[]): ComponentSession => ({
    name, variant: 'fp32', inputs: { latent: 'latent' }, outputs: {},
    session: { inputMetadata: [{ name: 'latent', isTensor: true, shape }] } as never,
  });
  const manifest = parseManifest(presetManifest());

  it('passes graphs whose latent axes are dynamic, or fixed where every preset agrees', () => {
    expect(presetAxesProblem(manifest, 'whole', {
      denoiser: session('denoiser', ['batch', 4, 4, 16, 'w']),
      previewDecoder: session('previewDecoder', ['batch', 4, 't', 'h', 'w']),
      vaeDecoder: session('vaeDecoder', [1, 4, 4, 16, 'w']),
    })).toBeUndefined();
  });

  it('names the graph, the preset and the fixed axis otherwise', () => {
    const problem = presetAxesProblem(manifest, 'whole', {
      denoiser: session('denoiser', ['batch', 4, 't', 'h', 'w']),
      vaeDecoder: session('vaeDecoder', [1, 4, 4, 16, 16]),
    });
    expect(problem?.component).toBe('vaeDecoder');
    expect(problem?.message).toMatch(/^manifest\.presets offers wide \(latent 4×16×32, .*\), but the vaeDecoder graph \(vaeDecoder\) takes latent \[1,4,4,16,16\], whose width is fixed at 16; re-convert the package with --presets/);
  });

  it('asks nothing of a package without presets', () => {
    const plain = parseManifest(JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8')));
    expect(presetAxesProblem(plain, 'whole', { denoiser: session('denoiser', [2, 4, 4, 16, 16]) })).toBeUndefined();
  });
});

/** presetManifest with a long preset (32 frames: 8 latent frames), no frame pair, and `vaeAnyLength`. */
function anyLengthManifest(flag: unknown = true) {
  const m = presetManifest();
  m.presets.sizes.push({ name: 'long', frames: 32, height: 128, width: 128 });
  (m.presets as Record<string, unknown>).vaeAnyLength = flag;
  return m;
}

describe('presets.vaeAnyLength: a whole-clip VAE graph that takes any length (LTX-Video)', () => {
  it('decodes a preset of another length with the whole-clip graph, no frame pair needed', async () => {
    const runs: { graph: string; latent: number[] }[] = [];
    const { engine, info } = await engineFor(anyLengthManifest(), runs);
    expect(info.vaeDecode?.graphs ?? 'whole').toBe('whole');
    const result = await engine.generate({ ...req, preset: 'long' });
    expect(result.preset).toBe('long');
    expect(runs.filter((r) => r.graph === 'video').map((r) => r.latent)).toEqual([[1, 4, 8, 16, 16]]);
    expect(runs.filter((r) => r.graph === 'v_latent').map((r) => r.latent[2])).toEqual([8, 8]);
  });

  it('without it, the parser refuses that preset (the whole-clip graph is traced for one length)', () => {
    const m = anyLengthManifest();
    delete (m.presets as Record<string, unknown>).vaeAnyLength;
    expect(() => parseManifest(m)).toThrow(/presets\.sizes\[2\] has 8 latent frames, but the whole-clip vaeDecoder is traced for latent\.frames 4/);
    expect(() => parseManifest(anyLengthManifest('yes'))).toThrow(/presets\.vaeAnyLength/);
    expect(() => parseManifest(anyLengthManifest(false))).toThrow(/traced for latent\.frames 4/);
  });

  it('presetAxesProblem then asks the whole-clip graph for a dynamic time axis too', () => {
    const manifest = parseManifest(anyLengthManifest());
    const vae = (shape: (number | string)[]): ComponentSession => ({
      name: 'vaeDecoder', variant: 'fp32', inputs: { latent: 'latent' }, outputs: {},
      session: { inputMetadata: [{ name: 'latent', isTensor: true, shape }] } as never,
    });
    expect(presetAxesProblem(manifest, 'whole', { vaeDecoder: vae([1, 4, 't', 'h', 'w']) })).toBeUndefined();
    const problem = presetAxesProblem(manifest, 'whole', { vaeDecoder: vae([1, 4, 4, 'h', 'w']) });
    expect(problem?.message).toMatch(/offers long \(latent 8×16×16, .*\), but the vaeDecoder graph \(vaeDecoder\) takes latent \[1,4,4,h,w\], whose frames is fixed at 4/);
  });
});

describe('a preset’s own schedule shift (Preset.shift: LTXPipeline shifts by the clip’s token count)', () => {
  function shiftManifest(wideShift: unknown, extra: (m: ReturnType<typeof presetManifest>) => void = () => {}) {
    const m = presetManifest();
    (m.presets.sizes[1] as Record<string, unknown>).shift = wideShift;
    extra(m);
    return m;
  }

  it('samples the named preset on its shift, the default on schedule.shift', async () => {
    const seen: FakeSeen = { timesteps: [], textBatches: [], vaeFeeds: [] };
    const { engine } = await engineFor(shiftManifest(3), [], seen);
    await engine.generate({ ...req, preset: 'wide' });
    await engine.generate(req);
    const levels = seen.timesteps.map((t) => t[0]!);
    // 2 steps: 1, then shift(0.5) = 3·0.5 / (1 + 2·0.5) = 0.75 at shift 3, 0.5 at shift 1
    expect(levels[0]).toBe(1);
    expect(levels[1]).toBeCloseTo(0.75, 6);
    expect(levels[3]).toBeCloseTo(0.5, 6);
  });

  it('is refused where it cannot apply, naming the field', () => {
    expect(parseManifest(shiftManifest(3)).presets!.sizes[1]!.shift).toBe(3);
    expect(() => parseManifest(shiftManifest(0))).toThrow(/presets\.sizes\[1\]\.shift is 0, but must be a positive number/);
    expect(() => parseManifest(shiftManifest('3'))).toThrow(/presets\.sizes\[1\]\.shift/);
    // the default preset's shift is schedule.shift
    expect(() => parseManifest(shiftManifest(3, (m) => ((m.presets.sizes[0] as Record<string, unknown>).shift = 2)))).toThrow(
      /presets\.sizes\[0\]\.shift is 2, but this is the default preset, whose shift is schedule\.shift \(1\)/,
    );
    // a fixed list does not shift
    expect(() => parseManifest(shiftManifest(3, (m) => {
      const s = m.schedule as Record<string, unknown>;
      delete s.shift;
      delete s.defaultSteps;
      s.sigmas = [1, 0.5];
    }))).toThrow(/presets\.sizes\[1\]\.shift is 3, but the schedule is a fixed sigmas list/);
  });
});
