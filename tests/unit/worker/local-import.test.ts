/**
 * Adding a model from a picked folder: the page hands File objects to the worker (here over a
 * MessageChannel, so they are structured-cloned as in the browser), EngineHost stores them in a
 * real ModelCache on fake-indexeddb with every sha256 checked, and BrowserModelStore then reads
 * the package from the cache alone (its base is vidlet-local://, never fetched). A missing file
 * or a wrong hash names the file and leaves nothing stored. planPackage reports the variants and
 * bytes this device would load, before anything is fetched.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EnvironmentProbe } from '../../../src/engine/backend';
import type { Engine } from '../../../src/engine/types';
import { BrowserModelStore } from '../../../src/store/browser-store';
import { ModelCache } from '../../../src/store/cache';
import { localBase, type LocalFile } from '../../../src/store/local-import';
import { EngineHost } from '../../../src/worker/engine-host';
import { validManifest } from '../store/manifest-fixture';
import { clientFor } from './client-for';

const CHUNK = 64;
const bytes = (n: number, seed: number): Uint8Array<ArrayBuffer> => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A small package whose files really hash to what its manifest lists (sizes span 1–3 chunks). */
function realPackage(name = 'tiny-local') {
  const weights: Record<string, Uint8Array<ArrayBuffer>> = {
    'text_encoder.onnx': bytes(100, 1),
    'denoiser.onnx': bytes(150, 2),
    'denoiser.int8.onnx': bytes(40, 3),
    'vae_decoder.onnx': bytes(64, 4),
    'preview_decoder.onnx': bytes(10, 5),
  };
  const v = (path: string) => ({ files: [{ path, bytes: weights[path].length, sha256: sha(weights[path]) }] });
  const m = validManifest();
  m.name = name;
  m.displayName = 'Tiny, from a folder';
  delete m.modelCard;
  delete m.blender;
  m.adapters = [];
  m.components.textEncoder.variants = { fp32: v('text_encoder.onnx') };
  m.components.denoiser.variants = { fp32: v('denoiser.onnx'), int8: v('denoiser.int8.onnx') };
  m.components.vaeDecoder.variants = { fp32: v('vae_decoder.onnx') };
  m.components.previewDecoder.variants = { fp32: v('preview_decoder.onnx') };
  const texts = { 'tokenizer.json': '{"model": {}}', 'vocabulary.json': '["ball"]' };
  const files: LocalFile[] = [
    { path: `${name}/manifest.json`, file: new Blob([JSON.stringify(m)]) },
    ...Object.entries(weights).map(([p, b]) => ({ path: `${name}/${p}`, file: new Blob([b]) })),
    ...Object.entries(texts).map(([p, t]) => ({ path: `${name}/${p}`, file: new Blob([t]) })),
  ];
  return { manifest: m, weights, files };
}

let dbN = 0;
const freshCache = () => new ModelCache({ dbName: `local-import-${dbN++}`, chunkBytes: CHUNK, storage: { estimate: async () => ({ usage: 0, quota: 1e6 }) } });
const wasmOnly: EnvironmentProbe = { webgpu: null, webgpuProblem: 'none here', wasm: true, hardwareConcurrency: 2, crossOriginIsolated: false, isNode: false };


const noFetch = (async (url: string) => {
  throw new Error(`fetched ${url}`);
}) as unknown as typeof fetch;

