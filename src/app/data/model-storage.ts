/**
 * What the model panel shows about storage: bytes the model cache holds per model, the
 * origin's usage and quota, and deleting a cached model. The cache itself is src/store's
 * (the engine worker writes it; the page reads the same IndexedDB database).
 */
import { ModelCache, type CachedModel, type StorageEstimate } from '../../store/cache';
import { Observable } from './observable';

export interface StorageState {
  models: CachedModel[];
  estimate: StorageEstimate | null;
}

export class ModelStorage {
  readonly state = new Observable<StorageState | undefined>(undefined);
  readonly #cache: ModelCache;

  constructor(cache: ModelCache = new ModelCache()) {
    this.#cache = cache;
  }

  async refresh(): Promise<void> {
    const [models, estimate] = await Promise.all([this.#cache.listModels(), this.#cache.estimate()]);
    this.state.set({ models, estimate });
  }

  cachedBytes(model: string): number | undefined {
    return this.state.value?.models.find((m) => m.name === model)?.bytes;
  }

  async deleteModel(name: string): Promise<void> {
    await this.#cache.deleteModel(name);
    await this.refresh();
  }
}
