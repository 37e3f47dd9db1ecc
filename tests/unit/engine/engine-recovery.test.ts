/**
 * VidletEngine's failure handling over a fake onnxruntime (no wasm, no GPU): a lost GPU device
 * recreates the sessions and retries the step once; a second loss is a DeviceLostError; load
 * failures are typed; the engine stays usable after every failure.
 */
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import type { EnvironmentProbe } from '../../../src/engine/backend';
import { VidletEngine } from '../../../src/engine/engine';
import type { Ort } from '../../../src/engine/sessions';
import type { GenerateRequest } from '../../../src/engine/types';
import { parseManifest } from '../../../src/store/manifest';
import { FileUnavailableError } from '../../../src/store/errors';
import type { ModelFileStore, PackageFile } from '../../../src/store/types';

const MODEL = 'public/models/vidlet-tiny';
const manifestJson = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
const manifest = parseManifest(manifestJson);

/** Serves the real manifest and tokenizer; "model files" are just their path as bytes. */
const store: ModelFileStore = {
  readManifest: async () => manifestJson,
  readText: async (_b, path) => readFileSync(`${MODEL}/${path}`, 'utf8'),
  getFile: async (_b, f: PackageFile) => new TextEncoder().encode(f.path),
};

const gpu: () => Promise<EnvironmentProbe> = async () => ({
  webgpu: { vendor: 'nvidia', architecture: 'ada', description: 'RTX', isFallbackAdapter: false, features: [] },
  wasm: true, hardwareConcurrency: 4, crossOriginIsolated: true, isNode: false,
});
const cpu: () => Promise<EnvironmentProbe> = async () => ({ webgpu: null, wasm: true, hardwareConcurrency: 4, crossOriginIsolated: true, isNode: false });

interface Control {
  creates: number;
  /** Throws this from the next N denoiser runs. */
  denoiserFailures: number;
  failure: string;
  createFailure?: string;
  /** Fails session creation on the webgpu execution provider only. */
  webgpuCreateFailure?: string;
  /** The execution provider each session was created with, in order. */
  providers?: unknown[];
  /** onnxruntime-web's own GPUDevice (ort.env.webgpu.device), as far as the engine looks at it. */
  device?: { lost: Promise<unknown> };
  /** Called as a denoiser run fails (before it throws). */
  onFailure?: () => void;
}

function fakeOrt(ctl: Control): Ort {
  const byFile = new Map<string, keyof typeof manifest.components>();
  for (const [name, c] of Object.entries(manifest.components)) for (const v of Object.values(c.variants)) for (const f of v!.files) byFile.set(f.path, name as never);
  const { video, text } = manifest;
  return {
    env: { wasm: {}, ...(ctl.device ? { webgpu: { device: ctl.device } } : {}) },
    Tensor,
    InferenceSession: {
      create: async (bytes: Uint8Array, opts: { executionProviders: string[] }) => {
        if (ctl.createFailure) throw new Error(ctl.createFailure);
        if (ctl.webgpuCreateFailure && opts.executionProviders[0] === 'webgpu') throw new Error(ctl.webgpuCreateFailure);
        ctl.creates++;
        ctl.providers?.push(opts.executionProviders[0]);
        const name = byFile.get(new TextDecoder().decode(bytes))!;
        const comp = manifest.components[name]!;
        return {
          inputNames: Object.values(comp.inputs),
          outputNames: Object.values(comp.outputs),
          release: async () => {},
          run: async (feeds: Record<string, Tensor>) => {
            const B = Object.values(feeds)[0]!.dims[0]!;
            const zeros = (dims: number[]) => new Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
            switch (name) {
              case 'textEncoder':
                return { hidden: zeros([B, text.maxLength, text.hiddenSize]) };
              case 'denoiser':
              case 'sceneDenoiser':
                if (ctl.denoiserFailures > 0) {
                  ctl.denoiserFailures--;
                  ctl.onFailure?.();
                  throw new Error(ctl.failure);
                }
                return { v_latent: zeros([...feeds.latent!.dims]), v_motion: zeros([...feeds.motion!.dims]) };
              case 'previewDecoder':
                return { preview: zeros([1, 3, 1, 2, 2]) };
              default:
                return { video: zeros([1, 3, video.frames, video.height, video.width]) };
            }
          },
        };
      },
    },
  } as unknown as Ort;
}

/**
 * Sessions a load of the shipped package makes: text encoder, denoiser, preview and VAE decoders
 * (the scene denoiser's is made by the first scene plan, #13).
 */
const SESSIONS = 4;

const req: GenerateRequest = { prompt: 'a red ball', seed: 1, steps: 2, guidance: 5, innerGuidance: 3, sampler: 'euler' };

