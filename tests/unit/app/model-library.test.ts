/**
 * The model library: its pure rules (model-library-state.ts) and ModelLibrary's I/O against a fake
 * worker (plan, import; once the real worker's plan of a manifest), a fake fetch, a Map-backed localStorage and a real EngineSession over a
 * fake engine: bad input gets a message and changes nothing, a package that does not fit is
 * refused before anything is added, the library and the active choice survive a reload, switching
 * loads the chosen model, and removing deletes the model's cached files.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EngineSession } from '../../../src/app/data/engine-session';
import type { HistoryStore } from '../../../src/app/data/history-store';
import { ModelLibrary, type LibraryRemote } from '../../../src/app/data/model-library';
import {
  activeModel, emptyLibrary, madeWithNote, modelFolderUrl, readLibrary, withActive, withAdded, withRemoved, type LibraryEntry,
} from '../../../src/app/data/model-library-state';
import { ModelStorage } from '../../../src/app/data/model-storage';
import type { Engine, ModelInfo, ModelSource } from '../../../src/engine/types';
import type { EnvironmentProbe } from '../../../src/engine/backend';
import { EngineHost, type PackagePlan } from '../../../src/worker/engine-host';

const EMBEDDED: LibraryEntry = { id: 'vidlet-tiny', displayName: 'Vidlet tiny (embedded)', origin: 'embedded', base: 'http://app.test/models/vidlet-tiny/', bytes: 0, addedAt: 0 };
const wan: LibraryEntry = { id: 'wan-small', displayName: 'Wan small', origin: 'url', base: 'https://models.test/wan/', bytes: 5e9, addedAt: 1 };

describe('library rules', () => {
  it('lists the embedded model first and falls back to it as active', () => {
    const s = withAdded(EMBEDDED, emptyLibrary(EMBEDDED), wan);
    expect(activeModel(EMBEDDED, s)).toBe(EMBEDDED);
    expect(activeModel(EMBEDDED, withActive(EMBEDDED, s, 'wan-small'))).toEqual(wan);
    expect(() => withActive(EMBEDDED, s, 'nope')).toThrow(/No installed model is named "nope"/);
  });

  it('refuses a second model of the same name, the embedded one included', () => {
    const s = withAdded(EMBEDDED, emptyLibrary(EMBEDDED), wan);
    expect(() => withAdded(EMBEDDED, s, { ...wan, displayName: 'again' })).toThrow(/"wan-small" is already installed \(Wan small\)/);
    expect(() => withAdded(EMBEDDED, s, { ...wan, id: 'vidlet-tiny' })).toThrow(/already installed/);
  });

  it('removing the active model makes the embedded one active; the embedded one cannot be removed', () => {
    const s = withActive(EMBEDDED, withAdded(EMBEDDED, emptyLibrary(EMBEDDED), wan), 'wan-small');
    expect(withRemoved(EMBEDDED, s, 'wan-small')).toEqual({ added: [], activeId: 'vidlet-tiny' });
    expect(() => withRemoved(EMBEDDED, s, 'vidlet-tiny')).toThrow(/built into Vidlet and cannot be removed/);
  });

  it('reads stored data leniently: bad entries and a dangling active id are dropped', () => {
    expect(readLibrary(EMBEDDED, { added: [wan, { id: 3 }, { ...wan }], activeId: 'wan-small' })).toEqual({ added: [wan], activeId: 'wan-small' });
    expect(readLibrary(EMBEDDED, { added: [], activeId: 'gone' })).toEqual(emptyLibrary(EMBEDDED));
    expect(readLibrary(EMBEDDED, 'garbage')).toEqual(emptyLibrary(EMBEDDED));
  });

  it('turns a typed address into the folder URL, refusing what is not http(s)', () => {
    expect(modelFolderUrl(' https://h.test/m/wan ')).toBe('https://h.test/m/wan/');
    expect(modelFolderUrl('https://h.test/m/wan/manifest.json?x=1#y')).toBe('https://h.test/m/wan/');
    expect(() => modelFolderUrl('wan-1.3b')).toThrow(/"wan-1\.3b" is not a web address/);
    expect(() => modelFolderUrl('file:///home/me/wan/')).toThrow(/file: address; only http\(s\).*Add folder/);
  });

  it('a history entry names its model only when another model is active', () => {
    const installed = [EMBEDDED, wan];
    expect(madeWithNote('vidlet-tiny', EMBEDDED, installed)).toBeUndefined();
    expect(madeWithNote('wan-small', EMBEDDED, installed)).toBe('Made with Wan small');
    expect(madeWithNote('vidlet-tiny', wan, installed)).toBe('Made with Vidlet tiny (embedded)');
    expect(madeWithNote('gone-model', EMBEDDED, installed)).toBe('Made with gone-model (not installed)');
  });
});

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k), clear: () => m.clear(), key: () => null, get length() { return m.size; } };
}

function plan(over: Partial<PackagePlan> = {}): PackagePlan {
  return {
    name: 'wan-small', displayName: 'Wan small', backend: 'webgpu', backendDescription: 'GPU (webgpu)',
    components: [{ name: 'denoiser', variant: 'q4', bytes: 1e9, memoryBytes: 1e9 }, { name: 'textEncoder', variant: 'q4', bytes: 2e9, memoryBytes: 2e9 }],
    downloadBytes: 3e9, listedBytes: 9e9, estimate: { usage: 0, quota: 50e9, free: 50e9 },
    sizes: [{ name: 'wan-small', video: { frames: 33, height: 240, width: 416 } }], ...over,
  };
}

/** fetch answering `routes` (URL → status and body), counting the calls. */
function fakeFetch(routes: Record<string, [number, string]>) {
  const calls: string[] = [];
  const f = (async (url: string) => {
    calls.push(url);
    const r = routes[url];
    if (!r) throw new TypeError('Failed to fetch');
    return new Response(r[1], { status: r[0] });
  }) as unknown as typeof fetch;
  return { f, calls };
}

