/**
 * AdapterLibrary + AdapterStore: dropped files are paired, validated by the engine's own adapter
 * loader (a fake engine that calls loadAdapter on a small model), kept in IndexedDB
 * (fake-indexeddb) and added again after every model load; bad input costs only itself, and a
 * full disk keeps the adapter for the visit and says so.
 */
import 'fake-indexeddb/auto';
import { createStore, type UseStore } from 'idb-keyval';
import { beforeEach, describe, expect, it } from 'vitest';
import { AdapterLibrary, isAdapterFileName } from '../../../src/app/data/adapter-library';
import { AdapterStorageFullError, AdapterStore } from '../../../src/app/data/adapter-store';
import { toUserError } from '../../../src/app/data/user-error';
import { adapterInfo } from '../../../src/engine/adapter-choice';
import { loadAdapter } from '../../../src/engine/adapters/adapter';
import type { AdapterInfo, ModelInfo } from '../../../src/engine/types';
import { makeAdapter } from '../../integration/helpers/adapter-fixture';

const lora = { slots: ['identity', 'motion'], depth: 2, targets: ['attn.q', 'attn.k', 'attn.v', 'attn.o'], rank: 4, width: 8 };
const MODEL = 'vidlet-fixture';

/** The engine side of addAdapter on a small model, with its real validation. */
class FakeEngine {
  added: string[] = [];
  model = MODEL;
  async addAdapter(weights: Uint8Array, description: unknown, source?: string): Promise<AdapterInfo> {
    const a = loadAdapter({ weights, description, source }, { name: this.model, lora });
    this.added.push(a.description.name);
    return adapterInfo(a.description, a.noDescription);
  }
}

const info = (extra: Partial<ModelInfo> = {}) =>
  ({ adapters: [{ name: 'shipped-one', kind: 'style', triggerWords: [], recommendedStrength: 1 }], lora: { slots: lora.slots, depth: 2 }, ...extra }) as ModelInfo;

function files(name: string, kind: string, seed: number, opts: { width?: number; baseModel?: string; triggerWords?: string[] } = {}) {
  const a = makeAdapter(name, kind, opts.baseModel ?? MODEL, { ...lora, width: opts.width ?? lora.width }, seed);
  const description = { ...a.description, triggerWords: opts.triggerWords ?? [name] };
  return [
    { name: `${name}.safetensors`, bytes: a.weights },
    { name: `${name}.json`, bytes: new TextEncoder().encode(JSON.stringify(description)) },
  ];
}

let db: UseStore;
let n = 0;
beforeEach(() => {
  db = createStore(`vidlet-adapters-test-${n++}`, 'adapters');
});

