import 'fake-indexeddb/auto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createStore, get, set, type UseStore } from 'idb-keyval';
import { BrowserModelStore, resolveUrl } from '../../../src/store/browser-store';
import { ModelCache } from '../../../src/store/cache';
import { DownloadAbortedError, FileUnavailableError, IntegrityError, StorageFullError } from '../../../src/store/errors';
import type { FileProgress, PackageFile } from '../../../src/store/types';
import { startRangeServer, type RangeServer } from './range-server';

const CHUNK = 256 << 10;
const data = new Uint8Array(randomBytes(CHUNK * 4 + 12345)); // 5 chunks, the last one short
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const file: PackageFile = { path: 'denoiser.onnx', bytes: data.length, sha256: sha(data) };
const manifest = { format: 'vidlet-model', formatVersion: 1, name: 'tiny-test' };
const fast = { retries: 0, backoffBaseMs: 5, backoffMaxMs: 10 };

let dbN = 0;
function setup(extra: Partial<ConstructorParameters<typeof BrowserModelStore>[0]> = {}) {
  const dbName = `browser-store-${dbN++}`;
  const cache = new ModelCache({ dbName, chunkBytes: CHUNK, storage: null });
  const warnings: string[] = [];
  const store = new BrowserModelStore({ cache, ...fast, onWarning: (w) => warnings.push(w), ...extra });
  return { store, cache, dbName, warnings };
}