const remote = (p: PackagePlan | Error): LibraryRemote & { imported: number } => ({
  imported: 0,
  planPackage: async () => {
    if (p instanceof Error) throw p;
    return p;
  },
  async importLocalPackage() {
    this.imported++;
    return { name: 'wan-small', displayName: 'Wan small', base: 'vidlet-local://wan-small/', bytes: 9e9 };
  },
});

describe('ModelLibrary: adding by address', () => {
  const URL_OK = 'https://models.test/wan/manifest.json';

  it('bad input gets a message and changes nothing', async () => {
    const storage = memoryStorage();
    const { f } = fakeFetch({ [URL_OK]: [200, 'not json'], 'https://models.test/none/manifest.json': [404, 'nope'] });
    const lib = new ModelLibrary(EMBEDDED, remote(plan()), storage, f);
    await expect(lib.inspectUrl('not a url')).rejects.toThrow(/is not a web address/);
    await expect(lib.inspectUrl('https://models.test/none/')).rejects.toThrow(/manifest\.json answered HTTP 404: there is no model package there/);
    await expect(lib.inspectUrl('https://models.test/down/')).rejects.toThrow(/Could not reach https:\/\/models\.test\/down\/manifest\.json \(Failed to fetch\)/);
    await expect(lib.inspectUrl('https://models.test/wan/')).rejects.toThrow(/is not JSON/);
    expect(lib.models).toEqual([EMBEDDED]);
    expect(storage.getItem('vidlet.models.v1')).toBeNull();
  });

  it('a manifest the parser rejects is reported with the parser\'s message', async () => {
    const manifestError = Object.assign(new Error('manifest.formatVersion is 9: this Vidlet reads version 1'), { name: 'ManifestError' });
    const { f } = fakeFetch({ [URL_OK]: [200, '{}'] });
    const lib = new ModelLibrary(EMBEDDED, remote(manifestError), memoryStorage(), f);
    await expect(lib.inspectUrl('https://models.test/wan/')).rejects.toThrow('Vidlet cannot use the manifest at https://models.test/wan/manifest.json: manifest.formatVersion is 9');
  });

  it('a package that does not fit is refused with its numbers and cannot be added', async () => {
    const { f } = fakeFetch({ [URL_OK]: [200, '{}'] });
    const lib = new ModelLibrary(EMBEDDED, remote(plan({ estimate: { usage: 48e9, quota: 50e9, free: 2e9 } })), memoryStorage(), f);
    const candidate = await lib.inspectUrl('https://models.test/wan/');
    expect(candidate.storeBytes).toBe(3e9);
    expect(candidate.problems.map((p) => p.kind)).toEqual(['storage']);
    expect(() => lib.addUrl(candidate)).toThrow(/Wan small does not fit this device: It needs 3\.00 GB of storage.*only 2\.00 GB more/);
    expect(lib.models).toEqual([EMBEDDED]);
  });

  it('a package none of whose sizes this GPU can hold one attention step of is refused before download; one size that fits is enough', async () => {
    const { f } = fakeFetch({ [URL_OK]: [200, '{}'] });
    const sizes = [
      { name: 'small', video: { frames: 17, height: 160, width: 288 }, attentionScoresBytes: 3e9 },
      { name: 'medium', video: { frames: 33, height: 240, width: 416 }, attentionScoresBytes: 9e9 },
    ];
    const bufferLimits = { backend: 'webgpu' as const, maxBufferSize: 4e9, maxStorageBufferBindingSize: 1e9 };
    const lib = new ModelLibrary(EMBEDDED, remote(plan({ sizes, bufferLimits })), memoryStorage(), f);
    const candidate = await lib.inspectUrl('https://models.test/wan/');
    expect(candidate.problems.map((p) => p.kind)).toEqual(['attention']);
    expect(() => lib.addUrl(candidate)).toThrow(
      'Wan small does not fit this device: No size it offers fits this device, even with one pass per step (guidance 1): its smallest, small (17 frames of 288×160) ' +
        'needs 1.50 GB in one buffer for one attention step (its scores, 1 pass per step), but this GPU binds at most 1.00 GB of one buffer (maxStorageBufferBindingSize). ' +
        'A GPU that allows larger buffers, or a package converted at smaller sizes, could run it.',
    );
    expect(lib.models).toEqual([EMBEDDED]);
    const fits = new ModelLibrary(EMBEDDED, remote(plan({ sizes, bufferLimits: { ...bufferLimits, maxStorageBufferBindingSize: 1.5e9 } })), memoryStorage(), f);
    expect((await fits.inspectUrl('https://models.test/wan/')).problems).toEqual([]);
  });

  it('a package without presets is judged by its one size’s figure, planned by the worker from its manifest: refused before download when it cannot fit', async () => {
    const manifest = JSON.parse(readFileSync('tests/fixtures/wan-tiny/manifest.json', 'utf8'));
    manifest.video.attentionScoresBytes = 3e9; // 1.5 GB even at one pass
    const { f, calls } = fakeFetch({ [URL_OK]: [200, JSON.stringify(manifest)] });
    const probe = (binding: number) => async (): Promise<EnvironmentProbe> => ({
      webgpu: { vendor: 'nvidia', architecture: 'ada', description: 'GPU', isFallbackAdapter: false, features: [], limits: { maxBufferSize: 4e9, maxStorageBufferBindingSize: binding } },
      wasm: true, hardwareConcurrency: 4, crossOriginIsolated: true, isNode: false,
    });
    const worker = (binding: number) => new EngineHost({} as Engine, undefined, { probe: probe(binding) });
    const lib = new ModelLibrary(EMBEDDED, worker(1e9), memoryStorage(), f);
    const candidate = await lib.inspectUrl('https://models.test/wan/');
    expect(candidate.problems.map((p) => p.kind)).toEqual(['attention']);
    expect(() => lib.addUrl(candidate)).toThrow(
      'Wan tiny fixture (random weights) does not fit this device: No size it offers fits this device, even with one pass per step (guidance 1): its one size, ' +
        'wan-tiny-fixture (9 frames of 32×32) needs 1.50 GB in one buffer for one attention step (its scores, 1 pass per step), but this GPU binds at most 1.00 GB of one buffer ' +
        '(maxStorageBufferBindingSize). A GPU that allows larger buffers, or a package converted at smaller sizes, could run it.',
    );
    expect(calls).toEqual([URL_OK]); // the manifest only: nothing downloaded
    expect(lib.models).toEqual([EMBEDDED]);
    // where one pass fits, it is offered (the page then runs it at guidance 1 or refuses the request with the engine's words)
    expect((await new ModelLibrary(EMBEDDED, worker(1.5e9), memoryStorage(), f).inspectUrl('https://models.test/wan/')).problems).toEqual([]);
  });

  it("plans a package with the user's load options, so a kept text encoder counts whole before the download", async () => {
    const { f } = fakeFetch({ [URL_OK]: [200, '{}'] });
    const seen: unknown[] = [];
    const lib = new ModelLibrary(EMBEDDED, { ...remote(plan()), planPackage: async (_json, options) => (seen.push(options), plan()) }, memoryStorage(), f);
    await lib.inspectUrl('https://models.test/wan/');
    let keep = true;
    lib.planOptions = () => (keep ? { keepTextEncoder: true } : {});
    await lib.inspectUrl('https://models.test/wan/');
    keep = false;
    await lib.inspectUrl('https://models.test/wan/');
    expect(seen).toEqual([{}, { keepTextEncoder: true }, {}]);
  });

  it('a fitting package is added with its download size, and the library and active choice survive a reload', async () => {
    const storage = memoryStorage();
    const { f, calls } = fakeFetch({ [URL_OK]: [200, '{}'] });
    const lib = new ModelLibrary(EMBEDDED, remote(plan()), storage, f);
    const entry = lib.addUrl(await lib.inspectUrl('https://models.test/wan/manifest.json'));
    expect(calls).toEqual([URL_OK]); // the manifest only: no weights before the model is used
    expect(entry).toMatchObject({ id: 'wan-small', displayName: 'Wan small', origin: 'url', base: 'https://models.test/wan/', bytes: 3e9 });
    lib.state.set(withActive(EMBEDDED, lib.state.value, 'wan-small'));

    const reloaded = new ModelLibrary(EMBEDDED, remote(plan()), storage, f);
    expect(reloaded.models.map((e) => e.id)).toEqual(['vidlet-tiny', 'wan-small']);
    expect(reloaded.active.id).toBe('wan-small');
    await expect(reloaded.inspectUrl('https://models.test/wan/').then((c) => reloaded.addUrl(c))).rejects.toThrow(/already installed/);
  });
});

