/**
 * Adapters the user dropped on the page, kept in their own IndexedDB database (not the model
 * cache, not the history: deleting either keeps them). One record per adapter name: the
 * .safetensors bytes and the description JSON exactly as dropped, so the engine validates them
 * again on every model load. A full disk is reported as AdapterStorageFullError and stores nothing.
 */
import { createStore, del, entries, set, type UseStore } from 'idb-keyval';

export const ADAPTER_DB = 'vidlet-adapters';
const ADAPTER_STORE = 'adapters';

export interface StoredAdapter {
  name: string;
  /** The dropped weights file's name, for messages. */
  source: string;
  weights: Uint8Array;
  /** The parsed description JSON, as dropped; undefined when the weights came without one. */
  description: unknown;
  addedAt: number;
}

/** The browser refused to store an adapter because the disk (or the site's quota) is full. */
export class AdapterStorageFullError extends Error {
  override name = 'AdapterStorageFullError';
  constructor(readonly adapter: string, readonly bytes: number, cause?: unknown) {
    super(
      `Adapter "${adapter}" (${Math.round(bytes / 1024)} KiB) could not be kept on this device: the browser says its storage is full. ` +
        'It works until you reload the page; nothing else was changed or removed.',
      { cause },
    );
  }
}

export function isQuotaError(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | null;
  if (!e) return false;
  return e.name === 'QuotaExceededError' || /quota|no space|disk is full/i.test(`${e.message ?? ''}`);
}

export class AdapterStore {
  readonly #db: UseStore;

  constructor(db: UseStore = createStore(ADAPTER_DB, ADAPTER_STORE)) {
    this.#db = db;
  }

  /** Every stored adapter, oldest first. */
  async list(): Promise<StoredAdapter[]> {
    const all = await entries<string, StoredAdapter>(this.#db);
    return all.map(([, v]) => v).sort((a, b) => a.addedAt - b.addedAt);
  }

  /** Stores (or replaces) an adapter; a full disk is an AdapterStorageFullError and nothing is written. */
  async put(adapter: StoredAdapter): Promise<void> {
    try {
      await set(adapter.name, adapter, this.#db);
    } catch (error) {
      if (isQuotaError(error)) throw new AdapterStorageFullError(adapter.name, adapter.weights.byteLength, error);
      throw error;
    }
  }

  async remove(name: string): Promise<void> {
    await del(name, this.#db);
  }
}
