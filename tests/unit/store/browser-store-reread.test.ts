/**
 * BrowserModelStore.getFile with `verify: 'if-changed'` (ReadOptions, src/store/types.ts): a
 * complete cached copy the store hashed before is read again (every chunk) without a second hash
 * while its record is the one it hashed it under; a copy written since — deleted and fetched again
 * by another tab, say — is hashed again, and a plain getFile hashes as always. Hashes are counted
 * as the store's sha256 measures (src/store/load-marks.ts).
 */
import 'fake-indexeddb/auto';
import { createHash, randomBytes } from 'node:crypto';
import { createStore, get, set } from 'idb-keyval';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserModelStore } from '../../../src/store/browser-store';
import { ModelCache } from '../../../src/store/cache';
import { clearLoadMeasures, LOAD_MEASURES, loadMeasures } from '../../../src/store/load-marks';
import type { PackageFile } from '../../../src/store/types';
import { startRangeServer, type RangeServer } from './range-server';

const CHUNK = 256 << 10;
const data = new Uint8Array(randomBytes(CHUNK * 2 + 777));
const file: PackageFile = { path: 'text_encoder.part1.onnx.data', bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
const manifest = { format: 'vidlet-model', formatVersion: 1, name: 'tiny-test' };
const again = { verify: 'if-changed' } as const;

let dbN = 0;
function setup() {
  const dbName = `reread-${dbN++}`;
  const store = () => new BrowserModelStore({ cache: new ModelCache({ dbName, chunkBytes: CHUNK, storage: null }), retries: 0, backoffBaseMs: 5, backoffMaxMs: 10 });
  return { dbName, store };
}

describe("BrowserModelStore: verify 'if-changed'", () => {
  let srv: RangeServer;
  let base: string;
  beforeAll(async () => {
    srv = await startRangeServer({ 'm/manifest.json': new TextEncoder().encode(JSON.stringify(manifest)), [`m/${file.path}`]: data });
    base = srv.url('m/');
  });
  afterAll(() => srv.close());

  /** The bytes (checked against the file) and how many sha256 checks the read made. */
  const read = async (store: BrowserModelStore, options?: { verify: 'always' | 'if-changed' }) => {
    clearLoadMeasures();
    const out = await store.getFile(base, file, undefined, options);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    return loadMeasures().filter((e) => e.name === LOAD_MEASURES.sha256).length;
  };

  it('hashes the download and the first read from the cache, not the reads after it; a plain read hashes', async () => {
    const { store } = setup();
    const s = store();
    expect(await read(s, again)).toBe(1); // downloaded
    expect(await read(s, again)).toBe(1); // first read of the stored copy
    expect(await read(s, again)).toBe(0);
    expect(await read(s, again)).toBe(0);
    expect(await read(s)).toBe(1);
    expect(await read(store(), again)).toBe(1); // another store (another page load) hashes its first read
  });

  it("what a load's view hashed counts for the store it came from", async () => {
    const { store } = setup();
    const s = store();
    await read(s);
    expect(await read(s.withSignal(new AbortController().signal))).toBe(1);
    expect(await read(s, again)).toBe(0);
  });

  it('a copy written again since (deleted and fetched by another tab) is hashed again', async () => {
    const { store } = setup();
    const s = store();
    await read(s);
    await read(s);
    expect(await read(s, again)).toBe(0);
    const other = store();
    await other.cache.deleteFile('tiny-test', file);
    await new Promise((r) => setTimeout(r, 2)); // a new record is written at least a millisecond later
    await read(other);
    expect(await read(s, again)).toBe(1);
    expect(await read(s, again)).toBe(0);
  });

  it('a damaged chunk is still caught by a plain read, which fetches the file again; the new copy is hashed on its next read', async () => {
    const { store, dbName } = setup();
    const s = store();
    await read(s);
    await read(s);
    const key = `chunk:tiny-test/${file.path}@${file.sha256}#00001`;
    const raw = createStore(dbName, 'files');
    const chunk = (await get<Uint8Array>(key, raw))!;
    chunk[5] ^= 0xff;
    await set(key, chunk, raw);
    expect(await read(s)).toBe(2); // the damaged copy, then the one fetched again
    expect(await read(s, again)).toBe(1);
    expect(await read(s, again)).toBe(0);
  });
});