describe('BrowserModelStore', () => {
  let srv: RangeServer;
  let base: string;
  beforeAll(async () => {
    srv = await startRangeServer({
      'm/manifest.json': new TextEncoder().encode(JSON.stringify(manifest)),
      'm/tokenizer.json': new TextEncoder().encode('{"tok":true}'),
      'm/denoiser.onnx': data,
    });
    base = srv.url('m/');
  });
  afterAll(() => srv.close());
  beforeEach(() => {
    srv.requests.length = 0;
    srv.behaviour = {};
  });
  const fileRequests = () => srv.requests.filter((r) => r.path === 'm/denoiser.onnx');

  it('downloads, verifies and caches; the next load comes from the cache', async () => {
    const { store } = setup();
    const first: FileProgress[] = [];
    const out = await store.getFile(base, file, (p) => first.push(p));
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    expect(first.every((p) => !p.fromCache)).toBe(true);
    expect(first.at(-1)).toMatchObject({ loadedBytes: data.length, totalBytes: data.length });
    expect(first.some((p) => typeof p.bytesPerSecond === 'number')).toBe(true);
    expect(fileRequests()).toHaveLength(1);

    const second: FileProgress[] = [];
    const again = await store.getFile(base, file, (p) => second.push(p));
    expect(Buffer.from(again).equals(Buffer.from(data))).toBe(true);
    expect(second).toEqual([{ path: file.path, loadedBytes: data.length, totalBytes: data.length, fromCache: true }]);
    expect(fileRequests()).toHaveLength(1); // no second network request
  });

  it('never returns a corrupt cached copy: it is deleted and fetched again', async () => {
    const { store, dbName, warnings } = setup();
    await store.getFile(base, file);
    const key = `chunk:tiny-test/${file.path}@${file.sha256}#00002`;
    const raw = createStore(dbName, 'files');
    const chunk = (await get<Uint8Array>(key, raw))!;
    chunk[7] ^= 0xff; // same length, different bytes: only the hash can tell
    await set(key, chunk, raw);

    const progress: FileProgress[] = [];
    const out = await store.getFile(base, file, (p) => progress.push(p));
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    expect(warnings.join('\n')).toMatch(/cached copy of denoiser\.onnx is corrupt/);
    expect(fileRequests()).toHaveLength(2);
    expect(progress.at(-1)).toMatchObject({ fromCache: false, loadedBytes: data.length });
    expect((await get<Uint8Array>(key, raw))![7]).toBe(data[2 * CHUNK + 7]); // the good copy replaced it
  });

  it('resumes an interrupted download from the stored chunks with a Range request', async () => {
    const { store, cache } = setup();
    let cut = false;
    srv.behaviour = { cutAfter: (_i, path) => (path === 'm/denoiser.onnx' && !cut ? ((cut = true), CHUNK * 2 + 100) : undefined) };
    // retries: 0, so the cut ends this "page visit" with an error
    const err = await store.getFile(base, file).catch((e) => e);
    expect(err).toBeInstanceOf(FileUnavailableError);
    expect(await cache.getRecord('tiny-test', file)).toMatchObject({ chunks: 2, complete: false });

    const seen: FileProgress[] = [];
    const out = await store.getFile(base, file, (p) => seen.push(p)); // the "reload"
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    expect(fileRequests().map((r) => r.range)).toEqual([undefined, `bytes=${CHUNK * 2}-`]);
    expect(seen[0].loadedBytes).toBe(CHUNK * 2);
    expect(await cache.getRecord('tiny-test', file)).toMatchObject({ chunks: 5, complete: true });
  });

  it('drops a resumed prefix that fails verification and downloads from byte 0 once', async () => {
    const { store, cache, warnings } = setup();
    // a stored partial download whose first chunk is damaged
    const bad = data.slice(0, CHUNK);
    bad[0] ^= 1;
    const w = cache.openWriter('tiny-test', file, new Uint8Array(data.length), 0);
    await store.readManifest(base);
    await w.write(bad);
    const out = await store.getFile(base, file);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    expect(fileRequests().map((r) => r.range)).toEqual([`bytes=${CHUNK}-`, undefined]);
    expect(warnings.join('\n')).toMatch(/did not verify after resuming/);
  });

  it('refuses a file the server serves with the wrong content, and caches nothing complete', async () => {
    const { store, cache } = setup();
    const wrong = { ...file, sha256: '0'.repeat(64) };
    const err = await store.getFile(base, wrong).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toContain(sha(data));
    expect(await cache.getRecord('tiny-test', wrong)).toBeUndefined();
  });

  it('loads manifest, tokenizer and files from IndexedDB when the network is gone', async () => {
    const { cache } = setup();
    const online = new BrowserModelStore({ cache, ...fast });
    expect(await online.readManifest(base)).toEqual(manifest);
    expect(await online.readText(base, 'tokenizer.json')).toBe('{"tok":true}');
    await online.getFile(base, file);

    const offlineFetch = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    const warnings: string[] = [];
    const offline = new BrowserModelStore({ cache, fetch: offlineFetch, ...fast, onWarning: (w) => warnings.push(w) });
    expect(await offline.readManifest(base)).toEqual(manifest);
    expect(warnings[0]).toMatch(/Could not reach .*manifest\.json \(Failed to fetch\); using the copy saved/);
    expect(await offline.readText(base, 'tokenizer.json')).toBe('{"tok":true}');
    const out = await offline.getFile(base, file);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
  });

  it('says what to do when offline with nothing cached', async () => {
    const { cache } = setup();
    const offline = new BrowserModelStore({ cache, fetch: (async () => { throw new TypeError('Failed to fetch'); }) as typeof fetch });
    await expect(offline.readManifest(base)).rejects.toThrow(/Failed to fetch, and no copy is saved in this browser/);
  });

  it('shares one download between concurrent calls for the same file', async () => {
    const { store } = setup();
    const [a, b] = await Promise.all([store.getFile(base, file), store.getFile(base, file)]);
    expect(a).toBe(b);
    expect(fileRequests()).toHaveLength(1);
  });

  it('aborts through the AbortSignal', async () => {
    const ctl = new AbortController();
    const { store } = setup({ signal: ctl.signal });
    ctl.abort();
    await expect(store.getFile(base, file)).rejects.toBeInstanceOf(DownloadAbortedError);
    // a per-load view: aborting it leaves the original store usable
    const { store: plain } = setup();
    const ctl2 = new AbortController();
    const view = plain.withSignal(ctl2.signal);
    const pending = view.getFile(base, file, () => ctl2.abort());
    await expect(pending).rejects.toBeInstanceOf(DownloadAbortedError);
    expect((await plain.getFile(base, file)).length).toBe(data.length);
  });

  it('refuses to start a download the browser has no room for', async () => {
    const cache = new ModelCache({
      dbName: `browser-store-${dbN++}`, chunkBytes: CHUNK,
      storage: { estimate: async () => ({ usage: 1000, quota: 1000 + CHUNK }) }, // room for one chunk
    });
    const store = new BrowserModelStore({ cache, ...fast });
    const err = await store.getFile(base, file).catch((e) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(err.neededBytes).toBe(data.length);
    expect(err.freeBytes).toBe(CHUNK);
    expect(fileRequests()).toHaveLength(0); // failed before downloading anything
  });

  it('works without IndexedDB (Node CLI given a URL): downloads and verifies every time', async () => {
    const noIdb = (() => {
      throw new ReferenceError('indexedDB is not defined');
    }) as UseStore;
    const warnings: string[] = [];
    const store = new BrowserModelStore({ cache: new ModelCache({ useStore: noIdb, storage: null }), ...fast, onWarning: (w) => warnings.push(w) });
    expect(await store.readManifest(base)).toEqual(manifest);
    const out = await store.getFile(base, file);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    expect(warnings.join('\n')).toMatch(/browser cache cannot be used/);
    await expect(store.getFile(base, { ...file, sha256: '0'.repeat(64) })).rejects.toBeInstanceOf(IntegrityError);
  });

  it('treats a base with and without the trailing slash as the same model folder', async () => {
    const { cache } = setup();
    await new BrowserModelStore({ cache, ...fast }).readManifest(base.slice(0, -1));
    const offline = new BrowserModelStore({ cache, fetch: (async () => { throw new TypeError('Failed to fetch'); }) as typeof fetch });
    expect(await offline.readManifest(base)).toEqual(manifest);
    await expect(offline.readManifest('/models/relative/')).rejects.toThrow(/must be absolute/);
  });

  it('resolves file URLs under the base and refuses paths that leave it', () => {
    expect(resolveUrl('http://h/models/tiny', 'a/b.onnx')).toBe('http://h/models/tiny/a/b.onnx');
    expect(() => resolveUrl('http://h/models/tiny/', '../x')).toThrow(/leaves the model folder/);
    expect(() => resolveUrl('http://h/models/tiny/', 'https://evil/x')).toThrow(/URL/);
  });
});
