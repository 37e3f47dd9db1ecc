/**
 * TakeBatch on a fake session: seeds seed, seed + 1, … (wrapping like takeSeed), one generation at
 * a time, progress "take k of n · step s/N", Cancel keeps the finished takes and makes no more,
 * an engine error stops the batch with what was finished, and a bad take count is refused.
 */
import { describe, expect, it } from 'vitest';
import type { RunState } from '../../../src/app/data/engine-session';
import { FALLBACK_SETTINGS, type GenerationSettings } from '../../../src/app/data/generation-settings';
import type { HistoryEntry } from '../../../src/app/data/history-store';
import { Observable } from '../../../src/app/data/observable';
import { TakeBatch, batchProgress, type BatchState, type TakeMaker } from '../../../src/app/data/take-batch';

/** Makes a take per call after two step events; `onCall(i)` may cancel or fail call i. */
function fakeSession(hooks: { fail?: number; onStep?: (call: number, batch: TakeBatch) => void } = {}) {
  const seeds: number[] = [];
  let active = 0;
  let maxActive = 0;
  let cancelled = false;
  let batch!: TakeBatch;
  const session: TakeMaker = {
    run: new Observable<RunState>({ kind: 'idle' }),
    async generate(settings: GenerationSettings) {
      const call = seeds.length;
      seeds.push(settings.seed);
      active++;
      maxActive = Math.max(maxActive, active);
      cancelled = false;
      try {
        for (let step = 1; step <= 2; step++) {
          await Promise.resolve();
          session.run.set({ kind: 'running', settings, startedAt: 0, step: { step, steps: 2 } as never });
          hooks.onStep?.(call, batch);
        }
        if (cancelled) {
          session.run.set({ kind: 'cancelled', afterSteps: 2 });
          return undefined;
        }
        if (hooks.fail === call) {
          session.run.set({ kind: 'error', error: { name: 'E', title: 'Out of memory', detail: '', action: '' } });
          return undefined;
        }
        const entry = { id: `take-${call}`, settings } as HistoryEntry;
        session.run.set({ kind: 'done', entry });
        return entry;
      } finally {
        active--;
      }
    },
    async cancel() {
      cancelled = true;
    },
  };
  batch = new TakeBatch(session);
  return { batch, seeds, maxActive: () => maxActive };
}

describe('TakeBatch', () => {
  it('makes n takes from seed, seed + 1, … one at a time, reporting overall progress', async () => {
    const { batch, seeds, maxActive } = fakeSession();
    const seen: string[] = [];
    batch.state.subscribe((s) => seen.push(batchProgress(s)));
    const takes = await batch.start({ ...FALLBACK_SETTINGS, prompt: 'a star', seed: 41 }, 3);
    expect(seeds).toEqual([41, 42, 43]);
    expect(takes.map((t) => t.settings.seed)).toEqual([41, 42, 43]);
    expect(maxActive()).toBe(1);
    expect(seen).toContain('take 2 of 3 · step 1/2');
    expect(seen).toContain('take 3 of 3 · step 2/2');
    expect(batch.state.value.kind).toBe('done');
  });

  it('wraps the seed past 2^32 − 1 as best-of-N does', async () => {
    const { batch, seeds } = fakeSession();
    await batch.start({ ...FALLBACK_SETTINGS, seed: 2 ** 32 - 1 }, 2);
    expect(seeds).toEqual([2 ** 32 - 1, 0]);
  });

  it('Cancel during take 2 keeps take 1 and starts no take 3', async () => {
    const { batch, seeds } = fakeSession({ onStep: (call, b) => call === 1 && void b.cancel() });
    const takes = await batch.start({ ...FALLBACK_SETTINGS, seed: 5 }, 3);
    expect(seeds).toEqual([5, 6]);
    expect(takes.map((t) => t.id)).toEqual(['take-0']);
    const state = batch.state.value as Extract<BatchState, { kind: 'cancelled' }>;
    expect(state.kind).toBe('cancelled');
    expect(batchProgress(state)).toBe('cancelled: 1 of 3 takes finished');
  });

  it('an engine error stops the batch and says where, keeping the finished takes', async () => {
    const { batch, seeds } = fakeSession({ fail: 1 });
    const takes = await batch.start({ ...FALLBACK_SETTINGS, seed: 5 }, 4);
    expect(seeds).toEqual([5, 6]);
    expect(takes).toHaveLength(1);
    expect(batchProgress(batch.state.value)).toBe('stopped at take 2 of 4: Out of memory');
  });

  it('refuses 1 or 5 takes by name', async () => {
    const { batch, seeds } = fakeSession();
    await expect(batch.start(FALLBACK_SETTINGS, 1)).rejects.toThrow('Compare 2 to 4 takes, not 1.');
    await expect(batch.start(FALLBACK_SETTINGS, 5)).rejects.toThrow('not 5');
    expect(seeds).toEqual([]);
  });
});
