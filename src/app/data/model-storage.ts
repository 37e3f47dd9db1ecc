/**
 * What the model panel shows about storage: bytes the model cache holds per model, the
 * origin's usage and quota, and deleting a cached model. The engine worker downloads into the
 * cache, so the page asks the worker (EngineClient) rather than opening the same IndexedDB
 * database itself: one context reads and writes it, and a delete cannot interleave with a
 * chunk write it does not know about. Persistent storage is the exception: only the page may ask
 * for it (storage-persistence.ts), so it is asked here, not in the worker.
 */
import type { CacheUsage } from '../../worker/engine-host';
import { Observable } from './observable';
import { askPersistence, type Persistence, type PersistenceApi } from './storage-persistence';

export type StorageState = CacheUsage;

/** The worker's cache calls (EngineClient has them). */
export interface CacheRemote {
  cacheUsage(): Promise<CacheUsage>;
  deleteCachedModel(name: string): Promise<void>;
}

export class ModelStorage {
  readonly state = new Observable<StorageState | undefined>(undefined);
  /** Whether the browser keeps the cache persistently; asked after the first model load. */
  readonly persistence = new Observable<Persistence>('unasked');
  readonly #remote: CacheRemote;
  readonly #persistenceApi: PersistenceApi | null;
  #persistenceAsked?: Promise<Persistence>;

  /** `persistenceApi`: the page's navigator.storage unless a test passes its own (null: none). */
  constructor(remote: CacheRemote, persistenceApi: PersistenceApi | null = globalThis.navigator?.storage ?? null) {
    this.#remote = remote;
    this.#persistenceApi = persistenceApi;
  }

  /** Asks the browser, once per page, to keep the model cache persistently; never throws. */
  keepPersistently(): Promise<Persistence> {
    return (this.#persistenceAsked ??= askPersistence(this.#persistenceApi).then((answer) => {
      this.persistence.set(answer);
      return answer;
    }));
  }

  async refresh(): Promise<void> {
    this.state.set(await this.#remote.cacheUsage());
  }

  cachedBytes(model: string): number | undefined {
    return this.state.value?.models.find((m) => m.name === model)?.bytes;
  }

  async deleteModel(name: string): Promise<void> {
    await this.#remote.deleteCachedModel(name);
    await this.refresh();
  }
}
