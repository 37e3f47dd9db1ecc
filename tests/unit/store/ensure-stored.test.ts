/**
 * BrowserModelStore.ensureStored (#13 warm start): a file stored whole in IndexedDB is only looked
 * up — its record and the count of its chunks, no chunk read, no request — and anything less goes
 * through getFile (downloaded or resumed, verified, stored). The bytes are checked when read: a
 * chunk damaged after the file was stored is not seen by ensureStored, but getFile still never
 * returns it (it warns and fetches the file again).
 */
import 'fake-indexeddb/auto';
import { createHash, randomBytes } from 'node:crypto';
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BrowserModelStore } from '../../../src/store/browser-store';
import { ModelCache } from '../../../src/store/cache';
import type { FileProgress, PackageFile } from '../../../src/store/types';
import { startRangeServer, type RangeServer } from './range-server';

const CHUNK = 256 << 10;
const data = new Uint8Array(randomBytes(CHUNK * 3 + 999)); // 4 chunks, the last one short
const file: PackageFile = { path: 'scene_denoiser.onnx', bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
const manifest = { format: 'vidlet-model', formatVersion: 1, name: 'tiny-test' };
const chunkKey = (i: number) => `chunk:tiny-test/${file.path}@${file.sha256}#${String(i).padStart(5, '0')}`;

let dbN = 0;
/** A store over its own database, counting the chunks IndexedDB hands out (every value read by key). */
function setup() {
  const dbName = `ensure-stored-${dbN++}`;
  const real = createStore(dbName, 'files');
  const chunkReads: string[] = [];
  const counting: UseStore = (mode, cb) =>
    real(mode, (s) =>
      cb(new Proxy(s, {
        get(target, prop) {
          if (prop === 'get') return (key: IDBValidKey) => (typeof key === 'string' && key.startsWith('chunk:') && chunkReads.push(key), target.get(key));
          const v = Reflect.get(target, prop, target);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      })),
    );
  const cache = new ModelCache({ useStore: counting, chunkBytes: CHUNK, storage: null });
  const warnings: string[] = [];
  const store = new BrowserModelStore({ cache, retries: 0, backoffBaseMs: 5, backoffMaxMs: 10, onWarning: (w) => warnings.push(w) });
  return { store, cache, raw: real, chunkReads, warnings };
}

describe('BrowserModelStore.ensureStored', () => {
  let srv: RangeServer;
  let base: string;
  beforeAll(async () => {
    srv = await startRangeServer({ 'm/manifest.json': new TextEncoder().encode(JSON.stringify(manifest)), 'm/scene_denoiser.onnx': data });
    base = srv.url('m/');
  });
  afterAll(() => srv.close());
  beforeEach(() => void (srv.requests.length = 0));
  const fileRequests = () => srv.requests.filter((r) => r.path === 'm/scene_denoiser.onnx');

  it('downloads and verifies a file not stored; once stored whole, reads no chunk and asks the network nothing', async () => {
    const { store, cache, chunkReads } = setup();
    await store.ensureStored(base, file);
    expect(fileRequests()).toHaveLength(1);
    expect(await cache.getRecord('tiny-test', file)).toMatchObject({ complete: true, chunks: 4 });

    chunkReads.length = 0;
    const seen: FileProgress[] = [];
    await store.ensureStored(base, file, (p) => seen.push(p));
    expect(chunkReads).toEqual([]);
    expect(fileRequests()).toHaveLength(1);
    expect(seen).toEqual([{ path: file.path, loadedBytes: data.length, totalBytes: data.length, fromCache: true }]);

    // getFile, by contrast, reads every chunk (and re-hashes them)
    expect(Buffer.from(await store.getFile(base, file)).equals(Buffer.from(data))).toBe(true);
    expect(chunkReads).toHaveLength(4);
  });

  it('a chunk damaged after storing: ensureStored does not read it; the getFile that reads it refuses it and fetches the file again', async () => {
    const { store, raw, warnings } = setup();
    await store.ensureStored(base, file);
    const chunk = (await get<Uint8Array>(chunkKey(1), raw))!;
    chunk[3] ^= 0xff; // same length: only the hash can tell
    await set(chunkKey(1), chunk, raw);

    await store.ensureStored(base, file);
    expect(fileRequests()).toHaveLength(1);
    expect(warnings).toEqual([]);
    const out = await store.getFile(base, file);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    expect(warnings.join('\n')).toMatch(/The cached copy of scene_denoiser\.onnx is corrupt .*sha256 is [0-9a-f]{64}, but the manifest lists [0-9a-f]{64}.*downloading it again/);
    expect(fileRequests()).toHaveLength(2);
  });

  it('a record that claims the file whole but lost a chunk, or a partial download: fetched, from the bytes held', async () => {
    const { store, cache, raw } = setup();
    await store.ensureStored(base, file);
    await del(chunkKey(2), raw);
    await store.ensureStored(base, file);
    expect(fileRequests().map((r) => r.range)).toEqual([undefined, `bytes=${2 * CHUNK}-`]);
    expect(await cache.getRecord('tiny-test', file)).toMatchObject({ complete: true, chunks: 4 });
    expect(Buffer.from(await store.getFile(base, file)).equals(Buffer.from(data))).toBe(true);
  });

  it('without a usable IndexedDB nothing can be kept, so nothing is fetched; getFile downloads it when it is read', async () => {
    const broken: UseStore = () => Promise.reject(new DOMException('IndexedDB is unavailable here', 'InvalidStateError'));
    const warnings: string[] = [];
    const store = new BrowserModelStore({ cache: new ModelCache({ useStore: broken, chunkBytes: CHUNK, storage: null }), retries: 0, onWarning: (w) => warnings.push(w) });
    await store.readManifest(base);
    // The first getFile finds the cache unusable (and says so) …
    expect(Buffer.from(await store.getFile(base, file)).equals(Buffer.from(data))).toBe(true);
    expect(warnings.join('\n')).toMatch(/browser cache cannot be used/);
    // … after which ensureStored fetches nothing.
    await store.ensureStored(base, file);
    expect(fileRequests()).toHaveLength(1);
  });
});