describe('ModelLibrary: what the panel drives (check, addPending, problem)', () => {
  it('offers a checked package, adds it on addPending, and turns a refusal into `problem` without throwing', async () => {
    const { f } = fakeFetch({ 'https://models.test/wan/manifest.json': [200, '{}'] });
    const lib = new ModelLibrary(EMBEDDED, remote(plan()), memoryStorage(), f);
    await lib.check({ url: 'nope' });
    expect(lib.problem.value).toMatch(/"nope" is not a web address/);
    expect(lib.pending.value).toBeUndefined();

    await lib.check({ url: 'https://models.test/wan/' });
    expect(lib.problem.value).toBeUndefined();
    expect(lib.pending.value?.candidate).toMatchObject({ origin: 'url', where: 'https://models.test/wan/', storeBytes: 3e9 });
    await lib.addPending();
    expect(lib.pending.value).toBeUndefined();
    expect(lib.models.map((e) => e.id)).toEqual(['vidlet-tiny', 'wan-small']);

    await lib.check({ url: 'https://models.test/wan/' });
    await lib.addPending();
    expect(lib.problem.value).toMatch(/"wan-small" is already installed/);
    expect(lib.models).toHaveLength(2);
  });
});

describe('ModelLibrary: adding a folder', () => {
  const files = [{ path: 'wan/manifest.json', file: new Blob(['{}']) }, { path: 'wan/denoiser.onnx', file: new Blob(['x']) }];

  it('plans from the folder\'s manifest, stores through the worker, and lists it with the stored bytes', async () => {
    const r = remote(plan());
    const lib = new ModelLibrary(EMBEDDED, r, memoryStorage(), fakeFetch({}).f);
    const candidate = await lib.inspectFolder(files);
    expect(candidate).toMatchObject({ origin: 'local', where: 'wan', storeBytes: 9e9, problems: [] });
    const entry = await lib.addFolder(candidate, files);
    expect(r.imported).toBe(1);
    expect(entry).toMatchObject({ id: 'wan-small', origin: 'local', base: 'vidlet-local://wan-small/', bytes: 9e9 });
  });

  it('refuses a folder without manifest.json, or one that does not fit, before the worker stores anything', async () => {
    const r = remote(plan({ estimate: { usage: 45e9, quota: 50e9, free: 5e9 } }));
    const lib = new ModelLibrary(EMBEDDED, r, memoryStorage(), fakeFetch({}).f);
    await expect(lib.inspectFolder(files.slice(1))).rejects.toThrow(/no manifest\.json at the top of "wan"/);
    const candidate = await lib.inspectFolder(files);
    await expect(lib.addFolder(candidate, files)).rejects.toThrow(/does not fit this device: It needs 9\.00 GB/);
    expect(r.imported).toBe(0);
    expect(lib.models).toEqual([EMBEDDED]);
  });
});

