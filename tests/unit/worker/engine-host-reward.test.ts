/**
 * The worker side of scoring (#9): EngineHost.scoreTakes / generateBestOf forward to the engine, a
 * NoRewardModelError crosses postMessage as itself (the page tells "this model has none" from a
 * failure), and best-of's frames are handed over (transferred) over a real MessageChannel.
 */
import * as Comlink from 'comlink';
import { describe, expect, it, vi } from 'vitest';
import { NoRewardModelError } from '../../../src/engine/errors';
import type { BestOfResult, Engine, FramesRGBA, GenerateResult, TakeScore } from '../../../src/engine/types';
import { EngineHost } from '../../../src/worker/engine-host';
import { deserializeError } from '../../../src/worker/error-transport';
import { clientFor } from './client-for';

const clip = (): FramesRGBA => ({ frames: 1, height: 1, width: 1, data: new Uint8ClampedArray(4) });
const score: TakeScore = { VQ: 1, MQ: 2, TA: 3, overall: 6, features: [0.5] };

describe('EngineHost reward calls', () => {
  it('scoreTakes forwards the takes and prompt and returns the scores', async () => {
    const seen: unknown[] = [];
    const host = new EngineHost({ scoreTakes: async (takes, prompt) => (seen.push(takes.length, prompt), [score, score]) } as Engine);
    expect(await host.scoreTakes([clip(), clip()], 'a red ball')).toEqual([score, score]);
    expect(seen).toEqual([2, 'a red ball']);
  });

  it('a NoRewardModelError arrives on the page as a NoRewardModelError with its message', async () => {
    const host = new EngineHost({ scoreTakes: async () => { throw new NoRewardModelError('Vidlet tiny has no reward model.'); } } as unknown as Engine);
    const wire = await host.scoreTakes([clip()], 'p').catch((e: unknown) => e);
    const error = deserializeError(structuredClone(wire));
    expect(error).toBeInstanceOf(NoRewardModelError);
    expect(error.message).toBe('Vidlet tiny has no reward model.');
  });

  it('generateBestOf over comlink: callbacks reach the page, every take\'s frames are transferred, not copied', async () => {
    const result: BestOfResult = {
      rankBy: 'overall',
      takes: [1, 2].map((seed, i) => ({ seed, rank: i + 1, score, result: { video: clip(), request: { seed } } as unknown as GenerateResult })),
    };
    const host = new EngineHost({
      generateBestOf: async (_r, options, cb) => {
        expect(options).toEqual({ n: 2, rankBy: 'vq' });
        cb?.onTake?.({ index: 0, count: 2, seed: 1 });
        return result;
      },
    } as Engine);
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(host, port1 as unknown as Comlink.Endpoint);
    const remote = Comlink.wrap<EngineHost>(port2 as unknown as Comlink.Endpoint);
    const takes: unknown[] = [];
    const out = await remote.generateBestOf(
      { prompt: 'p', seed: 1, steps: 1, guidance: 1, innerGuidance: 0, sampler: 'euler' }, { n: 2, rankBy: 'vq' }, undefined,
      Comlink.proxy((t: unknown) => void takes.push(t)),
    );
    expect(out.takes.map((t) => [t.seed, t.rank, t.result.video.data.length])).toEqual([[1, 1, 4], [2, 2, 4]]);
    await vi.waitFor(() => expect(takes).toEqual([{ index: 0, count: 2, seed: 1 }]));
    // Transferred: the worker's copies are detached.
    expect(result.takes.map((t) => t.result.video.data.byteLength)).toEqual([0, 0]);
    remote[Comlink.releaseProxy]();
    port1.close();
    port2.close();
  });

  it("generateBestOf through the page's client: each take's decoded groups arrive in order, handed over, before the result", async () => {
    const sent: FramesRGBA[] = [];
    const group = (seed: number, n: number): FramesRGBA => ({ frames: n, height: 1, width: 1, data: new Uint8ClampedArray(n * 4).fill(seed) });
    const host = new EngineHost({
      generateBestOf: async (_r, _o, cb) => {
        for (const seed of [1, 2]) {
          cb?.onTake?.({ index: seed - 1, count: 2, seed });
          for (const [first, n] of [[0, 5], [5, 4]] as const) {
            const frames = group(seed, n);
            sent.push(frames);
            cb?.onFrames?.({ firstFrame: first, frames });
          }
        }
        return { rankBy: 'overall', takes: [] } as BestOfResult;
      },
    } as Engine);
    const got: string[] = [];
    await clientFor(host).generateBestOf({ prompt: 'p', seed: 1, steps: 1, guidance: 1, innerGuidance: 0, sampler: 'euler' }, { n: 2 }, {
      onFrames: (p) => void got.push(`${p.frames.data[0]}: ${p.firstFrame}+${p.frames.frames}`),
    });
    // Every group is on the page when the result is (the worker waits for them).
    expect(got).toEqual(['1: 0+5', '1: 5+4', '2: 0+5', '2: 5+4']);
    expect(sent.map((f) => f.data.byteLength)).toEqual([0, 0, 0, 0]);
  });
});
