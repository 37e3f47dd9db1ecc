/**
 * A model update does not leave the old version's files on the user's disk: after the engine
 * loaded the new version, the store deletes the cached files that no saved manifest lists any
 * more (complete or partial, record and chunks), and nothing else: not the files the versions
 * share, not another model's, not those another address of the same model still lists, and
 * nothing at all when a saved manifest of the model cannot be read. Real ModelCache on
 * fake-indexeddb, fed through BrowserModelStore from a fake server.
 */
import 'fake-indexeddb/auto';
import { createHash, randomBytes } from 'node:crypto';
import { createStore, keys } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import { BrowserModelStore } from '../../../src/store/browser-store';
import { ModelCache } from '../../../src/store/cache';
import { parseManifest } from '../../../src/store/manifest';
import type { Manifest, PackageFile } from '../../../src/store/types';
import { cpu, fakeOrt, MODEL, storeFor } from '../engine/fake-package';
import { readFileSync } from 'node:fs';
import { validManifest } from './manifest-fixture';

const CHUNK = 64;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number) => new Uint8Array(randomBytes(n));
const A = 'http://models.test/a/';
const B = 'http://models.test/b/';

const text = bytes(150);
const denoiserV1 = bytes(300);
const denoiserV2 = bytes(310);
const fileOf = (path: string, data: Uint8Array): PackageFile => ({ path, bytes: data.length, sha256: sha(data) });

/** A version of package 'vidlet-tiny' whose text encoder and denoiser are `text` and `denoiser`. */
function version(denoiser: Uint8Array): Record<string, any> {
  const m = validManifest();
  m.components.textEncoder.variants = { int8: { files: [fileOf('text_encoder.int8.onnx', text)] } };
  m.components.denoiser.variants = { fp32: { files: [fileOf('denoiser.onnx', denoiser)] } };
  return m;
}
const v1 = version(denoiserV1);
const v2 = version(denoiserV2);

/** A server whose package at each base can be swapped; files by path. */
function server() {
  const at = new Map<string, { manifest: unknown; files: Map<string, Uint8Array> }>();
  const fetch = (async (input: RequestInfo | URL) => {
    const url = String(input);
    for (const [base, pkg] of at) {
      if (!url.startsWith(base)) continue;
      const path = url.slice(base.length);
      if (path === 'manifest.json') return new Response(JSON.stringify(pkg.manifest));
      const data = pkg.files.get(path);
      if (data) return new Response(data.slice());
    }
    return new Response('not found', { status: 404 });
  }) as typeof globalThis.fetch;
  const serve = (base: string, manifest: Record<string, any>, denoiser: Uint8Array) =>
    at.set(base, { manifest, files: new Map([['text_encoder.int8.onnx', text], ['denoiser.onnx', denoiser]]) });
  return { fetch, serve };
}

let dbN = 0;
function setup() {
  const dbName = `old-versions-${dbN++}`;
  const idb = createStore(dbName, 'files');
  const cache = new ModelCache({ dbName, chunkBytes: CHUNK, storage: null, useStore: idb });
  const net = server();
  const warnings: string[] = [];
  const store = new BrowserModelStore({ cache, fetch: net.fetch, retries: 0, onWarning: (w) => warnings.push(w) });
  /** Loads the package at `base` as the engine does: manifest first (saved), then its files. */
  const load = async (base: string): Promise<Manifest> => {
    const manifest = parseManifest(await store.readManifest(base));
    await store.getFile(base, manifest.components.textEncoder.variants.int8!.files[0]!);
    await store.getFile(base, manifest.components.denoiser.variants.fp32!.files[0]!);
    return manifest;
  };
  const storedKeys = async () => (await keys(idb)).map(String);
  return { cache, store, net, load, storedKeys, warnings };
}

