/**
 * Persistent storage for the cached model. Browsers keep a site's IndexedDB "best-effort": under
 * storage pressure they may delete it, and the model then downloads again. navigator.storage.persist()
 * asks to keep it; it is offered to pages only (StorageManager.persist() is [Exposed=Window]), not
 * to the engine worker that writes the cache, so the page asks, once, after a model has loaded
 * (a download ends in a load; ModelStorage.keepPersistently).
 *
 * `persistenceNotice` (pure) decides what the model panel says; `askPersistence` is the call itself.
 */

/** 'unasked' until the first model load; 'unsupported' where the page has no persist(). */
export type Persistence = 'unasked' | 'granted' | 'refused' | 'unsupported';

export interface PersistenceNotice {
  granted: boolean;
  /** What the browser answered. */
  status: string;
  /** One line: what that means for the cached model. */
  explanation: string;
}

const EVICTABLE = 'Without it the browser may delete the cached model when storage runs low, and it would download again.';

/** What the model panel shows for a persistence state; undefined while nothing was asked. */
export function persistenceNotice(persistence: Persistence): PersistenceNotice | undefined {
  switch (persistence) {
    case 'unasked':
      return undefined;
    case 'granted':
      return {
        granted: true,
        status: 'Persistent storage granted',
        explanation: 'The browser keeps the cached model even when storage runs low; only deleting it here or clearing the site data removes it.',
      };
    case 'refused':
      return { granted: false, status: 'Persistent storage not granted', explanation: EVICTABLE };
    case 'unsupported':
      return { granted: false, status: 'Persistent storage not offered by this browser', explanation: EVICTABLE };
  }
}

/** The parts of the page's navigator.storage that persistence uses. */
export interface PersistenceApi {
  persist?: () => Promise<boolean>;
  persisted?: () => Promise<boolean>;
}

/**
 * Asks for persistent storage. persisted() first: a site already granted it is not asked again
 * (Firefox asks the user in a prompt). A rejected call counts as refused; never throws.
 */
export async function askPersistence(storage: PersistenceApi | null | undefined): Promise<Exclude<Persistence, 'unasked'>> {
  if (!storage?.persist) return 'unsupported';
  try {
    if (await storage.persisted?.()) return 'granted';
    return (await storage.persist()) ? 'granted' : 'refused';
  } catch {
    return 'refused';
  }
}
