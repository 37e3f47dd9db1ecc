/**
 * VidletEngine with a text encoder in parts (src/package/parts.ts), over the fake onnxruntime of
 * fake-package.ts: a load makes no text-encoder session (its files are read or made sure of, as the
 * scene denoiser's); each text-encoder call makes, runs and releases the parts one at a time, in
 * order; the text cache spares a repeat prompt the parts; a lost GPU device during a part recovers
 * like any call (the parts run again, on the new device); a broken part fails the generation, naming
 * its graph file, and leaves the engine usable.
 */
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import { cpu, MODEL, storeFor } from './fake-package';
import { gpu, isPart, PART_FILES, partedJson, partsOrt, providerName, req, shipped, storeReading, WIRING, withDenoiserRun, type Control } from './parted-fake';

describe('VidletEngine: a text encoder in parts', () => {
  it('a load makes no part session; a generation makes, runs and releases each part in turn; a repeat prompt uses the text cache', async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: WIRING };
    const { store, read, verify } = storeReading(json);
    const engine = new VidletEngine(store, partsOrt(json, ctl), { probe: cpu });
    const info = await engine.loadModel({ base: MODEL }, { variant: 'fp32' });
    expect(ctl.log.filter(isPart)).toEqual([]);
    expect(ctl.log).toHaveLength(3); // denoiser, preview and VAE decoders
    // this store has no ensureStored: the parts' files are read and verified at load (offline later), not kept
    expect(read.filter((p) => p.startsWith('text_encoder'))).toEqual(PART_FILES.map((f) => f.path));
    // the download counts every part's files
    expect(info.bytes).toBeGreaterThanOrEqual(PART_FILES.reduce((n, f) => n + f.bytes, 0));

    // the load reads as every load does: hashed
    expect(verify.filter((v) => v.endsWith(' if-changed'))).toEqual([]);
    ctl.log.length = 0;
    read.length = 0;
    verify.length = 0;
    await engine.generate(req);
    // one text-encoder call (the prompt, "" and the motion-dropped pass in one batch): each part
    // made from its own files, run and released before the next part is made
    expect(ctl.log.filter(isPart)).toEqual([
      'create text_encoder.onnx', 'run text_encoder.onnx input_ids,attention_mask', 'release text_encoder.onnx',
      'create text_encoder.part1.onnx', 'run text_encoder.part1.onnx state0,attention_mask', 'release text_encoder.part1.onnx',
      'create text_encoder.part2.onnx', 'run text_encoder.part2.onnx state1,attention_mask', 'release text_encoder.part2.onnx',
    ]);
    expect(read.filter((p) => p.startsWith('text_encoder'))).toEqual(PART_FILES.map((f) => f.path));
    // a part's file is hashed again only when the store cannot tell it is the copy it hashed (ReadOptions)
    expect(verify).toEqual(PART_FILES.map((f) => `${f.path} if-changed`));

    ctl.log.length = 0;
    await engine.generate({ ...req, seed: 2 });
    expect(ctl.log.filter(isPart)).toEqual([]);
    await engine.unload();
  });

  it("the last part's hidden reaches the denoiser", async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: WIRING };
    const texts: Float32Array[] = [];
    const ort = partsOrt(json, ctl);
    const spying = withDenoiserRun(ort, (run) => (f) => (texts.push((f.text!.data as Float32Array).slice()), run(f)));
    const engine = new VidletEngine(storeFor(json), spying, { probe: cpu });
    await engine.loadModel({ base: MODEL }, { variant: 'fp32' });
    await engine.generate(req);
    expect(texts.length).toBeGreaterThan(0);
    expect(new Set(texts[0])).toEqual(new Set([3])); // part 2 (index + 1), not an earlier part's state
  });

  it('a lost GPU device during a part recovers: the resident sessions are recreated and the parts run again, on the new device', async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: WIRING, failPart: 'text_encoder.part1.onnx', failure: 'Device lost: GPUDevice was lost (reason: unknown)' };
    const fresh = { label: 'fresh device' };
    const engine = new VidletEngine(storeFor(json), partsOrt(json, ctl), { probe: gpu, newGpuDevice: async () => fresh });
    const info = await engine.loadModel({ base: MODEL }, { variant: 'fp32' });
    expect(info.backend.backend).toBe('webgpu');
    ctl.log.length = 0;
    const r = await engine.generate(req);
    expect(r.video.frames).toBe(shipped.video.frames);
    const parts = ctl.log.filter(isPart);
    expect(parts).toEqual([
      'create text_encoder.onnx', 'run text_encoder.onnx input_ids,attention_mask', 'release text_encoder.onnx',
      'create text_encoder.part1.onnx', 'run text_encoder.part1.onnx state0,attention_mask', 'release text_encoder.part1.onnx',
      // recovered: from part 0 again
      'create text_encoder.onnx', 'run text_encoder.onnx input_ids,attention_mask', 'release text_encoder.onnx',
      'create text_encoder.part1.onnx', 'run text_encoder.part1.onnx state0,attention_mask', 'release text_encoder.part1.onnx',
      'create text_encoder.part2.onnx', 'run text_encoder.part2.onnx state1,attention_mask', 'release text_encoder.part2.onnx',
    ]);
    // the three resident sessions were made again between the two tries
    expect(ctl.log.filter((l) => !isPart(l))).toHaveLength(3);
    expect(ctl.providers).toEqual(['webgpu', 'webgpu', ...Array(3).fill({ name: 'webgpu', device: fresh })]);
  });

  it('a part taking what nothing gives fails the generation naming its graph file; fixed, the engine works again', async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: { ...WIRING, 'text_encoder.part2.onnx': { inputs: ['state0', 'attention_mask'], outputs: ['hidden'] } } };
    const engine = new VidletEngine(storeFor(json), partsOrt(json, ctl), { probe: cpu });
    await engine.loadModel({ base: MODEL }, { variant: 'fp32' });
    await expect(engine.generate(req)).rejects.toMatchObject({
      name: 'ModelFormatError', details: { component: 'textEncoder', file: 'text_encoder.part2.onnx', variant: 'fp32' },
      message: expect.stringMatching(/Part 3 of 3 of the textEncoder \(text_encoder\.part2\.onnx, fp32\) takes "state0"/),
    });
    expect(ctl.log.filter(isPart).at(-1)).toBe('release text_encoder.part2.onnx');
    ctl.wiring = WIRING;
    expect((await engine.generate(req)).video.frames).toBe(shipped.video.frames);
  });
});