describe('importLocalPackage', () => {
  it('stores every file verified; the store then serves the package from the cache alone', async () => {
    const cache = freshCache();
    const client = clientFor(new EngineHost({} as Engine, cache));
    const pkg = realPackage();
    const progress: number[] = [];
    const imported = await client.importLocalPackage(pkg.files, (p) => progress.push(p.storedBytes));
    const total = Object.values(pkg.weights).reduce((n, b) => n + b.length, 0);
    expect(imported).toEqual({ name: 'tiny-local', displayName: 'Tiny, from a folder', base: 'vidlet-local://tiny-local/', bytes: total });
    expect(progress.at(-1)).toBe(total);
    expect(await cache.listModels()).toEqual([{ name: 'tiny-local', bytes: total, files: 5, completeFiles: 5, bases: ['vidlet-local://tiny-local/'] }]);

    const store = new BrowserModelStore({ cache, fetch: noFetch });
    const base = localBase('tiny-local');
    expect(await store.readManifest(base)).toEqual(pkg.manifest);
    expect(await store.readText(base, 'vocabulary.json')).toBe('["ball"]');
    const denoiser = pkg.manifest.components.denoiser.variants.fp32.files[0];
    expect(await store.getFile(base, denoiser)).toEqual(pkg.weights['denoiser.onnx']);
  });

  it('a file missing from the cache later is an error that says to add the folder again, not a fetch', async () => {
    const cache = freshCache();
    const pkg = realPackage();
    await clientFor(new EngineHost({} as Engine, cache)).importLocalPackage(pkg.files);
    const file = pkg.manifest.components.vaeDecoder.variants.fp32.files[0];
    await cache.deleteFile('tiny-local', file);
    const store = new BrowserModelStore({ cache, fetch: noFetch });
    await expect(store.getFile(localBase('tiny-local'), file)).rejects.toThrow(/vae_decoder\.onnx.*add the folder again/);
  });

  it('a wrong hash names the file and leaves nothing of the package stored', async () => {
    const cache = freshCache();
    const pkg = realPackage();
    const damaged = bytes(150, 2);
    damaged[149] ^= 1;
    const files = pkg.files.map((f) => (f.path.endsWith('/denoiser.onnx') ? { ...f, file: new Blob([damaged]) } : f));
    const error = await clientFor(new EngineHost({} as Engine, cache)).importLocalPackage(files).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'IntegrityError', message: expect.stringMatching(/^denoiser\.onnx from the chosen folder is corrupt/) });
    expect(await cache.listModels()).toEqual([]);
    expect(await cache.loadText('tiny-local', 'tokenizer.json')).toBeUndefined();
  });

  it('a missing file or a wrong size is refused before anything is stored, naming each file', async () => {
    const cache = freshCache();
    const pkg = realPackage();
    const files = pkg.files
      .filter((f) => !f.path.endsWith('/preview_decoder.onnx'))
      .map((f) => (f.path.endsWith('/vae_decoder.onnx') ? { ...f, file: new Blob([bytes(63, 4)]) } : f));
    const error = (await clientFor(new EngineHost({} as Engine, cache)).importLocalPackage(files).catch((e: Error) => e)) as Error;
    expect(error.name).toBe('PackageFilesError');
    expect(error.message).toContain('vae_decoder.onnx has 63 bytes, but the manifest lists 64');
    expect(error.message).toContain('preview_decoder.onnx is missing (the manifest lists it at components.previewDecoder.variants.fp32)');
    expect(await cache.listModels()).toEqual([]);
  });

  it('refuses a folder without manifest.json, a manifest the parser rejects, a name already stored, and a package over the quota', async () => {
    const cache = freshCache();
    const host = new EngineHost({} as Engine, cache);
    const client = clientFor(host);
    const pkg = realPackage();
    await expect(client.importLocalPackage(pkg.files.slice(1))).rejects.toThrow(/no manifest\.json at the top of the folder/);

    const bad = { ...pkg.manifest, formatVersion: 99 };
    await expect(client.importLocalPackage([{ path: 'tiny-local/manifest.json', file: new Blob([JSON.stringify(bad)]) }, ...pkg.files.slice(1)])).rejects.toMatchObject({ name: 'ManifestError' });
    expect(await cache.listModels()).toEqual([]);

    await client.importLocalPackage(pkg.files);
    await expect(client.importLocalPackage(pkg.files)).rejects.toThrow(/"tiny-local" is already stored/);

    const full = new ModelCache({ dbName: `local-import-${dbN++}`, chunkBytes: CHUNK, storage: { estimate: async () => ({ usage: 900, quota: 1000 }) } });
    await expect(clientFor(new EngineHost({} as Engine, full)).importLocalPackage(realPackage('other').files)).rejects.toMatchObject({ name: 'StorageFullError' });
    expect(await full.listModels()).toEqual([]);
  });
});

