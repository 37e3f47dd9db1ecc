/**
 * "Compare takes": N takes (2–4) of one prompt, seeds seed, seed + 1, … (takeSeed, the same rule
 * as best-of-N, so a batch's takes are the ones best-of-N would make). Takes are made through the
 * EngineSession one generation at a time, so each becomes a normal history entry and the usual
 * preview, cancel and error paths apply. Cancel stops the batch and keeps the finished takes.
 */
import { takeSeed } from '../../package/reward';
import type { GenerationSettings } from './generation-settings';
import type { HistoryEntry } from './history-store';
import { Observable } from './observable';
import type { RunState } from './engine-session';
import type { UserError } from './user-error';

/** Takes per batch: two to vote on, at most four side by side on one screen. */
export const TAKES = { min: 2, max: 4 } as const;

/** The part of EngineSession a batch uses (tests pass a fake). */
export interface TakeMaker {
  readonly run: Observable<RunState>;
  generate(settings: GenerationSettings): Promise<HistoryEntry | undefined>;
  cancel(): Promise<void>;
}

export type BatchState =
  | { kind: 'idle' }
  /** `take` counts from 1; `step` / `steps` are the current take's, absent before its first step. */
  | { kind: 'running'; take: number; of: number; step?: number; steps?: number; takes: HistoryEntry[] }
  | { kind: 'cancelled'; of: number; takes: HistoryEntry[] }
  | { kind: 'error'; of: number; takes: HistoryEntry[]; error: UserError }
  | { kind: 'done'; takes: HistoryEntry[] };

/** "take 2 of 3 · step 7/20": the whole batch's progress in one line. */
export function batchProgress(state: BatchState): string {
  switch (state.kind) {
    case 'idle':
      return '';
    case 'running':
      return `take ${state.take} of ${state.of}` + (state.step !== undefined ? ` · step ${state.step}/${state.steps}` : '');
    case 'cancelled':
      return `cancelled: ${state.takes.length} of ${state.of} takes finished`;
    case 'error':
      return `stopped at take ${state.takes.length + 1} of ${state.of}: ${state.error.title}`;
    case 'done':
      return `${state.takes.length} takes`;
  }
}

/** Refuses a take count outside TAKES with a sentence the page can show. */
export function takeCountProblem(n: number): string | undefined {
  if (!Number.isInteger(n) || n < TAKES.min || n > TAKES.max) return `Compare ${TAKES.min} to ${TAKES.max} takes, not ${n}.`;
  return undefined;
}

export class TakeBatch {
  readonly state = new Observable<BatchState>({ kind: 'idle' });
  #cancelled = false;
  readonly #maker: TakeMaker;

  constructor(maker: TakeMaker) {
    this.#maker = maker;
  }

  get running(): boolean {
    return this.state.value.kind === 'running';
  }

  /** Makes n takes of `settings` with seeds takeSeed(settings.seed, i); resolves with the finished ones. */
  async start(settings: GenerationSettings, n: number): Promise<HistoryEntry[]> {
    const problem = takeCountProblem(n);
    if (problem) throw new RangeError(problem);
    if (this.running) throw new Error('A batch of takes is already running: cancel it first.');
    this.#cancelled = false;
    const takes: HistoryEntry[] = [];
    for (let i = 0; i < n; i++) {
      if (this.#cancelled) break;
      this.state.set({ kind: 'running', take: i + 1, of: n, takes: [...takes] });
      // The session's step events become the batch's "step k/N" of take i + 1.
      const unsubscribe = this.#maker.run.subscribe((run) => {
        if (run.kind === 'running' && this.running && !this.#cancelled) {
          this.state.set({ kind: 'running', take: i + 1, of: n, step: run.step.step, steps: run.step.steps, takes: [...takes] });
        }
      });
      let entry: HistoryEntry | undefined;
      try {
        entry = await this.#maker.generate({ ...settings, seed: takeSeed(settings.seed, i) });
      } finally {
        unsubscribe();
      }
      if (entry) {
        takes.push(entry);
        continue;
      }
      // generate resolves undefined when cancelled or failed; the session's state says which.
      const run = this.#maker.run.value;
      if (run.kind === 'error' && !this.#cancelled) {
        this.state.set({ kind: 'error', of: n, takes, error: run.error });
        return takes;
      }
      this.#cancelled = true;
    }
    this.state.set(this.#cancelled ? { kind: 'cancelled', of: n, takes } : { kind: 'done', takes });
    return takes;
  }

  /** Stops after the current take (which the session cancels); the finished takes are kept. */
  async cancel(): Promise<void> {
    if (!this.running) return;
    this.#cancelled = true;
    await this.#maker.cancel();
  }
}
