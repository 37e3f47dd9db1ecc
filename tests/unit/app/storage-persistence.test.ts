/**
 * Persistent storage asked from the page: what the model panel says for each answer, how the
 * answer is read from navigator.storage, and that ModelStorage asks only once per page.
 */
import { describe, expect, it } from 'vitest';
import { ModelStorage } from '../../../src/app/data/model-storage';
import { askPersistence, persistenceNotice, type PersistenceApi } from '../../../src/app/data/storage-persistence';

const noCache = { cacheUsage: async () => ({ models: [], estimate: null }), deleteCachedModel: async () => {} };

/** A fake navigator.storage that counts the calls. */
function fakeStorage(persisted: boolean, persist: boolean | Error) {
  const calls = { persisted: 0, persist: 0 };
  const api: PersistenceApi = {
    persisted: async () => (calls.persisted++, persisted),
    persist: async () => {
      calls.persist++;
      if (persist instanceof Error) throw persist;
      return persist;
    },
  };
  return { api, calls };
}

describe('persistenceNotice', () => {
  it('shows nothing before the page asked', () => {
    expect(persistenceNotice('unasked')).toBeUndefined();
  });

  it('says granted, and that the model is then kept', () => {
    const notice = persistenceNotice('granted')!;
    expect(notice.granted).toBe(true);
    expect(notice.status).toBe('Persistent storage granted');
    expect(notice.explanation).toMatch(/keeps the cached model even when storage runs low/);
  });

  it('says not granted (refused or not offered) and that the browser may then evict the model', () => {
    for (const state of ['refused', 'unsupported'] as const) {
      const notice = persistenceNotice(state)!;
      expect(notice.granted).toBe(false);
      expect(notice.status).toMatch(/^Persistent storage not (granted|offered by this browser)$/);
      expect(notice.explanation).toBe('Without it the browser may delete the cached model when storage runs low, and it would download again.');
    }
    expect(persistenceNotice('refused')!.status).not.toBe(persistenceNotice('unsupported')!.status);
  });
});

describe('askPersistence', () => {
  it('is unsupported without navigator.storage.persist (workers, old browsers, Node)', async () => {
    expect(await askPersistence(undefined)).toBe('unsupported');
    expect(await askPersistence({ persisted: async () => true })).toBe('unsupported');
  });

  it('does not ask again where persistence was already granted', async () => {
    const { api, calls } = fakeStorage(true, false);
    expect(await askPersistence(api)).toBe('granted');
    expect(calls).toEqual({ persisted: 1, persist: 0 });
  });

  it('returns what persist() answers', async () => {
    expect(await askPersistence(fakeStorage(false, true).api)).toBe('granted');
    expect(await askPersistence(fakeStorage(false, false).api)).toBe('refused');
  });

  it('counts a rejected call as refused instead of throwing', async () => {
    expect(await askPersistence(fakeStorage(false, new DOMException('no', 'InvalidStateError')).api)).toBe('refused');
  });
});

describe('ModelStorage.keepPersistently', () => {
  it('asks once per page and publishes the answer for the model panel', async () => {
    const { api, calls } = fakeStorage(false, true);
    const storage = new ModelStorage(noCache, api);
    const seen: string[] = [];
    storage.persistence.subscribe((p) => seen.push(p));
    expect(storage.persistence.value).toBe('unasked');
    const answers = await Promise.all([storage.keepPersistently(), storage.keepPersistently()]);
    expect(await storage.keepPersistently()).toBe('granted');
    expect(answers).toEqual(['granted', 'granted']);
    expect(calls.persist).toBe(1);
    expect(seen).toEqual(['granted']);
  });

  it('reports unsupported where the page has no persist()', async () => {
    const storage = new ModelStorage(noCache, null);
    expect(await storage.keepPersistently()).toBe('unsupported');
    expect(storage.persistence.value).toBe('unsupported');
  });
});
