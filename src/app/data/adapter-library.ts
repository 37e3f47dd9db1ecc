/**
 * The page's adapters: the ones the model ships (from ModelInfo) and the ones the user dropped
 * (kept in IndexedDB by AdapterStore and added to the engine again after every model load).
 * Components read `state`; the app calls addFiles / remove and gives `attach` to the engine
 * session, which runs it inside each model load (before the model is reported ready, so a
 * Generate right after a load already finds the user's adapters).
 */
import { adapterNameFromFile, descriptionFromFile, parseAdapterDescription } from '../../engine/adapters/description';
import { pairDroppedFiles, type DroppedFile } from '../../engine/adapters/dropped-files';
import type { AdapterInfo, BlenderInfo, Engine, ModelInfo } from '../../engine/types';
import { AdapterStorageFullError, type AdapterStore, type StoredAdapter } from './adapter-store';
import { Observable } from './observable';

export interface AddedAdapter {
  info: AdapterInfo;
  /** The weights file it came from. */
  source: string;
  /** False when it could not be kept in IndexedDB (it works until the page reloads). */
  stored: boolean;
  /** Why the loaded model refused it (e.g. it was made for another model); it stays stored. */
  problem?: string;
}

export interface AdapterLibraryState {
  shipped: AdapterInfo[];
  added: AddedAdapter[];
  blender?: BlenderInfo;
  blenderProblem?: string;
  /** The loaded model's LoRA layout; undefined until a model is loaded. */
  lora?: ModelInfo['lora'];
}

/** Dropped files that do not make an adapter (a lone .json, a name clash…). */
export class AdapterFilesError extends Error {
  override name = 'AdapterFilesError';
}

export interface AddReport {
  /** Names added (stored or, if storage failed, for this visit). */
  added: string[];
  /** One error per file or adapter that could not be used or kept; the rest were added. */
  errors: Error[];
}

type AdapterEngine = Pick<Engine, 'addAdapter'>;

/** Dropped files that go to the adapter path rather than the settings-restore path. */
export function isAdapterFileName(name: string): boolean {
  return /\.(safetensors|json)$/i.test(name);
}

export class AdapterLibrary {
  readonly state = new Observable<AdapterLibraryState>({ shipped: [], added: [] });
  readonly #store: AdapterStore;
  readonly #engine: AdapterEngine;
  /** Dropped adapters this visit, stored or not, by name (what attach re-adds). */
  readonly #kept = new Map<string, StoredAdapter>();
  #stored?: Promise<void>;

  constructor(engine: AdapterEngine, store: AdapterStore) {
    this.#engine = engine;
    this.#store = store;
  }