describe('ModelLibrary with an EngineSession: switching and removing', () => {
  function setup() {
    const loads: string[] = [];
    let unloads = 0;
    const deleted: string[] = [];
    const engine = {
      loadModel: async (source: ModelSource) => {
        loads.push(source.base);
        return { name: source.base.includes('wan') ? 'wan-small' : 'vidlet-tiny', displayName: 'x', bytes: 1 } as ModelInfo;
      },
      unload: async () => void unloads++,
      cancel: async () => {},
    } as unknown as Engine;
    const storage = new ModelStorage({ cacheUsage: async () => ({ models: [], estimate: null }), deleteCachedModel: async (n) => void deleted.push(n) }, null);
    const store = memoryStorage();
    const lib = new ModelLibrary(EMBEDDED, remote(plan()), store, fakeFetch({}).f);
    lib.state.set(withAdded(EMBEDDED, lib.state.value, wan));
    const session = new EngineSession(engine, {} as HistoryStore, storage, { source: { base: lib.active.base } });
    return { lib, session, loads, deleted, store, unloads: () => unloads };
  }

  it('switching unloads the current model and loads the chosen one', async () => {
    const { lib, session, loads, unloads } = setup();
    await session.ensureModel();
    await lib.switchTo(session, 'wan-small');
    expect(unloads()).toBe(1);
    expect(loads).toEqual([EMBEDDED.base, wan.base]);
    expect(session.source).toEqual({ base: wan.base });
    expect(session.model.value).toMatchObject({ kind: 'ready', info: { name: 'wan-small' } });
    expect(lib.active.id).toBe('wan-small');
  });

  it('switching is refused while a generation runs, and nothing changes', async () => {
    const { lib, session, loads } = setup();
    session.run.set({ kind: 'starting', settings: {} as never, startedAt: 0 });
    await expect(lib.switchTo(session, 'wan-small')).rejects.toThrow(/A generation is running/);
    expect(loads).toEqual([]);
    expect(lib.active.id).toBe('vidlet-tiny');
  });

  it('removing the active added model switches to the embedded one and deletes its cached files', async () => {
    const { lib, session, deleted, store } = setup();
    await lib.switchTo(session, 'wan-small');
    await lib.remove(session, 'wan-small');
    expect(deleted).toEqual(['wan-small']);
    expect(session.source).toEqual({ base: EMBEDDED.base });
    expect(session.model.value.kind).toBe('idle');
    expect(lib.models).toEqual([EMBEDDED]);
    expect(JSON.parse(store.getItem('vidlet.models.v1')!)).toEqual({ added: [], activeId: 'vidlet-tiny' });
  });
});

describe('EngineSession.switchModel during a download', () => {
  it('stops the running load, then unloads and takes the new source', async () => {
    let release!: () => void;
    const calls: string[] = [];
    const engine = {
      loadModel: (source: ModelSource) => {
        calls.push(`load ${source.base}`);
        return new Promise<ModelInfo>((ok, fail) => {
          release = () => fail(Object.assign(new Error('Download of x was cancelled.'), { name: 'AbortError' }));
        });
      },
      cancel: async () => {
        calls.push('cancel');
        release();
      },
      unload: async () => void calls.push('unload'),
    } as unknown as Engine;
    const storage = new ModelStorage({ cacheUsage: async () => ({ models: [], estimate: null }), deleteCachedModel: async () => {} }, null);
    const session = new EngineSession(engine, {} as HistoryStore, storage, { source: { base: EMBEDDED.base } });
    const first = session.ensureModel().catch(() => 'stopped');
    expect(session.model.value.kind).toBe('loading');
    await session.switchModel({ base: wan.base });
    expect(await first).toBe('stopped');
    expect(calls).toEqual([`load ${EMBEDDED.base}`, 'cancel', 'unload']);
    expect(session.source).toEqual({ base: wan.base });
    expect(session.model.value.kind).toBe('idle');
  });
});
