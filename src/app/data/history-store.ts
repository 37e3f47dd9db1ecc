/**
 * Past generations, kept in their own IndexedDB database (not the model cache, so deleting a
 * model keeps the history and clearing history keeps the model). Each entry holds what is
 * needed to replay, re-export and restore it: the settings, the model, a thumbnail, the
 * encoded clip and the raw frames.
 */
import { createStore, del, entries, set, type UseStore } from 'idb-keyval';
import type { FramesRGBA, GenerateResult } from '../../engine/types';
import type { GenerationSettings } from './generation-settings';
import { Observable } from './observable';

export const HISTORY_DB = 'vidlet-history';
const HISTORY_STORE = 'entries';

export interface HistoryEntry {
  id: string;
  createdAt: number;
  settings: GenerationSettings;
  model: string;
  variant: string;
  backend: string;
  fps: number;
  totalMs: number;
  unknownWords: string[];
  /** A PNG of the middle frame. */
  thumbnail: Blob;
  /** The playable clip (WebM or MP4) when an encoder worked, else undefined. */
  clip?: Blob;
  /** The decoded frames, so the entry can be re-exported in any format. */
  video: FramesRGBA;
  motion?: FramesRGBA;
  /** Why there is no playable clip (no working video encoder in this browser). */
  clipProblem?: string;
  /** Why the entry could not be kept in IndexedDB (shown, never stored). */
  saveProblem?: string;
}

export class HistoryStore {
  readonly entries = new Observable<HistoryEntry[]>([]);
  /** The entry shown in the player. */
  readonly selected = new Observable<string | undefined>(undefined);
  /** Two entries shown side by side, or none. */
  readonly compare = new Observable<[string, string] | undefined>(undefined);
  readonly #db: UseStore;

  constructor(db: UseStore = createStore(HISTORY_DB, HISTORY_STORE)) {
    this.#db = db;
  }

  /** Reads every entry, newest first. */
  async load(): Promise<void> {
    const all = await entries<string, HistoryEntry>(this.#db);
    this.entries.set(all.map(([, entry]) => entry).sort((a, b) => b.createdAt - a.createdAt));
  }

  async add(entry: HistoryEntry): Promise<void> {
    await set(entry.id, entry, this.#db);
    this.entries.update((list) => [entry, ...list.filter((e) => e.id !== entry.id)]);
  }

  async remove(id: string): Promise<void> {
    await del(id, this.#db);
    this.entries.update((list) => list.filter((e) => e.id !== id));
    if (this.selected.value === id) this.selected.set(undefined);
    if (this.compare.value?.includes(id)) this.compare.set(undefined);
  }

  find(id: string): HistoryEntry | undefined {
    return this.entries.value.find((e) => e.id === id);
  }
}

export function newEntryId(now = Date.now()): string {
  return `${now.toString(36)}-${crypto.getRandomValues(new Uint32Array(1))[0].toString(36)}`;
}

export function entryFromResult(
  result: GenerateResult,
  settings: GenerationSettings,
  thumbnail: Blob,
  clip: Blob | undefined,
): HistoryEntry {
  return {
    id: newEntryId(),
    createdAt: Date.now(),
    settings,
    model: result.model,
    variant: result.variant,
    backend: result.backend,
    fps: result.fps,
    totalMs: result.timings.totalMs,
    unknownWords: result.unknownWords,
    thumbnail,
    clip,
    video: result.video,
    motion: result.motion,
  };
}