/**
 * WebGPU failing a part at run time (src/engine/parts-fallback.ts): the load made no part session,
 * so only the first prompt meets the failure. The call is made again with the parts on the
 * WebAssembly module, the text encoder stays there, the rest stays on WebGPU, and the result says
 * so (GenerateResult.modelBackend) in the words of the load's own fall-back.
 */
describe('VidletEngine: a text encoder in parts that WebGPU cannot run', () => {
  /** One fake module per backend, sharing `ctl`, as the page's worker has (ort-bundle.ts). */
  const modules = (json: unknown, ctl: Control) => {
    const asked: string[] = [];
    const ort = { webgpu: partsOrt(json, ctl), wasm: partsOrt(json, ctl) };
    return { asked, ort, ortFor: async (b: 'wasm' | 'webgpu') => (asked.push(b), ort[b]) };
  };
  const partsOn = (ctl: Control) => ctl.providers.map(providerName);

  for (const at of ['create', 'run'] as const) {
    it(`a part WebGPU cannot ${at === 'create' ? 'make' : 'run'}: the prompt is encoded on WebAssembly, and every later one`, async () => {
      const json = partedJson();
      const ctl: Control = { log: [], providers: [], wiring: WIRING, webgpu: { part: 'text_encoder.part1.onnx', at, message: 'no kernel registered for op GatherElements' } };
      const m = modules(json, ctl);
      const engine = new VidletEngine(storeFor(json), m.ortFor, { probe: gpu });
      const info = await engine.loadModel({ base: MODEL }, { variant: 'fp32' });
      expect(info.backend.backend).toBe('webgpu');
      ctl.log.length = 0;

      const r = await engine.generate(req);
      expect(r.video.frames).toBe(shipped.video.frames);
      // part 0 ran on WebGPU, part 1 failed there; then all three on WebAssembly, in order
      expect(partsOn(ctl)).toEqual(at === 'create' ? ['webgpu', 'wasm', 'wasm', 'wasm'] : ['webgpu', 'webgpu', 'wasm', 'wasm', 'wasm']);
      expect(ctl.log.filter(isPart).at(-1)).toBe('release text_encoder.part2.onnx');
      expect(m.asked).toEqual(['webgpu', 'wasm']);
      expect(m.ort.wasm.env.wasm.numThreads).toBe(4); // the wasm module started with the load's wasm thread count
      expect(r.backend).toBe('webgpu'); // the denoiser and decoders stay on WebGPU
      expect(r.modelBackend).toMatchObject({
        backend: 'webgpu',
        description: 'RTX (webgpu); text encoder on WebAssembly, 4 threads',
        reason: expect.stringMatching(/WebGPU could not run the text encoder \(.*GatherElements.*\); using WebAssembly for it \(WebAssembly, 4 threads\), the rest stays on WebGPU\.$/),
      });

      // A new prompt goes straight to WebAssembly; the report stays.
      ctl.providers.length = 0;
      const next = await engine.generate({ ...req, prompt: 'a blue cube slides on black' });
      expect(partsOn(ctl)).toEqual(['wasm', 'wasm', 'wasm']);
      expect(next.modelBackend).toEqual(r.modelBackend);
      await engine.unload();
    });
  }

  it('forced WebGPU is not second-guessed: the failure is the generation\'s, and nothing moves', async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: WIRING, webgpu: { part: 'text_encoder.part1.onnx', at: 'create', message: 'no kernel registered for op GatherElements' } };
    const m = modules(json, ctl);
    const engine = new VidletEngine(storeFor(json), m.ortFor, { probe: gpu });
    await engine.loadModel({ base: MODEL }, { variant: 'fp32', backend: 'webgpu' });
    await expect(engine.generate(req)).rejects.toMatchObject({ name: 'ModelLoadError', message: expect.stringMatching(/GatherElements/) });
    expect(m.asked).toEqual(['webgpu']);
    expect(partsOn(ctl)).toEqual(['webgpu']);
  });

  it("a part wired wrong is the package's fault on every backend: no retry on WebAssembly", async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: { ...WIRING, 'text_encoder.part2.onnx': { inputs: ['state0', 'attention_mask'], outputs: ['hidden'] } } };
    const m = modules(json, ctl);
    const engine = new VidletEngine(storeFor(json), m.ortFor, { probe: gpu });
    await engine.loadModel({ base: MODEL }, { variant: 'fp32' });
    await expect(engine.generate(req)).rejects.toMatchObject({ name: 'ModelFormatError', details: { file: 'text_encoder.part2.onnx' } });
    expect(m.asked).toEqual(['webgpu']);
    expect(partsOn(ctl)).toEqual(['webgpu', 'webgpu', 'webgpu']);
  });

  it("a part WebAssembly cannot run either: WebAssembly's error, and the text encoder stays on WebGPU", async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: WIRING, webgpu: { part: 'text_encoder.part2.onnx', at: 'run', message: 'Gather index out of range', everywhere: true } };
    const m = modules(json, ctl);
    const engine = new VidletEngine(storeFor(json), m.ortFor, { probe: gpu });
    await engine.loadModel({ base: MODEL }, { variant: 'fp32' });
    await expect(engine.generate(req)).rejects.toMatchObject({ name: 'InferenceError', message: expect.stringMatching(/Gather index out of range/) });
    expect(partsOn(ctl)).toEqual(['webgpu', 'webgpu', 'webgpu', 'wasm', 'wasm', 'wasm']);
    // Fixed (say, a transient failure): the next prompt runs on WebGPU again, and no move is reported.
    ctl.webgpu = undefined;
    ctl.providers.length = 0;
    const r = await engine.generate(req);
    expect(partsOn(ctl)).toEqual(['webgpu', 'webgpu', 'webgpu']);
    expect(r.modelBackend).toBeUndefined();
  });
});
