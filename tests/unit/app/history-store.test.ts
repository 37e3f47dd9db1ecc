/**
 * HistoryStore on fake-indexeddb, reopened as a reloaded page would: scores kept with entries are
 * still there after a reopen, the clip and frames beside them untouched; entries stored before
 * scores existed load as they were and can be scored later; an id no longer stored is skipped.
 */
import 'fake-indexeddb/auto';
import { createStore, get, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import type { ClipScores } from '../../../src/app/data/clip-scores';
import { FALLBACK_SETTINGS } from '../../../src/app/data/generation-settings';
import { HistoryStore, type HistoryEntry } from '../../../src/app/data/history-store';

let n = 0;
/** A fresh database per test, and a way to open it again as a reloaded page would. */
function database() {
  const name = `vidlet-history-test-${n++}`;
  const db = createStore(name, 'entries');
  return {
    db,
    open: async () => {
      const store = new HistoryStore(createStore(name, 'entries'));
      await store.load();
      return store;
    },
  };
}

function entry(id: string, createdAt: number): HistoryEntry {
  return {
    id,
    createdAt,
    settings: { ...FALLBACK_SETTINGS, prompt: `prompt ${id}`, seed: createdAt },
    model: 'vidlet-tiny',
    variant: 'int8',
    backend: 'wasm',
    fps: 8,
    totalMs: 1000,
    unknownWords: [],
    thumbnail: new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }),
    video: { width: 2, height: 2, frames: 1, data: new Uint8ClampedArray(16).fill(createdAt) },
  };
}

const scores = (VQ: number, MQ: number, TA: number): ClipScores => ({
  VQ, MQ, TA, overall: VQ + MQ + TA, rewardModel: { name: 'vidlet-tiny', sha256: 'ab'.repeat(32) },
});

describe('HistoryStore scores', () => {
  it('keeps scores with their entries across a reopen, leaving the clip and frames as they were', async () => {
    const db = database();
    const store = await db.open();
    await store.add(entry('a', 1));
    await store.add(entry('b', 2));
    await store.keepScores([
      { id: 'a', scores: scores(0.5, -0.25, 1) },
      { id: 'b', scores: scores(-1, 0, 0.125) },
    ]);
    // The open page sees them at once.
    expect(store.summary('a')?.scores).toEqual(scores(0.5, -0.25, 1));

    const reopened = await db.open();
    expect(reopened.entries.value.map((e) => [e.id, e.scores])).toEqual([
      ['b', scores(-1, 0, 0.125)],
      ['a', scores(0.5, -0.25, 1)],
    ]);
    const full = await reopened.open('a');
    expect(full?.video).toEqual(entry('a', 1).video);
    expect(full?.settings.prompt).toBe('prompt a');
    expect(full?.scores).toEqual(scores(0.5, -0.25, 1));
  });

  it('loads an entry stored before scores were kept, and scores it later', async () => {
    const db = database();
    const old = entry('old', 5);
    const { video, clip: _clip, ...summary } = old;
    // Written as an older page wrote it: no scores field at all.
    await set('meta:old', summary, db.db);
    await set('media:old', { video }, db.db);
    const store = await db.open();
    expect(store.entries.value).toHaveLength(1);
    expect('scores' in store.entries.value[0]!).toBe(false);
    expect((await store.open('old'))?.video).toEqual(video);

    await store.keepScores([{ id: 'old', scores: scores(0, 0, 2) }]);
    expect((await db.open()).summary('old')?.scores).toEqual(scores(0, 0, 2));
  });

  it('skips an id that is no longer stored, and scores the rest', async () => {
    const db = database();
    const store = await db.open();
    await store.add(entry('kept', 1));
    await store.add(entry('gone', 2));
    await store.remove('gone');
    await store.keepScores([
      { id: 'gone', scores: scores(9, 9, 9) },
      { id: 'kept', scores: scores(1, 1, 1) },
    ]);
    expect(await get('meta:gone', db.db)).toBeUndefined();
    const reopened = await db.open();
    expect(reopened.entries.value.map((e) => [e.id, e.scores?.overall])).toEqual([['kept', 3]]);
  });

  it('gives the entry shown in the player its scores too', async () => {
    const store = await database().open();
    await store.add(entry('shown', 1));
    await store.select('shown');
    await store.keepScores([{ id: 'shown', scores: scores(1, 2, 3) }]);
    expect(store.selected.value?.scores?.overall).toBe(6);
    expect(store.selected.value?.video).toEqual(entry('shown', 1).video);
  });
});
