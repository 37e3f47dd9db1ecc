/**
 * Past generations, kept in their own IndexedDB database (not the model cache, so deleting a
 * model keeps the history and clearing history keeps the model). Each entry is stored as two
 * records: a small summary (settings, model, thumbnail) that the gallery lists, and the heavy
 * part (encoded clip and raw frames, ~2 MiB for the embedded model) read only when the entry
 * is played, compared or exported. So the page's memory does not grow with the history.
 */
import { createStore, del, delMany, entries, get, promisifyRequest, setMany, type UseStore } from 'idb-keyval';
import type { FramesRGBA, GenerateResult } from '../../engine/types';
import type { SceneCheck } from '../../media/settings';
import type { ClipScores } from './clip-scores';
import type { GenerationSettings } from './generation-settings';
import { Observable } from './observable';

export const HISTORY_DB = 'vidlet-history';
const HISTORY_STORE = 'entries';
const summaryKey = (id: string) => `meta:${id}`;
const mediaKey = (id: string) => `media:${id}`;

export interface HistorySummary {
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
  /** Why there is no playable clip (no working video encoder in this browser). */
  clipProblem?: string;
  /** Scenes the cut detector found against scenes the plan asked for (#10); absent for one prompt. */
  sceneCheck?: SceneCheck;
  /** sha256 of each adapter the take used, by name, as the engine reported it (GenerateResult.adapterHashes); absent on older entries. */
  adapterHashes?: Record<string, string>;
  /** The reward model's scores, once the clip was scored (Compare takes, or the history's Score); entries from before scores were kept have none. */
  scores?: ClipScores;
}

export interface HistoryMedia {
  /** The playable clip (WebM or MP4) when an encoder worked, else undefined. */
  clip?: Blob;
  /** The decoded frames, so the entry can be re-exported in any format. */
  video: FramesRGBA;
  motion?: FramesRGBA;
}

export interface HistoryEntry extends HistorySummary, HistoryMedia {
  /** Why the entry could not be kept in IndexedDB (shown, never stored). */
  saveProblem?: string;
}

export class HistoryStore {
  /** Summaries, newest first. */
  readonly entries = new Observable<HistorySummary[]>([]);
  /** The entry shown in the player (loaded in full). */
  readonly selected = new Observable<HistoryEntry | undefined>(undefined);
  /** Two entries shown side by side, or none. */
  readonly compare = new Observable<[HistoryEntry, HistoryEntry] | undefined>(undefined);
  readonly #db: UseStore;

  constructor(db: UseStore = createStore(HISTORY_DB, HISTORY_STORE)) {
    this.#db = db;
  }

  /** Reads every summary (not the clips). */
  async load(): Promise<void> {
    const all = await entries<string, HistorySummary>(this.#db);
    this.entries.set(
      all
        .filter(([key]) => key.startsWith('meta:'))
        .map(([, summary]) => summary)
        .sort((a, b) => b.createdAt - a.createdAt),
    );
  }

  async add(entry: HistoryEntry): Promise<void> {
    const { summary, media } = split(entry);
    await setMany(
      [
        [summaryKey(entry.id), summary],
        [mediaKey(entry.id), media],
      ],
      this.#db,
    );
    this.entries.update((list) => [summary, ...list.filter((e) => e.id !== entry.id)]);
  }

  async remove(id: string): Promise<void> {
    await delMany([summaryKey(id), mediaKey(id)], this.#db);
    this.entries.update((list) => list.filter((e) => e.id !== id));
    if (this.selected.value?.id === id) this.selected.set(undefined);
    if (this.compare.value?.some((e) => e.id === id)) this.compare.set(undefined);
  }

  /**
   * Adds scores to stored entries' summaries, in one transaction that reads each summary as stored
   * (the clip and frames are not touched). An id no longer stored (deleted, or never saved) is
   * skipped: the scores of a clip that is gone have nothing to belong to.
   */
  async keepScores(scored: readonly { id: string; scores: ClipScores }[]): Promise<void> {
    const kept = await this.#db('readwrite', (store) => {
      const updated = new Map<string, HistorySummary>();
      for (const { id, scores } of scored) {
        const request = store.get(summaryKey(id)) as IDBRequest<HistorySummary | undefined>;
        // Put in the get's own callback: awaiting between them could let the transaction close.
        request.onsuccess = () => {
          if (!request.result) return;
          const summary = { ...request.result, scores };
          store.put(summary, summaryKey(id));
          updated.set(id, summary);
        };
      }
      return promisifyRequest(store.transaction).then(() => updated);
    });
    this.entries.update((list) => list.map((e) => kept.get(e.id) ?? e));
    const selected = this.selected.value;
    const scores = selected && kept.get(selected.id)?.scores;
    if (scores) this.selected.set({ ...selected, scores });
  }

  summary(id: string): HistorySummary | undefined {
    return this.entries.value.find((e) => e.id === id);
  }

  /** The whole entry, clip and frames included, read from IndexedDB. */
  async open(id: string): Promise<HistoryEntry | undefined> {
    if (this.selected.value?.id === id) return this.selected.value;
    const [summary, media] = await Promise.all([
      get<HistorySummary>(summaryKey(id), this.#db),
      get<HistoryMedia>(mediaKey(id), this.#db),
    ]);
    if (!summary || !media) {
      // Half an entry (e.g. storage cleared under us): forget the summary too.
      if (summary || media) await del(summary ? summaryKey(id) : mediaKey(id), this.#db);
      return undefined;
    }
    return { ...summary, ...media };
  }

  async select(id: string): Promise<void> {
    const entry = await this.open(id);
    this.compare.set(undefined);
    this.selected.set(entry);
  }

  async compareWith(id: string): Promise<void> {
    const base = this.compare.value?.[1] ?? this.selected.value;
    const other = await this.open(id);
    if (!other) return;
    if (!base || base.id === id) this.selected.set(other);
    else this.compare.set([base, other]);
  }
}

function split(entry: HistoryEntry): { summary: HistorySummary; media: HistoryMedia } {
  const { clip, video, motion, saveProblem: _notStored, ...summary } = entry;
  return { summary, media: { clip, video, motion } };
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
    ...(result.adapterHashes ? { adapterHashes: { ...result.adapterHashes } } : {}),
    thumbnail,
    clip,
    video: result.video,
    motion: result.motion,
  };
}