describe('VidletEngine failure handling', () => {
  it('a lost GPU device recreates the sessions and retries the step once', async () => {
    const ctl: Control = { creates: 0, denoiserFailures: 0, failure: 'Device lost: GPUDevice was lost (reason: unknown)', providers: [] };
    const freshDevice = { label: 'fresh device' };
    const engine = new VidletEngine(store, fakeOrt(ctl), { probe: gpu, newGpuDevice: async () => freshDevice });
    const info = await engine.loadModel({ base: MODEL });
    expect(info.backend.backend).toBe('webgpu');
    expect(ctl.creates).toBe(SESSIONS);
    ctl.denoiserFailures = 1;
    const r = await engine.generate(req);
    expect(r.video.frames).toBe(manifest.video.frames);
    expect(ctl.creates).toBe(2 * SESSIONS); // every session recreated once
    // ... on a NEW device: onnxruntime-web would otherwise reuse the lost one (webgpu-device.ts).
    expect(ctl.providers!.slice(0, SESSIONS)).toEqual(Array(SESSIONS).fill('webgpu'));
    expect(ctl.providers!.slice(SESSIONS)).toEqual(Array(SESSIONS).fill({ name: 'webgpu', device: freshDevice }));
    // A later load keeps using the fresh device.
    await engine.loadModel({ base: MODEL });
    expect(ctl.providers!.slice(2 * SESSIONS)).toEqual(Array(SESSIONS).fill({ name: 'webgpu', device: freshDevice }));
    ctl.creates = 2 * SESSIONS;

    ctl.denoiserFailures = 2; // lost again on the retry
    await expect(engine.generate(req)).rejects.toMatchObject({ name: 'DeviceLostError', message: expect.stringMatching(/twice/) });
    ctl.denoiserFailures = 0;
    expect((await engine.generate(req)).video.frames).toBe(manifest.video.frames);
  });

  it('a lost GPU device during a scene plan recreates the scene denoiser too, on the new device', async () => {
    const ctl: Control = { creates: 0, denoiserFailures: 0, failure: 'Device lost: GPUDevice was lost (reason: unknown)', providers: [] };
    const freshDevice = { label: 'fresh device' };
    const engine = new VidletEngine(store, fakeOrt(ctl), { probe: gpu, newGpuDevice: async () => freshDevice });
    await engine.loadModel({ base: MODEL });
    const plan = { ...req, scenes: [{ text: 'a red ball', frames: 8 }, { text: 'a blue star', frames: 16 }] };
    await engine.generate(plan);
    expect(ctl.creates).toBe(SESSIONS + 1);
    ctl.denoiserFailures = 1;
    expect((await engine.generate(plan)).scenes).toEqual({ asked: 2, conditioned: 2 });
    expect(ctl.creates).toBe(2 * (SESSIONS + 1));
    expect(ctl.providers!.slice(SESSIONS + 1)).toEqual(Array(SESSIONS + 1).fill({ name: 'webgpu', device: freshDevice }));
    await engine.generate(plan);
    expect(ctl.creates).toBe(2 * (SESSIONS + 1));
  });

  it("a device lost mid-call whose error does not say so is told by the device's lost promise, and recovered", async () => {
    // What onnxruntime-web 1.30 said in Chromium when the page's device was destroyed during a step (webgpu-device.ts).
    const mapAsync = "failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: Failed to download data from buffer. wgpu::MapAsyncStatus value: 4, message: Failed to execute 'mapAsync' on 'GPUBuffer': Buffer was unmapped before mapping was resolved.";
    let lose!: () => void;
    const device = { lost: new Promise<unknown>((r) => (lose = () => r({ reason: 'destroyed', message: 'Device was destroyed.' }))) };
    let loseFresh!: () => void;
    const fresh = { label: 'fresh device', lost: new Promise<unknown>((r) => (loseFresh = () => r({ reason: 'unknown' }))) };
    const ctl: Control = { creates: 0, denoiserFailures: 0, failure: mapAsync, providers: [], device };
    const engine = new VidletEngine(store, fakeOrt(ctl), { probe: gpu, newGpuDevice: async () => fresh });
    await engine.loadModel({ base: MODEL });

    // The same words while the device is fine: a plain inference failure, not retried.
    ctl.denoiserFailures = 1;
    await expect(engine.generate(req)).rejects.toMatchObject({ name: 'InferenceError', message: expect.stringContaining('Buffer was unmapped') });
    expect(ctl.creates).toBe(SESSIONS);

    // The device reports its loss a little after the failed call reached the engine: still recovered.
    ctl.denoiserFailures = 1;
    ctl.onFailure = () => void setTimeout(lose, 20);
    const r = await engine.generate(req);
    expect(r.video.frames).toBe(manifest.video.frames);
    expect(ctl.creates).toBe(2 * SESSIONS);
    expect(ctl.providers!.slice(SESSIONS)).toEqual(Array(SESSIONS).fill({ name: 'webgpu', device: fresh }));

    // The new device lost as well, on the retry too: the clear DeviceLostError; then it works again.
    loseFresh();
    ctl.onFailure = undefined;
    ctl.denoiserFailures = 2;
    await expect(engine.generate(req)).rejects.toMatchObject({ name: 'DeviceLostError', message: expect.stringMatching(/lost twice/) });
    expect((await engine.generate(req)).video.frames).toBe(manifest.video.frames);
  });

  it('on wasm a failing run is an InferenceError, not retried, and the engine stays usable', async () => {
    const ctl: Control = { creates: 0, denoiserFailures: 1, failure: 'bad allocation' };
    const engine = new VidletEngine(store, fakeOrt(ctl), { probe: cpu });
    await engine.loadModel({ base: MODEL });
    await expect(engine.generate(req)).rejects.toMatchObject({ name: 'InferenceError', message: expect.stringMatching(/denoiser failed to run: bad allocation/) });
    expect(ctl.creates).toBe(SESSIONS);
    expect((await engine.generate(req)).batch).toBe(3);
  });

  it('typed load errors; generate before load is ModelNotLoadedError; overlapping calls are BusyError', async () => {
    const ctl: Control = { creates: 0, denoiserFailures: 0, failure: '', createFailure: 'failed to load model: protobuf parsing failed' };
    const engine = new VidletEngine(store, fakeOrt(ctl), { probe: cpu });
    await expect(engine.generate(req)).rejects.toMatchObject({ name: 'ModelNotLoadedError' });
    await expect(engine.loadModel({ base: MODEL })).rejects.toMatchObject({ name: 'ModelFormatError', details: { component: 'textEncoder' } });
    ctl.createFailure = undefined;
    await engine.loadModel({ base: MODEL });
    const first = engine.generate(req);
    await expect(engine.generate(req)).rejects.toMatchObject({ name: 'BusyError' });
    await first;
  });

  it('a graph missing a manifest input is a ModelFormatError naming it', async () => {
    const ctl: Control = { creates: 0, denoiserFailures: 0, failure: '' };
    const broken = { ...manifestJson, components: { ...manifestJson.components, denoiser: { ...manifestJson.components.denoiser, inputs: { ...manifestJson.components.denoiser.inputs, timestep: 't_in' } } } };
    const engine = new VidletEngine({ ...store, readManifest: async () => broken }, fakeOrt(ctl), { probe: cpu });
    // The fake graph takes its names from the real manifest, so "t_in" does not exist in it.
    await expect(engine.loadModel({ base: MODEL })).rejects.toMatchObject({ name: 'ModelFormatError', message: expect.stringMatching(/no input named "t_in"/) });
  });

  it('WebGPU chosen automatically but unable to run the graphs falls back to wasm and says why', async () => {
    const ctl: Control = { creates: 0, denoiserFailures: 0, failure: '', webgpuCreateFailure: 'no kernel registered for op GridSample' };
    const engine = new VidletEngine(store, fakeOrt(ctl), { probe: gpu });
    const info = await engine.loadModel({ base: MODEL });
    expect(info.backend.backend).toBe('wasm');
    expect(info.backend.reason).toMatch(/WebGPU could not run this model .*GridSample.*using WebAssembly/);
    expect((await engine.generate(req)).backend).toBe('wasm');
    // Forced WebGPU is not second-guessed.
    const forced = new VidletEngine(store, fakeOrt(ctl), { probe: gpu });
    await expect(forced.loadModel({ base: MODEL }, { backend: 'webgpu' })).rejects.toMatchObject({ name: 'ModelLoadError' });
  });

  it('reports the wasm thread count onnxruntime really runs with', async () => {
    const ctl: Control = { creates: 0, denoiserFailures: 0, failure: '' };
    const engine = new VidletEngine(store, fakeOrt(ctl), { probe: cpu });
    expect((await engine.loadModel({ base: MODEL }, { numThreads: 2 })).backend.threads).toBe(2);
    const again = await engine.loadModel({ base: MODEL }, { numThreads: 3 });
    expect(again.backend.threads).toBe(2);
    expect(again.backend.reason).toMatch(/already started with 2 threads/);
  });
});

