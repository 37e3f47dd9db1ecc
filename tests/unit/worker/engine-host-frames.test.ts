/**
 * Decoded frames across the worker boundary (#11): EngineClient.generate's onFrames reaches the
 * engine in the worker as a comlink proxy (a MessageChannel stands in for the Worker, so every value
 * is structured-cloned as in the browser), each group arrives on the page in order, and its buffer
 * is transferred, not copied. Without onFrames the engine is not asked for decoded frames at all.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Engine, FramesRGBA, GenerateCallbacks, GenerateRequest, GenerateResult } from '../../../src/engine/types';
import { EngineHost } from '../../../src/worker/engine-host';
import { clientFor } from './client-for';

const request: GenerateRequest = { prompt: 'p', seed: 1, steps: 1, guidance: 1, innerGuidance: 0, sampler: 'euler' };
const group = (first: number, n: number): FramesRGBA => ({ width: 1, height: 1, frames: n, data: new Uint8ClampedArray(n * 4).fill(first + 1) });


describe('EngineHost.generate with onFrames', () => {
  it('each group reaches the page in order, its buffer handed over; onStep still arrives', async () => {
    const sent: FramesRGBA[] = [];
    const host = new EngineHost({
      generate: async (_r: unknown, cb: GenerateCallbacks) => {
        cb.onStep?.({ step: 1, steps: 1, t: 1, elapsedMs: 0, etaMs: 0, preview: group(0, 1) });
        for (const [first, n] of [[0, 5], [5, 4]] as const) {
          const frames = group(first, n);
          sent.push(frames);
          cb.onFrames?.({ firstFrame: first, frames });
        }
        return { video: group(0, 9) } as GenerateResult;
      },
    } as Engine);
    const got: [number, number, number][] = [];
    const steps: number[] = [];
    const result = await clientFor(host).generate(request, {
      onStep: (s) => steps.push(s.step),
      onFrames: (p) => got.push([p.firstFrame, p.frames.frames, p.frames.data[0]!]),
    });
    expect(result.video.frames).toBe(9);
    await vi.waitFor(() => expect(got).toEqual([[0, 5, 1], [5, 4, 6]]));
    expect(steps).toEqual([1]);
    // Transferred: the worker's copies are detached.
    expect(sent.map((f) => f.data.byteLength)).toEqual([0, 0]);
  });

  it('the result reaches the page only after every group did (they travel on another port)', async () => {
    const host = new EngineHost({
      generate: async (_r: unknown, cb: GenerateCallbacks) => {
        for (const [first, n] of [[0, 5], [5, 4]] as const) cb.onFrames?.({ firstFrame: first, frames: group(first, n) });
        return { video: group(0, 9) } as GenerateResult;
      },
    } as Engine);
    let open!: () => void;
    const gate = new Promise<void>((ok) => (open = ok));
    const got: number[] = [];
    let handled = 0;
    let resolved = false;
    const run = clientFor(host)
      .generate(request, {
        // The page still handling the last group (an async callback stands in for a slow one).
        onFrames: async (p) => {
          got.push(p.firstFrame);
          if (p.firstFrame === 5) await gate;
          handled++;
        },
      })
      .then((r) => ((resolved = true), r));
    await vi.waitFor(() => expect(got).toEqual([0, 5]));
    // Time enough for the result to arrive were it not waiting for the page.
    await new Promise((ok) => setTimeout(ok, 100));
    expect(resolved).toBe(false);
    open();
    expect((await run).video.frames).toBe(9);
    expect(handled).toBe(2);
  });

  it('without onFrames the engine gets no onFrames (it then converts no decoded groups)', async () => {
    const seen: GenerateCallbacks[] = [];
    const host = new EngineHost({
      generate: async (_r: unknown, cb: GenerateCallbacks) => (seen.push(cb), { video: group(0, 1) } as GenerateResult),
    } as Engine);
    await clientFor(host).generate(request, { onStep: () => {} });
    expect(seen.map((cb) => 'onFrames' in cb)).toEqual([false]);
  });

  it('frames in shared memory are cloned, not transferred (a SharedArrayBuffer cannot move)', async () => {
    const shared: FramesRGBA = { width: 1, height: 1, frames: 1, data: new Uint8ClampedArray(new SharedArrayBuffer(4)).fill(7) };
    const host = new EngineHost({
      generate: async (_r: unknown, cb: GenerateCallbacks) => {
        cb.onFrames?.({ firstFrame: 0, frames: shared });
        return { video: group(0, 1) } as GenerateResult;
      },
    } as Engine);
    const got: number[] = [];
    await clientFor(host).generate(request, { onFrames: (p) => got.push(p.frames.data[0]!) });
    await vi.waitFor(() => expect(got).toEqual([7]));
    expect(shared.data.byteLength).toBe(4);
  });
});
