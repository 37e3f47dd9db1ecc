/**
 * What the model panel shows about storage: bytes the model cache holds per model, the
 * origin's usage and quota, and deleting a cached model. The engine worker downloads into the
 * cache, so the page asks the worker (EngineClient) rather than opening the same IndexedDB
 * database itself: one context reads and writes it, and a delete cannot interleave with a
 * chunk write it does not know about.
 */
import type { CacheUsage } from '../../worker/engine-host';
import { Observable } from './observable';

export type StorageState = CacheUsage;

/** The worker's cache calls (EngineClient has them). */
export interface CacheRemote {
  cacheUsage(): Promise<CacheUsage>;
  deleteCachedModel(name: string): Promise<void>;
}

export class ModelStorage {
  readonly state = new Observable<StorageState | undefined>(undefined);
  readonly #remote: CacheRemote;

  constructor(remote: CacheRemote) {
    this.#remote = remote;
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