describe('VidletEngine: the onnxruntime module per backend (src/worker/ort-bundle.ts in the page)', () => {
  const modules = () => {
    const asked: string[] = [];
    const wasmCtl: Control = { creates: 0, denoiserFailures: 0, failure: '' };
    const gpuCtl: Control = { creates: 0, denoiserFailures: 0, failure: '' };
    const ort = { wasm: fakeOrt(wasmCtl), webgpu: fakeOrt(gpuCtl) };
    const ortFor = async (backend: 'wasm' | 'webgpu') => {
      asked.push(backend);
      return ort[backend];
    };
    return { asked, wasmCtl, gpuCtl, ort, ortFor };
  };
  const software: () => Promise<EnvironmentProbe> = async () => ({ ...(await gpu()), webgpu: { ...(await gpu()).webgpu!, isFallbackAdapter: true } });

  it('asks for the module of the backend the load chose, and makes its sessions and tensors with it', async () => {
    const m = modules();
    const onCpu = new VidletEngine(store, m.ortFor, { probe: cpu });
    expect((await onCpu.loadModel({ base: MODEL })).backend.backend).toBe('wasm');
    expect((await onCpu.generate(req)).backend).toBe('wasm');
    expect([m.asked, m.wasmCtl.creates, m.gpuCtl.creates]).toEqual([['wasm'], SESSIONS, 0]);
    expect(m.ort.wasm.env.wasm.numThreads).toBe(4);

    const n = modules();
    const onGpu = new VidletEngine(store, n.ortFor, { probe: gpu });
    expect((await onGpu.loadModel({ base: MODEL })).backend.backend).toBe('webgpu');
    expect((await onGpu.generate(req)).backend).toBe('webgpu');
    expect([n.asked, n.wasmCtl.creates, n.gpuCtl.creates]).toEqual([['webgpu'], 0, SESSIONS]);
  });

  it('a software adapter runs on the wasm module unless WebGPU is forced; a forced backend gets its own', async () => {
    const m = modules();
    const engine = new VidletEngine(store, m.ortFor, { probe: software });
    expect((await engine.loadModel({ base: MODEL })).backend.backend).toBe('wasm');
    expect((await engine.loadModel({ base: MODEL }, { backend: 'webgpu' })).backend.backend).toBe('webgpu');
    expect((await engine.generate(req)).backend).toBe('webgpu');
    const n = modules();
    await new VidletEngine(store, n.ortFor, { probe: gpu }).loadModel({ base: MODEL }, { backend: 'wasm' });
    expect([m.asked, n.asked]).toEqual([['wasm', 'webgpu'], ['wasm']]);
    // Each module is started with the thread count, whichever backend runs on it.
    expect([m.ort.wasm.env.wasm.numThreads, m.ort.webgpu.env.wasm.numThreads]).toEqual([4, 4]);
  });

  it("WebGPU chosen automatically but failing to load falls back on the wasm module (offline: the WebGPU runtime not cached yet)", async () => {
    const m = modules();
    m.gpuCtl.createFailure = "no available backend found. ERR: [webgpu] TypeError: Failed to fetch";
    const engine = new VidletEngine(store, m.ortFor, { probe: gpu });
    const info = await engine.loadModel({ base: MODEL });
    expect(info.backend.backend).toBe('wasm');
    expect(info.backend.reason).toMatch(/WebGPU could not run this model .*Failed to fetch.*using WebAssembly/);
    expect((await engine.generate(req)).backend).toBe('wasm');
    expect([m.asked, m.wasmCtl.creates]).toEqual([['webgpu', 'wasm'], SESSIONS]);
  });

  it('WebGPU chosen automatically whose variants cannot be fetched (offline, stored on wasm) falls back on what wasm has stored', async () => {
    const m = modules();
    // Stored: only the files a wasm load reads (int8 where shipped); the rest needs the network, which is gone.
    const wasmFiles = new Set<string>();
    const recording: ModelFileStore = { ...store, getFile: async (b, f) => (wasmFiles.add(f.path), store.getFile(b, f)) };
    await new VidletEngine(recording, modules().ortFor, { probe: cpu }).loadModel({ base: MODEL });
    expect(wasmFiles.size).toBeGreaterThan(0);
    const offline: ModelFileStore = {
      ...store,
      getFile: async (b, f) => {
        if (!wasmFiles.has(f.path)) throw new FileUnavailableError(f.path, b, 'Failed to fetch (gave up after 6 tries at 0 bytes)');
        return store.getFile(b, f);
      },
    };
    const engine = new VidletEngine(offline, m.ortFor, { probe: gpu });
    const info = await engine.loadModel({ base: MODEL });
    expect(info.backend.backend).toBe('wasm');
    expect(info.backend.reason).toMatch(/^WebGPU's weights could not be downloaded \(Cannot read .*Failed to fetch.*\); using WebAssembly\./);
    expect((await engine.generate(req)).backend).toBe('wasm');
    // A forced WebGPU still says what is missing.
    await expect(engine.loadModel({ base: MODEL }, { backend: 'webgpu' })).rejects.toMatchObject({ name: 'FileUnavailableError' });
  });
});
