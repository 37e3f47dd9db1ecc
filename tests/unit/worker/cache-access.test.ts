/**
 * The model panel's storage calls go through the engine worker: EngineHost reads and deletes
 * in the ModelCache the engine downloads into, and EngineClient / ModelStorage reach it over
 * comlink (here a MessageChannel standing in for the Worker, so every value and error is
 * structured-cloned as in the browser). The cache is a real ModelCache on fake-indexeddb.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ModelStorage } from '../../../src/app/data/model-storage';
import type { Engine } from '../../../src/engine/types';
import { ModelCache } from '../../../src/store/cache';
import type { PackageFile } from '../../../src/store/types';
import { EngineHost } from '../../../src/worker/engine-host';
import { clientFor } from './client-for';

const CHUNK = 16;
const BASE = 'http://models.test/tiny/';
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);
const complete: PackageFile = { path: 'denoiser.onnx', bytes: 40, sha256: 'a'.repeat(64) };
const partial: PackageFile = { path: 'vae.onnx', bytes: 40, sha256: 'b'.repeat(64) };

let dbN = 0;
/** 'tiny': one complete 40-byte file and its saved manifest; 'other': one chunk of a 40-byte file. */
async function seededCache(): Promise<ModelCache> {
  const cache = new ModelCache({
    dbName: `cache-access-${dbN++}`,
    chunkBytes: CHUNK,
    storage: { estimate: async () => ({ usage: 1000, quota: 5000 }) },
  });
  await cache.saveManifest(BASE, 'tiny', { name: 'tiny' });
  for (let i = 0; i < 3; i++) await cache.putChunk('tiny', complete, i, bytes(40), CHUNK);
  await cache.markComplete('tiny', complete);
  await cache.putChunk('other', partial, 0, bytes(40), CHUNK);
  return cache;
}

const usage = {
  models: [
    { name: 'other', bytes: 16, files: 1, completeFiles: 0, bases: [] },
    { name: 'tiny', bytes: 40, files: 1, completeFiles: 1, bases: [BASE] },
  ],
  estimate: { usage: 1000, quota: 5000, free: 4000 },
};


describe('EngineHost cache calls', () => {
  it('cacheUsage lists the cached models and the storage estimate', async () => {
    const host = new EngineHost({} as Engine, await seededCache());
    expect(structuredClone(await host.cacheUsage())).toEqual(usage);
  });

  it('deleteCachedModel removes one model and its saved manifest, nothing else', async () => {
    const cache = await seededCache();
    await new EngineHost({} as Engine, cache).deleteCachedModel('tiny');
    expect((await cache.listModels()).map((m) => m.name)).toEqual(['other']);
    expect(await cache.loadManifest(BASE)).toBeUndefined();
  });

  it('without a cache, both calls reject and say why', async () => {
    const host = new EngineHost({} as Engine);
    await expect(host.cacheUsage()).rejects.toMatchObject({ message: expect.stringMatching(/keeps no model cache/) });
    await expect(host.deleteCachedModel('tiny')).rejects.toMatchObject({ message: expect.stringMatching(/keeps no model cache/) });
  });
});

describe('the page side, through comlink', () => {
  it('EngineClient gets the usage and deletes in the worker', async () => {
    const cache = await seededCache();
    const client = clientFor(new EngineHost({} as Engine, cache));
    expect(await client.cacheUsage()).toEqual(usage);
    await client.deleteCachedModel('other');
    expect((await cache.listModels()).map((m) => m.name)).toEqual(['tiny']);
  });

  it('a failure in the worker arrives as an Error with its message', async () => {
    const cache = await seededCache();
    cache.deleteModel = async () => {
      throw new DOMException('The database connection is closing.', 'InvalidStateError');
    };
    const client = clientFor(new EngineHost({} as Engine, cache));
    const error = await client.deleteCachedModel('tiny').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('The database connection is closing.');
  });

  it('ModelStorage shows what the worker reports and refreshes after a delete', async () => {
    const cache = await seededCache();
    const storage = new ModelStorage(clientFor(new EngineHost({} as Engine, cache)));
    expect(storage.state.value).toBeUndefined();
    await storage.refresh();
    expect(storage.state.value).toEqual(usage);
    expect(storage.cachedBytes('tiny')).toBe(40);
    expect(storage.cachedBytes('missing')).toBeUndefined();

    await storage.deleteModel('tiny');
    expect(storage.state.value?.models.map((m) => m.name)).toEqual(['other']);
    expect(storage.cachedBytes('tiny')).toBeUndefined();
    expect(await cache.listModels()).toHaveLength(1);
  });
});
