/**
 * takeVoteRecord: the record keeps everything to make both takes again (the shipped pip adapter's
 * sha256 included, carried from the engine's result through the history entry), survives JSONL,
 * and refuses takes of two models or prompts, an adapter whose digest was never recorded, or a bad
 * hash, by name.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { FALLBACK_SETTINGS } from '../../../src/app/data/generation-settings';
import { entryFromResult } from '../../../src/app/data/history-store';
import { manifestHash, takeVoteRecord, type TakeVoteInput } from '../../../src/app/data/take-vote';
import type { GenerateResult } from '../../../src/engine/types';
import { parseVotesJsonl, votesToJsonl } from '../../../src/votes/vote-record';
import { MODEL_HASH, PROMPT } from '../votes/fixtures';

const TINY = 'public/models/vidlet-tiny';

const settings = { ...FALLBACK_SETTINGS, prompt: PROMPT, negativePrompt: 'blurry', steps: 4, guidance: 4.5, sampler: 'euler' as const };
const takeOf = (id: string, seed: number, extra = {}) => ({ id, settings: { ...settings, seed, ...extra }, model: 'vidlet-tiny', variant: 'int8' });

function input(extra: Partial<TakeVoteInput> = {}): TakeVoteInput {
  return {
    id: 'v1',
    createdAt: 1_790_000_000_000,
    a: takeOf('h-a', 41),
    b: takeOf('h-b', 42),
    model: { name: 'vidlet-tiny', hash: MODEL_HASH.toUpperCase(), variant: 'int8' },
    outcomes: { VQ: 'A', MQ: 'tie', TA: 'B' },
    ...extra,
  };
}

describe('takeVoteRecord', () => {
  it('keeps prompt, negative, both seeds and settings, model name + hash + variant, and reads back from JSONL', () => {
    const r = takeVoteRecord(input());
    expect(r).toMatchObject({ prompt: PROMPT, negative: 'blurry', model: 'vidlet-tiny', modelHash: MODEL_HASH, variant: 'int8' });
    expect(r.a.settings).toEqual({ ...settings, seed: 41 });
    expect(r.b.settings.seed).toBe(42);
    expect(r.a.historyId).toBe('h-a');
    expect(parseVotesJsonl(votesToJsonl([r]))).toEqual({ records: [r], problems: [] });
  });

  it("records the sha256 of the shipped pip adapter a take used, as the engine's result gave it to the history entry", () => {
    const entry = JSON.parse(readFileSync(`${TINY}/manifest.json`, 'utf8')).adapters.find((a: { name: string }) => a.name === 'pip');
    // The manifest's digest is the one of the weights the engine reads (the store refuses others).
    const pipSha = createHash('sha256').update(readFileSync(`${TINY}/${entry.file}`)).digest('hex');
    expect(entry.sha256).toBe(pipSha);
    const adapters = [{ name: 'pip', strength: 0.8 }];
    // What the engine reports for a run with pip (tests/integration/adapters-engine.test.ts checks it does).
    const result = { model: 'vidlet-tiny', variant: 'int8', backend: 'wasm', fps: 8, timings: { totalMs: 1 }, unknownWords: [], adapterHashes: { pip: entry.sha256 } };
    const taken = entryFromResult(result as unknown as GenerateResult, { ...settings, seed: 41, adapters }, new Blob(), undefined);
    const r = takeVoteRecord(input({ a: taken }));
    expect(r.a.adapterHashes).toEqual({ pip: pipSha });
    expect(r.a.settings.adapters).toEqual(adapters);
    expect(r.b.adapterHashes).toEqual({});
    expect(parseVotesJsonl(votesToJsonl([r])).records[0]!.a.adapterHashes).toEqual({ pip: pipSha });
    // Only the adapters the take used are recorded.
    expect(takeVoteRecord(input({ a: { ...taken, adapterHashes: { pip: pipSha, other: pipSha } } })).a.adapterHashes).toEqual({ pip: pipSha });
  });

  it('refuses a take from before digests were recorded, saying why and what to do', () => {
    const old = takeOf('h-old', 41, { adapters: [{ name: 'pip', strength: 0.8 }] });
    expect(() => takeVoteRecord(input({ a: old }))).toThrow(
      'Take h-old used adapter "pip", but the sha256 of its weights was not recorded when the take was made (a take from an older Vidlet), so the vote could not make it again: compare new takes to vote on them.',
    );
  });

  it("keeps both takes' reward features when the takes were scored, and none when they were not", () => {
    const r = takeVoteRecord(input({ features: { a: [0.25, -1], b: [2, 0.5] } }));
    expect([r.a.features, r.b.features]).toEqual([[0.25, -1], [2, 0.5]]);
    expect(parseVotesJsonl(votesToJsonl([r])).records[0]!.b.features).toEqual([2, 0.5]);
    expect('features' in takeVoteRecord(input()).a).toBe(false);
    expect(() => takeVoteRecord(input({ features: { a: [1, 2], b: [1] } }))).toThrow('b.features should be 2 numbers, as many as a.features, got 1');
  });

  it('refuses takes of another model or prompt, and a model hash that is not a sha256', () => {
    expect(() => takeVoteRecord(input({ b: { ...takeOf('h-b', 42), variant: 'fp32' } }))).toThrow('Take h-b was made with vidlet-tiny (fp32)');
    expect(() => takeVoteRecord(input({ b: takeOf('h-b', 42, { prompt: 'a cat' }) }))).toThrow('different prompts');
    expect(() => takeVoteRecord(input({ model: { name: 'vidlet-tiny', hash: 'abc', variant: 'int8' } }))).toThrow('modelHash should be a sha256');
    expect(() => takeVoteRecord(input({ outcomes: {} }))).toThrow('at least one of');
  });
});

describe('manifestHash', () => {
  it('is the sha256 of manifest.json under the base, and names the file when it cannot be read', async () => {
    const asked: string[] = [];
    const ok = (async (url: URL) => (asked.push(url.href), new Response('abc'))) as unknown as typeof fetch;
    expect(await manifestHash('https://x.test/models/tiny/', ok)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(asked).toEqual(['https://x.test/models/tiny/manifest.json']);
    const missing = (async () => new Response('', { status: 404 })) as unknown as typeof fetch;
    await expect(manifestHash('https://x.test/models/tiny/', missing)).rejects.toThrow('Could not read /models/tiny/manifest.json (HTTP 404)');
  });

  it('works without crypto.subtle (a page served over plain http from a LAN address), like the model files', async () => {
    vi.stubGlobal('crypto', undefined);
    try {
      const ok = (async () => new Response('abc')) as unknown as typeof fetch;
      expect(await manifestHash('http://192.168.1.5:5173/models/tiny/', ok)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
