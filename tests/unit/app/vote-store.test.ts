/**
 * VoteStore on fake-indexeddb: votes are listed newest first, deleted, cleared, and still there
 * after a reload (a new store on the same database); JSONL import adds new votes, skips the ids it
 * already has and reports bad lines without losing good ones; export → import is lossless; a vote
 * whose history entry is gone is kept and still makes the same request as that entry did.
 */
import 'fake-indexeddb/auto';
import { createStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { FALLBACK_SETTINGS } from '../../../src/app/data/generation-settings';
import { HistoryStore, type HistoryEntry } from '../../../src/app/data/history-store';
import { requestFromSettings } from '../../../src/app/data/scene-run';
import { takeVoteRecord } from '../../../src/app/data/take-vote';
import { VOTE_DB, VoteStore } from '../../../src/app/data/vote-store';
import { VoteRecordError, votesToJsonl } from '../../../src/votes/vote-record';
import { MODEL_HASH, PIP_HASH, PROMPT, adapterTake, vote } from '../votes/fixtures';

let n = 0;
/** A fresh database per test, and a way to open it again as a reloaded page would. */
function database() {
  const name = `vidlet-votes-test-${n++}`;
  return { open: () => new VoteStore(createStore(name, 'votes')) };
}

const at = (id: string, createdAt: number) => vote(id, { createdAt });

describe('VoteStore', () => {
  it('adds, lists newest first, deletes and clears; votes survive a reload', async () => {
    const db = database();
    const store = db.open();
    await store.add(at('old', 1000));
    await store.add(at('new', 3000));
    await store.add(vote('mid', { createdAt: 2000, a: adapterTake(), outcomes: { TA: 'B' } }));
    expect((await store.list()).map((v) => v.id)).toEqual(['new', 'mid', 'old']);

    const reloaded = db.open();
    expect(await reloaded.list()).toEqual(await store.list());
    expect(await reloaded.get('mid')).toEqual(vote('mid', { createdAt: 2000, a: adapterTake(), outcomes: { TA: 'B' } }));

    await reloaded.remove('mid');
    expect((await db.open().list()).map((v) => v.id)).toEqual(['new', 'old']);
    await reloaded.clear();
    expect(await db.open().list()).toEqual([]);
  });

  it('refuses a vote that would not export, storing nothing', async () => {
    const store = database().open();
    await expect(store.add({ ...vote('bad'), a: { ...adapterTake(), adapterHashes: {} } })).rejects.toThrow(VoteRecordError);
    await expect(store.add({ ...vote('bad'), a: { ...adapterTake(), adapterHashes: {} } })).rejects.toThrow(/a\.adapterHashes\.pip should be the sha256 of adapter "pip"/);
    expect(await store.list()).toEqual([]);
  });

  it('imports JSONL: new votes added, known ids skipped, bad lines reported, good lines kept', async () => {
    const db = database();
    const store = db.open();
    await store.add(at('known', 1000));
    const lines = [
      votesToJsonl([at('known', 1000), at('a', 2000)]).trimEnd(),
      '{"version": 1, "id": "broken"',
      JSON.stringify({ ...at('future', 3000), version: 3 }),
      votesToJsonl([at('b', 4000), at('a', 2000)]).trimEnd(),
    ];
    const result = await store.importJsonl(lines.join('\n') + '\n');
    expect({ added: result.added, skippedDuplicates: result.skippedDuplicates }).toEqual({ added: 2, skippedDuplicates: 2 });
    expect(result.problems.map((p) => p.line)).toEqual([3, 4]);
    expect(result.problems[1].message).toMatch(/version 3, from a newer Vidlet/);
    expect((await db.open().list()).map((v) => v.id)).toEqual(['b', 'a', 'known']);
  });

  it('export then import into another browser gives the same votes; a second import adds nothing', async () => {
    const source = database().open();
    for (const v of [at('v1', 10), vote('v2', { createdAt: 30, a: adapterTake(), variant: 'fp32' }), at('v3', 20)]) await source.add(v);
    const text = await source.exportJsonl();
    expect(text.split('\n').slice(0, -1).map((l) => JSON.parse(l).id)).toEqual(['v1', 'v3', 'v2']); // oldest first

    const target = database().open();
    expect(await target.importJsonl(text)).toEqual({ added: 3, skippedDuplicates: 0, problems: [] });
    expect(await target.list()).toEqual(await source.list());
    expect(await target.importJsonl(text)).toEqual({ added: 0, skippedDuplicates: 3, problems: [] });
  });

  it('keeps a vote whose history entry is gone: it needs only its own settings to make the take again', async () => {
    const history = new HistoryStore(createStore(`vidlet-history-test-${n++}`, 'entries'));
    const entry = (id: string, seed: number): HistoryEntry => ({
      id, createdAt: 1, model: 'vidlet-tiny', variant: 'int8', backend: 'wasm', fps: 8, totalMs: 1, unknownWords: [], thumbnail: new Blob(),
      settings: { ...FALLBACK_SETTINGS, prompt: PROMPT, seed, adapters: [{ name: 'pip', strength: 0.8 }] },
      adapterHashes: { pip: PIP_HASH },
      video: { width: 2, height: 2, frames: 1, data: new Uint8ClampedArray(16) },
    });
    const [a, b] = [entry('h-a', 7), entry('h-b', 8)];
    for (const e of [a, b]) await history.add(e);
    const record = takeVoteRecord({ id: 'orphan', createdAt: 5, a, b, model: { name: 'vidlet-tiny', hash: MODEL_HASH, variant: 'int8' }, outcomes: { overall: 'A' } });
    const text = votesToJsonl([record]);
    // The history is cleared (or the vote comes from another browser): its takes are gone.
    for (const e of [a, b]) await history.remove(e.id);
    expect(await history.open('h-a')).toBeUndefined();

    const store = database().open();
    expect(await store.importJsonl(text)).toEqual({ added: 1, skippedDuplicates: 0, problems: [] });
    const kept = (await store.get('orphan'))!;
    expect(kept.a.historyId).toBe('h-a'); // still names where it came from
    expect(kept.a.adapterHashes).toEqual({ pip: PIP_HASH });
    expect(requestFromSettings(kept.a.settings)).toEqual(requestFromSettings(a.settings));
    expect(requestFromSettings(kept.b.settings)).toEqual(requestFromSettings(b.settings));
  });

  it('has its own database by default', async () => {
    expect(VOTE_DB).toBe('vidlet-votes');
    const store = new VoteStore();
    await store.add(at('default-db', 5));
    expect((await new VoteStore().list()).map((v) => v.id)).toEqual(['default-db']);
    await store.clear();
  });
});