describe('planPackage', () => {
  it('reports the variants this backend would load, their bytes, all listed bytes and the estimate', async () => {
    const pkg = realPackage();
    const client = clientFor(new EngineHost({} as Engine, freshCache(), { probe: async () => wasmOnly }));
    const plan = await client.planPackage(pkg.manifest);
    expect(plan).toMatchObject({
      name: 'tiny-local', displayName: 'Tiny, from a folder', backend: 'wasm',
      components: [
        { name: 'textEncoder', variant: 'fp32', bytes: 100 },
        { name: 'denoiser', variant: 'int8', bytes: 40 },
        { name: 'previewDecoder', variant: 'fp32', bytes: 10 },
        { name: 'vaeDecoder', variant: 'fp32', bytes: 64 },
      ],
      downloadBytes: 214,
      listedBytes: 364,
      estimate: { usage: 0, quota: 1e6, free: 1e6 },
    });
  });

  it("tells the package's presets with their attention bytes, and what bounds one buffer on this device", async () => {
    const wan = JSON.parse(readFileSync('tests/fixtures/wan-tiny-presets/manifest.json', 'utf8'));
    const onWasm = await clientFor(new EngineHost({} as Engine, freshCache(), { probe: async () => wasmOnly })).planPackage(wan);
    expect(onWasm.sizes).toEqual([
      { name: '9x32x32', video: { frames: 9, height: 32, width: 32 }, attentionScoresBytes: 2304 },
      { name: 'big', video: { frames: 13, height: 48, width: 64 }, attentionScoresBytes: 36864 },
    ]);
    const weights = onWasm.components.reduce((n, c) => n + c.memoryBytes, 0);
    expect(onWasm.bufferLimits).toEqual({ backend: 'wasm', memoryBytes: 4 * 1024 ** 3, weightsBytes: weights });
    const limits = { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 30 };
    const gpu: EnvironmentProbe = { ...wasmOnly, webgpu: { vendor: 'nvidia', architecture: 'ada', description: 'RTX', isFallbackAdapter: false, features: [], limits } };
    const onGpu = await clientFor(new EngineHost({} as Engine, freshCache(), { probe: async () => gpu })).planPackage(wan);
    expect(onGpu.bufferLimits).toEqual({ backend: 'webgpu', ...limits });
  });

  it('tells the one size of a package without presets, named by the package, with its video’s attention bytes where the manifest gives them', async () => {
    const client = clientFor(new EngineHost({} as Engine, freshCache(), { probe: async () => wasmOnly }));
    const wan = JSON.parse(readFileSync('tests/fixtures/wan-tiny/manifest.json', 'utf8'));
    expect((await client.planPackage(wan)).sizes).toEqual([{ name: 'wan-tiny-fixture', video: { frames: 9, height: 32, width: 32 }, only: true, attentionScoresBytes: 2304 }]);
    // a package converted before the figure was written: its size, unknown attention (not judged)
    expect((await client.planPackage(realPackage().manifest)).sizes).toEqual([{ name: 'tiny-local', video: { frames: 16, height: 128, width: 128 }, only: true }]);
  });

  it('rejects a manifest the parser rejects with its ManifestError', async () => {
    const client = clientFor(new EngineHost({} as Engine, freshCache(), { probe: async () => wasmOnly }));
    await expect(client.planPackage({ format: 'vidlet-model', formatVersion: 1 })).rejects.toMatchObject({ name: 'ManifestError', message: expect.stringMatching(/^manifest\.name/) });
  });
});
