/**
 * VidletEngine keeping a text encoder in parts loaded (LoadOptions.keepTextEncoder,
 * src/engine/parts-residency.ts), over the fake onnxruntime of parted-fake.ts: each part's session
 * is made on the first prompt and kept, so a new prompt reads no part file and makes no session;
 * unload and a model switch release them; a failed call, a lost device or WebGPU failing a part
 * leave no stale session; where keeping would not fit WebAssembly memory the parts run per call and
 * ModelInfo says why.
 */
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import { cpu, MODEL, storeFor } from './fake-package';
import { gpu, isPart, PART_FILES, partedJson, partsOrt, providerName, req, storeReading, WIRING, withDenoiserRun, type Control } from './parted-fake';

const other = { ...req, prompt: 'a blue cube slides on black' };
const third = { ...req, prompt: 'a green star spins' };
const creates = (ctl: Control) => ctl.log.filter((l) => isPart(l) && l.startsWith('create '));
const releases = (ctl: Control) => ctl.log.filter((l) => isPart(l) && l.startsWith('release '));
const runs = (ctl: Control) => ctl.log.filter((l) => isPart(l) && l.startsWith('run '));
const partReads = (read: string[]) => read.filter((p) => p.startsWith('text_encoder'));
const keep = { variant: 'fp32' as const, keepTextEncoder: true };