  /** Reads the stored adapters so they are listed before any model loads (no engine needed). */
  loadStored(): Promise<void> {
    this.#stored ??= (async () => {
      const list = await this.#store.list();
      for (const s of list) this.#kept.set(s.name, s);
      this.state.update((st) => ({ ...st, added: list.map((s) => listed(s, true)) }));
    })();
    return this.#stored;
  }

  /**
   * After a model load: lists what it ships and adds every dropped adapter to the engine again.
   * One the model refuses keeps its files and shows why; it never fails the load.
   */
  async attach(info: ModelInfo): Promise<void> {
    await this.loadStored().catch(() => {}); // an unreadable database lists nothing, the model still loads
    const added: AddedAdapter[] = [];
    for (const s of this.#kept.values()) {
      const before = this.state.value.added.find((a) => a.info.name === s.name);
      const stored = before?.stored ?? true;
      try {
        added.push({ info: await this.#add(s), source: s.source, stored });
      } catch (error) {
        added.push({ ...listed(s, stored), problem: (error as Error).message });
      }
    }
    this.state.set({
      shipped: info.adapters,
      added,
      ...(info.blender ? { blender: info.blender } : {}),
      ...(info.blenderProblem ? { blenderProblem: info.blenderProblem } : {}),
      lora: info.lora,
    });
  }

  /**
   * Dropped files → adapters: pairs X.safetensors with X.json (a lone X.safetensors is an adapter
   * without a description, named after the file), has the engine validate each (it needs the
   * model, so `ensureModel` runs first), then stores it. A bad file costs only itself.
   */
  async addFiles(files: readonly DroppedFile[], ensureModel: () => Promise<unknown>): Promise<AddReport> {
    const paired = pairDroppedFiles(files);
    const report: AddReport = { added: [], errors: paired.problems.map((p) => new AdapterFilesError(p)) };
    for (const b of paired.blenders) {
      report.errors.push(new AdapterFilesError(`${b.source} is a StageBlender table; those come with the model package and cannot be dropped.`));
    }
    if (paired.adapters.length === 0) return report;
    await ensureModel();
    for (const input of paired.adapters) {
      const source = input.source ?? 'adapter';
      const name = input.description === undefined ? adapterNameFromFile(source) : (input.description as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && this.state.value.shipped.some((a) => a.name === name)) {
        const rename = input.description === undefined ? 'rename the file' : 'give yours another name in its .json';
        report.errors.push(new AdapterFilesError(`${source}: the model already ships an adapter named "${name}"; ${rename}.`));
        continue;
      }
      const record: StoredAdapter = { name: '', source, weights: input.weights, description: input.description, addedAt: Date.now() };
      let info: AdapterInfo;
      try {
        info = await this.#add(record);
      } catch (error) {
        report.errors.push(error as Error);
        continue;
      }
      record.name = info.name;
      this.#kept.set(info.name, record);
      let stored = true;
      try {
        await this.#store.put(record);
      } catch (error) {
        stored = false;
        report.errors.push(error instanceof AdapterStorageFullError ? error : new Error(`Adapter "${info.name}" could not be kept on this device (${(error as Error).message}); it works until you reload.`));
      }
      this.state.update((st) => ({
        ...st,
        added: [...st.added.filter((a) => a.info.name !== info.name), { info, source, stored }],
      }));
      report.added.push(info.name);
    }
    return report;
  }

  /** Forgets a dropped adapter (IndexedDB and list). The engine keeps it until the next model load. */
  async remove(name: string): Promise<void> {
    await this.#store.remove(name);
    this.#kept.delete(name);
    this.state.update((st) => ({ ...st, added: st.added.filter((a) => a.info.name !== name) }));
  }

  /** Every adapter a request may name (shipped and added without a problem). */
  available(): AdapterInfo[] {
    const st = this.state.value;
    return [...st.shipped.filter((a) => !a.problem), ...st.added.filter((a) => !a.problem).map((a) => a.info)];
  }

  async #add(s: StoredAdapter): Promise<AdapterInfo> {
    if (!this.#engine.addAdapter) throw new Error('This engine cannot add adapters.');
    // A copy crosses to the worker; the stored bytes stay ours.
    return this.#engine.addAdapter(s.weights, s.description, s.source);
  }
}

/** A stored adapter's listing before the engine has seen it (description read on the page). */
function listed(s: StoredAdapter, stored: boolean): AddedAdapter {
  if (s.description === undefined) {
    // As the engine will describe it (descriptionFromFile); the base model is the one it is added to.
    const d = descriptionFromFile(s.source, '');
    const info: AdapterInfo = { name: d.name, kind: d.kind, triggerWords: [], recommendedStrength: d.recommendedStrength, noDescription: true };
    return { info: d.displayName ? { ...info, displayName: d.displayName } : info, source: s.source, stored };
  }
  try {
    const d = parseAdapterDescription(s.description, s.source.replace(/\.safetensors$/i, '.json'));
    return {
      info: {
        name: d.name,
        kind: d.kind,
        triggerWords: d.triggerWords,
        recommendedStrength: d.recommendedStrength,
        ...(d.displayName ? { displayName: d.displayName } : {}),
        ...(d.description ? { description: d.description } : {}),
      },
      source: s.source,
      stored,
    };
  } catch (error) {
    return { info: { name: s.name, kind: 'unknown' }, source: s.source, stored, problem: (error as Error).message };
  }
}