describe('a model update', () => {
  it('deletes the old version\'s files after the new one loaded, and nothing else', async () => {
    const { cache, store, net, load, storedKeys, warnings } = setup();
    net.serve(A, v1, denoiserV1);
    await load(A);
    // What else is stored: a partial download of a file only the old version had, and another model.
    const gone: PackageFile = { path: 'vae_decoder.old.onnx', bytes: 200, sha256: sha(bytes(1)) };
    await cache.putChunk('vidlet-tiny', gone, 0, bytes(200), CHUNK);
    const other = fileOf('denoiser.onnx', denoiserV1);
    await cache.putChunk('other-model', other, 0, denoiserV1, CHUNK);
    expect((await cache.listModels()).find((m) => m.name === 'vidlet-tiny')).toMatchObject({ bytes: 150 + 300 + 64, files: 3 });

    net.serve(A, v2, denoiserV2);
    const loaded = await load(A);
    // Before the engine says the load is done, both versions are stored.
    expect((await cache.listModels()).find((m) => m.name === 'vidlet-tiny')).toMatchObject({ bytes: 150 + 300 + 310 + 64, files: 4 });
    await store.packageLoaded(A, loaded);

    expect(await cache.listModels()).toEqual([
      { name: 'other-model', bytes: 64, files: 1, completeFiles: 0, bases: [] },
      { name: 'vidlet-tiny', bytes: 150 + 310, files: 2, completeFiles: 2, bases: [A] },
    ]);
    // Record and chunks of the old denoiser and of the partial file are gone, the rest is there.
    const stored = await storedKeys();
    expect(stored.filter((k) => k.includes(sha(denoiserV1)) && k.includes('vidlet-tiny/'))).toEqual([]);
    expect(stored.filter((k) => k.includes(gone.sha256))).toEqual([]);
    expect(stored.filter((k) => k.startsWith('chunk:vidlet-tiny/denoiser.onnx@'))).toHaveLength(Math.ceil(310 / CHUNK));
    expect(stored.filter((k) => k.startsWith('chunk:vidlet-tiny/text_encoder.int8.onnx@'))).toHaveLength(Math.ceil(150 / CHUNK));
    expect(stored.filter((k) => k.startsWith('chunk:other-model/'))).toHaveLength(1);
    expect(warnings).toEqual([]);
    // The new version still loads, entirely from the cache.
    const again = new Uint8Array(310);
    expect(await cache.readStored('vidlet-tiny', loaded.components.denoiser.variants.fp32!.files[0]!, again)).toMatchObject({ held: 310, complete: true });
    expect(sha(again)).toBe(sha(denoiserV2));
  });

  it('keeps the files another address of the same model still lists', async () => {
    const { cache, store, net, load } = setup();
    net.serve(A, v1, denoiserV1);
    net.serve(B, v1, denoiserV1);
    await load(A);
    await store.readManifest(B); // B's manifest (the old version) is saved too
    net.serve(A, v2, denoiserV2);
    await store.packageLoaded(A, await load(A));
    expect((await cache.listModels()).find((m) => m.name === 'vidlet-tiny')).toMatchObject({ bytes: 150 + 300 + 310, files: 3, bases: [A, B] });
  });

  it('deletes nothing when a saved manifest of the model cannot be read', async () => {
    const { cache, store, net, load } = setup();
    net.serve(A, v1, denoiserV1);
    await load(A);
    await cache.saveManifest(B, 'vidlet-tiny', { name: 'vidlet-tiny', format: 'something else' });
    net.serve(A, v2, denoiserV2);
    await store.packageLoaded(A, await load(A));
    expect((await cache.listModels()).find((m) => m.name === 'vidlet-tiny')).toMatchObject({ bytes: 150 + 300 + 310, files: 3 });
  });

  it('a cache that fails while pruning is a warning, not an error', async () => {
    const { cache, store, net, load, warnings } = setup();
    net.serve(A, v1, denoiserV1);
    const loaded = await load(A);
    cache.pruneModel = async () => {
      throw new Error('the database was closed');
    };
    await expect(store.packageLoaded(A, loaded)).resolves.toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^Files of earlier versions of vidlet-tiny could not be deleted .*the database was closed/)]);
  });
});

describe('the engine', () => {
  const json = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));

  it('tells the store after a load, with the manifest it loaded; not after a failed one', async () => {
    const told: [string, string][] = [];
    const store = { ...storeFor(json), packageLoaded: async (base: string, m: Manifest) => void told.push([base, m.name]) };
    const engine = new VidletEngine(store, fakeOrt(json, []), { probe: cpu });
    await engine.loadModel({ base: '/m/' });
    expect(told).toEqual([['/m/', json.name]]);

    const failing = { ...store, getFile: async () => Promise.reject(new Error('offline')) };
    await expect(new VidletEngine(failing, fakeOrt(json, []), { probe: cpu }).loadModel({ base: '/m/' })).rejects.toThrow(/offline/);
    expect(told).toHaveLength(1);
  });
});