describe('VidletEngine: a text encoder in parts, kept', () => {
  it('the first prompt makes each part once and keeps it; a new prompt reads and makes nothing; unload releases them', async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: WIRING };
    const { store, read } = storeReading(json);
    const engine = new VidletEngine(store, partsOrt(json, ctl), { probe: cpu });
    const info = await engine.loadModel({ base: MODEL }, keep);
    // parts of 110, 10 and 210 bytes: 330 held once kept, against 210 per call
    expect(info.textEncoderParts).toEqual({ parts: 3, allBytes: 330, largestPartBytes: 210, kept: true });
    expect(creates(ctl)).toEqual([]);

    await engine.generate(req);
    expect(creates(ctl)).toEqual(['create text_encoder.onnx', 'create text_encoder.part1.onnx', 'create text_encoder.part2.onnx']);
    expect(releases(ctl)).toEqual([]);

    ctl.log.length = 0;
    read.length = 0;
    await engine.generate(other);
    expect(runs(ctl)).toHaveLength(3);
    expect(creates(ctl)).toEqual([]);
    expect(partReads(read)).toEqual([]);

    ctl.log.length = 0;
    await engine.unload();
    expect(releases(ctl)).toEqual(['release text_encoder.onnx', 'release text_encoder.part1.onnx', 'release text_encoder.part2.onnx']);
  });

  it('without the option a new prompt reads and makes every part again, as before', async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: WIRING };
    const { store, read } = storeReading(json);
    const engine = new VidletEngine(store, partsOrt(json, ctl), { probe: cpu });
    const info = await engine.loadModel({ base: MODEL }, { variant: 'fp32' });
    expect(info.textEncoderParts).toEqual({ parts: 3, allBytes: 330, largestPartBytes: 210, kept: false });
    await engine.generate(req);
    ctl.log.length = 0;
    read.length = 0;
    await engine.generate(other);
    expect(creates(ctl)).toHaveLength(3);
    expect(releases(ctl)).toHaveLength(3);
    expect(partReads(read)).toEqual(PART_FILES.map((f) => f.path));
  });

  it('the weights held count every part: WebAssembly memory left for attention is that much less', async () => {
    const json = partedJson();
    const load = async (options: object) => {
      const engine = new VidletEngine(storeFor(json), partsOrt(json, { log: [], providers: [], wiring: WIRING }), { probe: cpu });
      return (await engine.loadModel({ base: MODEL }, { variant: 'fp32', ...options })).bufferLimits as { weightsBytes: number };
    };
    expect((await load({ keepTextEncoder: true })).weightsBytes - (await load({})).weightsBytes).toBe(330 - 210);
  });

  it('loading another model releases the kept parts', async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: WIRING };
    const engine = new VidletEngine(storeFor(json), partsOrt(json, ctl), { probe: cpu });
    await engine.loadModel({ base: MODEL }, keep);
    await engine.generate(req);
    ctl.log.length = 0;
    await engine.loadModel({ base: MODEL }, { variant: 'fp32' });
    expect(releases(ctl)).toHaveLength(3);
  });

  it('a failed call releases what it kept: the parts are made again, as fixed, on the next prompt', async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: { ...WIRING, 'text_encoder.part2.onnx': { inputs: ['state0', 'attention_mask'], outputs: ['hidden'] } } };
    const engine = new VidletEngine(storeFor(json), partsOrt(json, ctl), { probe: cpu });
    await engine.loadModel({ base: MODEL }, keep);
    await expect(engine.generate(req)).rejects.toMatchObject({ name: 'ModelFormatError', details: { file: 'text_encoder.part2.onnx' } });
    expect(releases(ctl)).toEqual(['release text_encoder.onnx', 'release text_encoder.part1.onnx', 'release text_encoder.part2.onnx']);
    ctl.wiring = WIRING;
    ctl.log.length = 0;
    await engine.generate(req);
    expect(creates(ctl)).toHaveLength(3);
    expect(releases(ctl)).toEqual([]);
  });

  it('a GPU device lost in the denoiser takes the kept parts with it: the next new prompt makes them on the new device', async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: WIRING };
    const fresh = { label: 'fresh device' };
    let loseDevice = false;
    const ort = partsOrt(json, ctl);
    const losing = withDenoiserRun(ort, (run) => (f) => {
      if (!loseDevice) return run(f);
      loseDevice = false;
      throw new Error('Device lost: GPUDevice was lost (reason: unknown)');
    });
    const engine = new VidletEngine(storeFor(json), losing, { probe: gpu, newGpuDevice: async () => fresh });
    await engine.loadModel({ base: MODEL }, keep);
    await engine.generate(req);
    ctl.log.length = 0;
    loseDevice = true;
    await engine.generate(other);
    expect(creates(ctl)).toEqual([]); // the prompt ran on the kept parts before the denoiser lost the device
    expect(releases(ctl)).toHaveLength(3);
    ctl.log.length = 0;
    ctl.providers.length = 0;
    await engine.generate(third);
    expect(creates(ctl)).toHaveLength(3);
    expect(ctl.providers).toEqual(Array(3).fill({ name: 'webgpu', device: fresh }));
  });

  it('a part WebGPU cannot make: the kept WebGPU part is released, and the parts are kept on WebAssembly from then on', async () => {
    const json = partedJson();
    const ctl: Control = { log: [], providers: [], wiring: WIRING, webgpu: { part: 'text_encoder.part1.onnx', at: 'create', message: 'no kernel registered for op GatherElements' } };
    const ort = { webgpu: partsOrt(json, ctl), wasm: partsOrt(json, ctl) };
    const engine = new VidletEngine(storeFor(json), async (b) => ort[b], { probe: gpu });
    await engine.loadModel({ base: MODEL }, keep);
    ctl.log.length = 0;
    const r = await engine.generate(req);
    expect(r.modelBackend?.description).toMatch(/text encoder on WebAssembly/);
    // part 0 was made on WebGPU, part 1 failed there: part 0 released before WebAssembly made all three
    expect(ctl.log.filter((l) => isPart(l) && !l.startsWith('run '))).toEqual([
      'create text_encoder.onnx', 'create text_encoder.part1.onnx', 'release text_encoder.onnx',
      'create text_encoder.onnx', 'create text_encoder.part1.onnx', 'create text_encoder.part2.onnx',
    ]);
    expect(ctl.providers.map(providerName)).toEqual(['webgpu', 'wasm', 'wasm', 'wasm']);

    ctl.log.length = 0;
    await engine.generate(other);
    expect(runs(ctl)).toHaveLength(3);
    expect(creates(ctl)).toEqual([]);
    ctl.log.length = 0;
    await engine.unload();
    expect(releases(ctl)).toHaveLength(3);
  });

  it('where keeping would not fit WebAssembly memory, the parts run per call and ModelInfo says why', async () => {
    const json = partedJson();
    // part 0 and part 2 of 2.5 GB each: 5 GB kept, more than the 4 GiB memory; 2.5 GB per call
    const huge = json.components.textEncoder.variants.fp32.files.map((f: { path: string; bytes: number }) => (f.path.endsWith('.data') ? { ...f, bytes: 2.5e9 } : f));
    json.components.textEncoder.variants.fp32.files = huge;
    const ctl: Control = { log: [], providers: [], wiring: WIRING };
    const engine = new VidletEngine(storeFor(json), partsOrt(json, ctl), { probe: cpu });
    const info = await engine.loadModel({ base: MODEL }, keep);
    expect(info.textEncoderParts).toMatchObject({ kept: false, note: expect.stringMatching(/^The text encoder's 3 parts run one at a time for each new prompt: keeping all 5\.00 GB .* more than the 4\.29 GB WebAssembly memory\.$/) });
    await engine.generate(req);
    ctl.log.length = 0;
    await engine.generate(other);
    expect(creates(ctl)).toHaveLength(3);
    expect(releases(ctl)).toHaveLength(3);
  });
});
