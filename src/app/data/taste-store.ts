/**
 * The taste head's state (taste-state.ts) shared by the taste panel, which fits it, and the
 * compare view, which ranks takes by it; kept in localStorage so on/off, the reset and the fitted
 * weights survive a reload. The votes themselves stay in the VoteStore.
 */
import { Observable } from './observable';
import { DEFAULT_TASTE, readTasteState, refreshTaste, resetTaste, type TasteRefresh, type TasteState } from './taste-state';
import type { VoteRecord } from '../../votes/vote-record';

const STORAGE_KEY = 'vidlet.taste.v1';

export class TasteStore {
  readonly state: Observable<TasteState>;
  /** Why the saved state could not be read back, once, for the panel to say. */
  readonly loadProblem: string | undefined;

  constructor(private readonly storage: Storage | undefined = globalThis.localStorage) {
    const { state, problem } = this.#read();
    this.state = new Observable(state);
    this.loadProblem = problem;
    this.state.subscribe((s) => this.#write(s));
  }

  /** Refits from the stored votes when needed (refreshTaste) and saves what changed. */
  refresh(records: readonly VoteRecord[]): TasteRefresh {
    const result = refreshTaste(this.state.value, records);
    if (result.state !== this.state.value) this.state.set(result.state);
    return result;
  }

  setEnabled(enabled: boolean): void {
    this.state.update((s) => ({ ...s, enabled }));
  }

  reset(now = Date.now()): void {
    this.state.update((s) => resetTaste(s, now));
  }

  #read(): { state: TasteState; problem?: string } {
    let raw: string | null | undefined;
    try {
      raw = this.storage?.getItem(STORAGE_KEY);
    } catch {
      return { state: DEFAULT_TASTE }; // storage blocked (private mode): the taste lasts this visit
    }
    if (!raw) return { state: DEFAULT_TASTE };
    try {
      return readTasteState(JSON.parse(raw));
    } catch {
      return { state: DEFAULT_TASTE, problem: 'Your saved taste settings were not readable JSON and were reset.' };
    }
  }

  #write(state: TasteState): void {
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch {
      // Full or blocked storage: the head is refitted from the votes on the next visit.
    }
  }
}