describe('AdapterLibrary', () => {
  it('adds, stores and lists dropped adapters; a reload lists them before the model and re-adds them after it', async () => {
    const engine = new FakeEngine();
    const lib = new AdapterLibrary(engine, new AdapterStore(db));
    let loads = 0;
    const ensure = async () => {
      if (loads++ === 0) await lib.attach(info());
    };
    const report = await lib.addFiles([...files('pip', 'identity', 1), ...files('wave', 'motion', 2)], ensure);
    expect(report.errors).toEqual([]);
    expect(report.added).toEqual(['pip', 'wave']);
    expect(lib.state.value.added.map((a) => [a.info.name, a.info.kind, a.stored])).toEqual([['pip', 'identity', true], ['wave', 'motion', true]]);
    expect(lib.available().map((a) => a.name)).toEqual(['shipped-one', 'pip', 'wave']);

    // A new page: the same database, a fresh engine.
    const engine2 = new FakeEngine();
    const lib2 = new AdapterLibrary(engine2, new AdapterStore(db));
    await lib2.loadStored();
    expect(lib2.state.value.added.map((a) => a.info.name)).toEqual(['pip', 'wave']);
    expect(lib2.state.value.added[0]!.info.triggerWords).toEqual(['pip']);
    expect(engine2.added).toEqual([]);
    await lib2.attach(info());
    expect(engine2.added).toEqual(['pip', 'wave']);
    expect(lib2.state.value.shipped.map((a) => a.name)).toEqual(['shipped-one']);
    expect(lib2.state.value.lora).toEqual({ slots: lora.slots, depth: 2 });

    // Deleting forgets it for good.
    await lib2.remove('pip');
    const lib3 = new AdapterLibrary(new FakeEngine(), new AdapterStore(db));
    await lib3.loadStored();
    expect(lib3.state.value.added.map((a) => a.info.name)).toEqual(['wave']);
  });

  it('bad input gets a message naming the problem and costs only itself', async () => {
    const lib = new AdapterLibrary(new FakeEngine(), new AdapterStore(db));
    const ensure = () => lib.attach(info());
    await lib.addFiles(files('keep', 'style', 5), ensure);

    const wrongShapes = files('wide', 'style', 3, { width: 16 });
    const otherModel = files('alien', 'style', 4, { baseModel: 'another-model' });
    const garbage = [{ name: 'junk.safetensors', bytes: new Uint8Array([1, 2, 3]) }, files('junk', 'style', 6)[1]!];
    const lonelyWeights = [files('solo', 'style', 7)[0]!];
    const lonelyJson = [files('orphan', 'style', 8)[1]!];
    const shippedName = files('shipped-one', 'style', 9);
    const report = await lib.addFiles([...wrongShapes, ...otherModel, ...garbage, ...lonelyWeights, ...lonelyJson, ...shippedName, ...files('good', 'motion', 10)], ensure);

    // A lone .safetensors is an adapter without a description (its own test below).
    expect(report.added).toEqual(['solo', 'good']);
    const byName = report.errors.map((e) => `${e.name}: ${e.message}`);
    expect(byName).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AdapterError: .*blocks\.0\.attn\.q\.lora_A\.weight.*\[4,16\].*8/),
        expect.stringMatching(/^AdapterError: .*another-model/),
        expect.stringMatching(/^SafetensorsError: /),
        expect.stringMatching(/^AdapterFilesError: orphan\.json has no orphan\.safetensors/),
        expect.stringMatching(/^AdapterFilesError: .*already ships an adapter named "shipped-one"/),
      ]),
    );
    expect(report.errors).toHaveLength(5);
    // The page's banner text for the wrong-shape one carries the engine's message.
    const shown = toUserError(report.errors.find((e) => e.name === 'AdapterError'));
    expect(shown.title).toBe('This adapter cannot be used with this model');
    expect(shown.detail).toMatch(/blocks\.0\.attn\.q\.lora_A\.weight/);
    // Nothing else was lost.
    expect(lib.state.value.added.map((a) => a.info.name)).toEqual(['keep', 'solo', 'good']);
    const again = new AdapterLibrary(new FakeEngine(), new AdapterStore(db));
    await again.loadStored();
    // Listed by time added; those added within one millisecond come in key order, so compare as a set.
    expect(again.state.value.added.map((a) => a.info.name).sort()).toEqual(['good', 'keep', 'solo']);
  });

  it('a .safetensors without a .json is added, named after the file, kept, and listed as having no description', async () => {
    const lib = new AdapterLibrary(new FakeEngine(), new AdapterStore(db));
    const weights = files('x', 'style', 11)[0]!.bytes;
    const report = await lib.addFiles([{ name: 'My_LoRA v2.safetensors', bytes: weights }], () => lib.attach(info()));
    expect(report).toEqual({ added: ['my-lora-v2'], errors: [] });
    const expected = { name: 'my-lora-v2', kind: 'style', triggerWords: [], recommendedStrength: 1, displayName: 'My_LoRA v2', noDescription: true };
    expect(lib.state.value.added.map((a) => a.info)).toEqual([expected]);
    // Listed the same way from storage before any model loads, and added again after one.
    const engine2 = new FakeEngine();
    const lib2 = new AdapterLibrary(engine2, new AdapterStore(db));
    await lib2.loadStored();
    expect(lib2.state.value.added.map((a) => a.info)).toEqual([expected]);
    await lib2.attach(info());
    expect(engine2.added).toEqual(['my-lora-v2']);
    expect(lib2.state.value.added.map((a) => [a.info, a.problem])).toEqual([[expected, undefined]]);
    // Named like a shipped adapter: refused before the engine sees it, saying to rename the file.
    const clash = await lib2.addFiles([{ name: 'Shipped One.safetensors', bytes: weights }], () => Promise.resolve());
    expect(clash.errors.map((e) => e.message)).toEqual(['Shipped One.safetensors: the model already ships an adapter named "shipped-one"; rename the file.']);
  });

  it('a full disk: a clear AdapterStorageFullError, the adapter works this visit, nothing stored or lost', async () => {
    const real = new AdapterStore(db);
    const lib0 = new AdapterLibrary(new FakeEngine(), real);
    await lib0.addFiles(files('old', 'style', 1), () => lib0.attach(info()));
    // A store whose writes fail as Chromium's do when the quota is exhausted.
    const full: UseStore = (mode, callback) => (mode === 'readwrite' ? Promise.reject(new DOMException('Quota exceeded.', 'QuotaExceededError')) : db(mode, callback));
    const engine = new FakeEngine();
    const lib = new AdapterLibrary(engine, new AdapterStore(full));
    const report = await lib.addFiles(files('big', 'identity', 2), () => lib.attach(info()));
    expect(report.added).toEqual(['big']);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toBeInstanceOf(AdapterStorageFullError);
    expect(report.errors[0]!.message).toMatch(/"big" .* could not be kept on this device: the browser says its storage is full.*works until you reload/);
    expect(toUserError(report.errors[0]).title).toBe('Not enough storage to keep the adapter');
    expect(lib.state.value.added.map((a) => [a.info.name, a.stored])).toEqual([['old', true], ['big', false]]);
    expect(engine.added).toContain('big');
    // The earlier adapter is still stored; the new one is not.
    const again = new AdapterLibrary(new FakeEngine(), real);
    await again.loadStored();
    expect(again.state.value.added.map((a) => a.info.name)).toEqual(['old']);
  });

  it('an adapter the newly loaded model refuses stays stored and shows why', async () => {
    const engine = new FakeEngine();
    const lib = new AdapterLibrary(engine, new AdapterStore(db));
    await lib.addFiles(files('pip', 'identity', 1), () => lib.attach(info()));
    engine.model = 'another-model';
    await lib.attach(info());
    expect(lib.state.value.added[0]!.problem).toMatch(/vidlet-fixture/);
    expect(lib.available().map((a) => a.name)).toEqual(['shipped-one']);
    const again = new AdapterLibrary(new FakeEngine(), new AdapterStore(db));
    await again.loadStored();
    expect(again.state.value.added.map((a) => a.info.name)).toEqual(['pip']);
  });

  it('routes .safetensors and .json drops to adapters, everything else to settings restore', () => {
    expect(['a.safetensors', 'A.JSON', 'x.blender.json'].every(isAdapterFileName)).toBe(true);
    expect(['clip.mp4', 'clip.webm', 'a.gif', 'frames.zip'].some(isAdapterFileName)).toBe(false);
  });
});
