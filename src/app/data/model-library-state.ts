/**
 * The model library's rules, pure: the installed models (the embedded one first, then those the
 * user added by URL or from a folder), which one is active, what is kept across reloads, the
 * address a user types, and the note a history entry made by another model gets.
 * model-library.ts does the I/O (manifest fetch, the worker's plan and import, the engine session).
 */

export type ModelOrigin = 'embedded' | 'url' | 'local';

export interface LibraryEntry {
  /** The manifest's `name`: the model cache's key prefix, and what history entries record. */
  id: string;
  displayName: string;
  origin: ModelOrigin;
  /** Folder URL holding manifest.json (vidlet-local://<id>/ for a folder stored in the cache). */
  base: string;
  /** Bytes it downloads on this device (url), or stores (local); 0 for the embedded one until loaded. */
  bytes: number;
  /** When it was added (epoch ms); 0 for the embedded one. */
  addedAt: number;
}

/** What is persisted: the added models and the active choice (the embedded entry is code, not data). */
export interface LibraryState {
  added: LibraryEntry[];
  activeId: string;
}

export class LibraryError extends Error {
  override name = 'ModelLibraryError';
}

export function emptyLibrary(embedded: LibraryEntry): LibraryState {
  return { added: [], activeId: embedded.id };
}

/** Every installed model, the embedded one first, then in the order they were added. */
export function listModels(embedded: LibraryEntry, state: LibraryState): LibraryEntry[] {
  return [embedded, ...state.added];
}

/** The active model; the embedded one when the stored choice names a model no longer listed. */
export function activeModel(embedded: LibraryEntry, state: LibraryState): LibraryEntry {
  return state.added.find((e) => e.id === state.activeId) ?? embedded;
}

/** Adds `entry`; a model of the same name is refused (its cached files would be shared). */
export function withAdded(embedded: LibraryEntry, state: LibraryState, entry: LibraryEntry): LibraryState {
  const clash = listModels(embedded, state).find((e) => e.id === entry.id);
  if (clash) {
    throw new LibraryError(
      `A model named "${entry.id}" is already installed (${clash.displayName}). Remove it first, or give the new package another "name" in its manifest.json.`,
    );
  }
  return { ...state, added: [...state.added, entry] };
}

/** Removes an added model; the active choice falls back to the embedded model. The embedded one cannot be removed. */
export function withRemoved(embedded: LibraryEntry, state: LibraryState, id: string): LibraryState {
  if (id === embedded.id) throw new LibraryError(`${embedded.displayName} is built into Vidlet and cannot be removed; only its cached copy can be deleted.`);
  if (!state.added.some((e) => e.id === id)) throw new LibraryError(`No added model is named "${id}".`);
  return { added: state.added.filter((e) => e.id !== id), activeId: state.activeId === id ? embedded.id : state.activeId };
}

export function withActive(embedded: LibraryEntry, state: LibraryState, id: string): LibraryState {
  if (!listModels(embedded, state).some((e) => e.id === id)) throw new LibraryError(`No installed model is named "${id}".`);
  return { ...state, activeId: id };
}

/** Reads what was stored; anything unreadable is dropped rather than breaking the page. */
export function readLibrary(embedded: LibraryEntry, raw: unknown): LibraryState {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as { added?: unknown; activeId?: unknown };
  const added: LibraryEntry[] = [];
  for (const e of Array.isArray(o.added) ? o.added : []) {
    const x = e as Partial<LibraryEntry> | null;
    const ok =
      x && typeof x.id === 'string' && x.id !== embedded.id && typeof x.displayName === 'string' && (x.origin === 'url' || x.origin === 'local') &&
      typeof x.base === 'string' && typeof x.bytes === 'number' && typeof x.addedAt === 'number' && !added.some((a) => a.id === x.id);
    if (ok) added.push({ id: x.id!, displayName: x.displayName!, origin: x.origin!, base: x.base!, bytes: x.bytes!, addedAt: x.addedAt! });
  }
  const activeId = typeof o.activeId === 'string' && added.some((e) => e.id === o.activeId) ? o.activeId : embedded.id;
  return { added, activeId };
}

/**
 * The folder URL of what a user typed: an http(s) address of the folder holding manifest.json,
 * or of manifest.json itself. Anything else is refused with what to type instead.
 */
export function modelFolderUrl(text: string): string {
  const typed = text.trim();
  let url: URL;
  try {
    url = new URL(typed);
  } catch {
    throw new LibraryError(`"${typed}" is not a web address. Give the http(s) address of the model's folder, e.g. https://example.org/models/wan-1.3b/ (the folder holding manifest.json).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LibraryError(`"${typed}" is a ${url.protocol} address; only http(s) addresses can be fetched. For a folder on this device use "Add folder…".`);
  }
  url.search = '';
  url.hash = '';
  if (url.pathname.endsWith('/manifest.json')) url.pathname = url.pathname.slice(0, -'manifest.json'.length);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** What a history entry says about its model: nothing when the active model made it, else which model. */
export function madeWithNote(entryModel: string | undefined, active: LibraryEntry, installed: readonly LibraryEntry[]): string | undefined {
  if (!entryModel || entryModel === active.id) return undefined;
  const known = installed.find((e) => e.id === entryModel);
  return known ? `Made with ${known.displayName}` : `Made with ${entryModel} (not installed)`;
}
