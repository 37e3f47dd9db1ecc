import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createStore, set, type UseStore } from 'idb-keyval';
import { ModelCache, isStorageFull } from '../../../src/store/cache';
import { chunkCount, chunkLength, completedChunks, heldBytes, usablePrefix } from '../../../src/store/chunks';
import { StorageFullError } from '../../../src/store/errors';
import type { PackageFile } from '../../../src/store/types';

const CHUNK = 1000;
let dbCounter = 0;
const freshCache = (extra: ConstructorParameters<typeof ModelCache>[0] = {}) =>
  new ModelCache({ dbName: `cache-test-${dbCounter++}`, chunkBytes: CHUNK, storage: null, ...extra });

function fileOf(data: Uint8Array, path = 'denoiser.onnx'): PackageFile {
  return { path, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

describe('chunk arithmetic', () => {
  it('splits a file into full chunks and a short last one', () => {
    expect(chunkCount(2500, 1000)).toBe(3);
    expect(chunkCount(0, 1000)).toBe(0);
    expect([0, 1, 2, 3].map((i) => chunkLength(i, 2500, 1000))).toEqual([1000, 1000, 500, 0]);
    expect(heldBytes(2, 2500, 1000)).toBe(2000);
    expect(heldBytes(3, 2500, 1000)).toBe(2500);
  });

  it('resumes from the chunks before the first missing or wrong-length one', () => {
    expect(usablePrefix([1000, 1000, 500], 2500, 1000)).toBe(3);
    expect(usablePrefix([1000, undefined, 500], 2500, 1000)).toBe(1);
    expect(usablePrefix([1000, 999], 2500, 1000)).toBe(1);
    expect(usablePrefix([1000, 1000, 1000], 2500, 1000)).toBe(2); // last chunk must be 500
  });

  it('lists the chunks a write position completes', () => {
    expect(completedChunks(999, 0, 2500, 1000)).toEqual([]);
    expect(completedChunks(2100, 0, 2500, 1000)).toEqual([0, 1]);
    expect(completedChunks(2500, 2, 2500, 1000)).toEqual([2]);
  });
});

describe('ModelCache', () => {
  it('stores each chunk as soon as it is full, and resumes from stored chunks', async () => {
    const cache = freshCache();
    const data = new Uint8Array(randomBytes(3500));
    const file = fileOf(data);
    const into = new Uint8Array(data.length);
    const w = cache.openWriter('m', file, into, 0);
    await w.write(data.subarray(0, 1500)); // chunk 0 complete, 500 bytes pending in memory
    expect(await cache.getRecord('m', file)).toMatchObject({ chunks: 1, complete: false, chunkBytes: CHUNK });
    await w.write(data.subarray(1500, 2700)); // chunks 1 complete

    // a "reload": a new buffer, read back what is stored
    const again = new Uint8Array(data.length);
    const stored = await cache.readStored('m', file, again);
    expect(stored).toEqual({ held: 2000, complete: false });
    expect(Buffer.from(again.subarray(0, 2000)).equals(Buffer.from(data.subarray(0, 2000)))).toBe(true);

    const w2 = cache.openWriter('m', file, again, stored.held);
    await w2.write(data.subarray(2000));
    await w2.flush();
    expect(await cache.getRecord('m', file)).toMatchObject({ chunks: 4, complete: false });
    await cache.markComplete('m', file);
    const whole = new Uint8Array(data.length);
    // `written` tells this complete copy from a later one (BrowserModelStore's verify 'if-changed')
    expect(await cache.readStored('m', file, whole)).toEqual({ held: 3500, complete: true, written: (await cache.getRecord('m', file))!.updatedAt });
    expect(Buffer.from(whole).equals(Buffer.from(data))).toBe(true);
  });

  it('cuts the resumable prefix at a damaged chunk and corrects the record', async () => {
    const cache = freshCache({ dbName: 'cache-damaged' });
    const data = new Uint8Array(randomBytes(3000));
    const file = fileOf(data);
    const w = cache.openWriter('m', file, new Uint8Array(data.length), 0);
    await w.write(data);
    await cache.markComplete('m', file);
    // chunk 1 truncated behind the cache's back
    await set(`chunk:m/${file.path}@${file.sha256}#00001`, new Uint8Array(10), createStore('cache-damaged', 'files'));
    expect(await cache.readStored('m', file, new Uint8Array(data.length))).toEqual({ held: 1000, complete: false });
    expect(await cache.getRecord('m', file)).toMatchObject({ chunks: 1, complete: false });
  });

  it('restart() drops stored chunks', async () => {
    const cache = freshCache();
    const data = new Uint8Array(randomBytes(2500));
    const file = fileOf(data);
    const w = cache.openWriter('m', file, new Uint8Array(data.length), 0);
    await w.write(data.subarray(0, 2100));
    await w.restart();
    expect(w.held).toBe(0);
    expect(await cache.readStored('m', file, new Uint8Array(data.length))).toEqual({ held: 0, complete: false });
  });

  it('lists models with their bytes, prunes stale files and deletes a model', async () => {
    const cache = freshCache();
    const a = new Uint8Array(randomBytes(2500));
    const b = new Uint8Array(randomBytes(1200));
    const fa = fileOf(a, 'a.onnx');
    const fb = fileOf(b, 'b.onnx');
    await cache.openWriter('alpha', fa, new Uint8Array(a.length), 0).write(a);
    await cache.markComplete('alpha', fa);
    await cache.openWriter('alpha', fb, new Uint8Array(b.length), 0).write(b.subarray(0, 1100)); // 1 chunk stored
    await cache.openWriter('beta', fb, new Uint8Array(b.length), 0).write(b);
    await cache.saveManifest('http://h/models/alpha/', 'alpha', { name: 'alpha' });
    await cache.saveText('alpha', 'tokenizer.json', '{}');

    expect(await cache.listModels()).toEqual([
      { name: 'alpha', bytes: 3500, files: 2, completeFiles: 1, bases: ['http://h/models/alpha/'] },
      { name: 'beta', bytes: 1200, files: 1, completeFiles: 0, bases: [] },
    ]);
    expect(await cache.pruneModel('alpha', [fa])).toBe(1);
    expect((await cache.listModels())[0]).toMatchObject({ name: 'alpha', bytes: 2500, files: 1 });

    await cache.deleteModel('alpha');
    expect((await cache.listModels()).map((m) => m.name)).toEqual(['beta']);
    expect(await cache.loadManifest('http://h/models/alpha/')).toBeUndefined();
    expect(await cache.loadText('alpha', 'tokenizer.json')).toBeUndefined();
    expect(await cache.getRecord('beta', fb)).toMatchObject({ chunks: 2 });
  });

  it('turns a quota failure into StorageFullError with needed, free and deletable', async () => {
    const name = 'cache-quota';
    const real = createStore(name, 'files');
    let full = false;
    // Chromium's way of failing a too-large write; QuotaExceededError is the other.
    const failing: UseStore = (mode, cb) => {
      if (mode === 'readwrite' && full) return Promise.reject(new DOMException('Failed to write blobs (IndexedDB)', 'DataError'));
      return real(mode, cb);
    };
    const cache = new ModelCache({
      useStore: failing, chunkBytes: CHUNK,
      storage: { estimate: async () => ({ usage: 9_000, quota: 10_000 }) },
    });
    const other = new Uint8Array(randomBytes(1500));
    await cache.openWriter('old-model', fileOf(other), new Uint8Array(other.length), 0).write(other);

    const data = new Uint8Array(randomBytes(5000));
    const w = cache.openWriter('new-model', fileOf(data), new Uint8Array(data.length), 0);
    await w.write(data.subarray(0, 1000));
    full = true;
    const err = await w.write(data.subarray(1000, 2000)).catch((e) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(err.neededBytes).toBe(4000);
    expect(err.freeBytes).toBe(1000);
    expect(err.deletable).toEqual([{ name: 'old-model', bytes: 1500 }]);
    expect(err.message).toMatch(/needs 3\.9 KiB more, but 1000 bytes are free.*old-model: 1\.5 KiB/);
  });

  it('recognises the storage-full errors and nothing else', () => {
    expect(isStorageFull(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isStorageFull(new DOMException('Failed to write blobs', 'DataError'))).toBe(true);
    expect(isStorageFull(new DOMException('Data provided to an operation does not meet requirements', 'DataError'))).toBe(false);
    expect(isStorageFull(new TypeError('x'))).toBe(false);
  });

  it('reports the storage estimate', async () => {
    const cache = freshCache({ storage: { estimate: async () => ({ usage: 5, quota: 20 }) } });
    expect(await cache.estimate()).toEqual({ usage: 5, quota: 20, free: 15 });
    expect(await freshCache().estimate()).toBeNull();
  });
});
