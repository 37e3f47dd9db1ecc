/**
 * The page's side of decoding in pieces (#11): groups of finished frames joined into the clip the
 * live preview plays, the progress line, and EngineSession asking for them only from a package
 * that decodes frame by frame (a one-call decoder leaves the run exactly as before).
 */
import { describe, expect, it } from 'vitest';
import { addDecodedGroup, decodedFraction, decodingLine, finishedDecoding, type DecodedSoFar } from '../../../src/app/data/decoded-frames';
import { EngineSession, type RunState } from '../../../src/app/data/engine-session';
import { FALLBACK_SETTINGS } from '../../../src/app/data/generation-settings';
import type { HistoryStore } from '../../../src/app/data/history-store';
import type { ModelStorage } from '../../../src/app/data/model-storage';
import type { Engine, FramesRGBA, GenerateCallbacks, ModelInfo, StepPreview } from '../../../src/engine/types';

/** `n` frames of 2×1 pixels, every byte of frame k equal to `from + k`. */
function frames(from: number, n: number): FramesRGBA {
  const data = new Uint8ClampedArray(n * 8);
  for (let k = 0; k < n; k++) data.fill(from + k, k * 8, (k + 1) * 8);
  return { width: 2, height: 1, frames: n, data };
}

const bytes = (d: DecodedSoFar) => [...d.frames.data];

describe('addDecodedGroup', () => {
  it('joins groups in order into one clip, each result a view that later groups leave as it was', () => {
    const a = addDecodedGroup(undefined, { firstFrame: 0, frames: frames(0, 5) }, 9);
    expect(a.frames.frames).toBe(5);
    expect(a.last).toEqual({ first: 0, end: 5 });
    expect(a.total).toBe(9);
    const before = bytes(a);
    const b = addDecodedGroup(a, { firstFrame: 5, frames: frames(5, 4) }, 9);
    expect(b.frames).toMatchObject({ width: 2, height: 1, frames: 9 });
    expect(bytes(b)).toEqual(bytes(finishedDecoding(frames(0, 9))));
    expect(bytes(a)).toEqual(before);
    // one buffer for the clip, not one per group
    expect(b.frames.data.buffer).toBe(a.frames.data.buffer);
  });

  it('grows past a short expectation and then reports the frames that came', () => {
    let d = addDecodedGroup(undefined, { firstFrame: 0, frames: frames(0, 2) }, 2);
    d = addDecodedGroup(d, { firstFrame: 2, frames: frames(2, 3) }, 2);
    d = addDecodedGroup(d, { firstFrame: 5, frames: frames(5, 1) }, 2);
    expect(d.total).toBe(6);
    expect(bytes(d)).toEqual(bytes(finishedDecoding(frames(0, 6))));
  });

  it('refuses a group out of order, of another size, or with the wrong byte count', () => {
    const a = addDecodedGroup(undefined, { firstFrame: 0, frames: frames(0, 5) }, 9);
    expect(() => addDecodedGroup(a, { firstFrame: 6, frames: frames(6, 1) }, 9)).toThrow(/from frame 6, but 5 were decoded before them/);
    expect(() => addDecodedGroup(undefined, { firstFrame: 3, frames: frames(3, 1) }, 9)).toThrow(/from frame 3, but 0/);
    expect(() => addDecodedGroup(a, { firstFrame: 5, frames: { ...frames(5, 1), width: 1, height: 2 } }, 9)).toThrow(/1×2 cannot join a clip of 2×1/);
    expect(() => addDecodedGroup(a, { firstFrame: 5, frames: { ...frames(5, 1), frames: 2 } }, 9)).toThrow(/has 8 bytes, expected 16/);
  });
});

describe('the decoding progress line', () => {
  it('names the newest group 1-based, and the share decoded', () => {
    const a = addDecodedGroup(undefined, { firstFrame: 0, frames: frames(0, 5) }, 17);
    expect(decodingLine(a)).toBe('Decoding frames 1–5 of 17');
    expect(decodedFraction(a)).toBeCloseTo(5 / 17);
    const b = addDecodedGroup(a, { firstFrame: 5, frames: frames(5, 1) }, 17);
    expect(decodingLine(b)).toBe('Decoding frame 6 of 17');
    expect(decodedFraction(finishedDecoding(frames(0, 3)))).toBe(1);
  });
});

describe('EngineSession and decoded frames', () => {
  const preview: StepPreview = { step: 1, steps: 1, t: 1, elapsedMs: 1, etaMs: 1, preview: frames(0, 1) };

  /** A session on an engine that runs one step, sends `groups` (if asked) and then fails, so no clip is encoded. */
  async function runWith(graphs: 'whole' | 'frames' | undefined, groups: [number, number][]) {
    const info = { hasMotion: false, video: { width: 2, height: 1, frames: 9, fps: 8 }, ...(graphs ? { vaeDecode: { graphs, tiling: null } } : {}) } as ModelInfo;
    const asked: boolean[] = [];
    const engine = {
      loadModel: async () => info,
      generate: async (_r: unknown, cb: GenerateCallbacks) => {
        asked.push(cb.onFrames !== undefined);
        cb.onStep?.(preview);
        for (const [first, n] of groups) cb.onFrames?.({ firstFrame: first, frames: frames(first, n) });
        throw new Error('stop before the clip is encoded');
      },
    } as unknown as Engine;
    const storage = { refresh: async () => {}, keepPersistently: async () => {} } as unknown as ModelStorage;
    const session = new EngineSession(engine, {} as HistoryStore, storage, { source: { base: 'x' } });
    const states: RunState[] = [];
    session.run.subscribe((s) => states.push(s));
    await session.generate({ ...FALLBACK_SETTINGS, prompt: 'a red ball' });
    return { asked, states };
  }

  it('a frame-by-frame package: the running state carries the frames so far, group by group', async () => {
    const { asked, states } = await runWith('frames', [[0, 5], [5, 4]]);
    expect(asked).toEqual([true]);
    const decoded = states.flatMap((s) => (s.kind === 'running' && s.decoded ? [s.decoded] : []));
    expect(decoded.map(decodingLine)).toEqual(['Decoding frames 1–5 of 9', 'Decoding frames 6–9 of 9']);
    expect(bytes(decoded[1]!)).toEqual(bytes(finishedDecoding(frames(0, 9))));
    // the step preview stays in the state beside them
    expect(states.filter((s) => s.kind === 'running').every((s) => s.kind === 'running' && s.step === preview)).toBe(true);
  });

  it('a step arriving after the first group (steps and frames cross on different ports) keeps the frames decoded so far', async () => {
    const info = { hasMotion: false, video: { width: 2, height: 1, frames: 9, fps: 8 }, vaeDecode: { graphs: 'frames', tiling: null } } as ModelInfo;
    const engine = {
      loadModel: async () => info,
      generate: async (_r: unknown, cb: GenerateCallbacks) => {
        cb.onStep?.(preview);
        cb.onFrames?.({ firstFrame: 0, frames: frames(0, 5) });
        cb.onStep?.(preview);
        cb.onFrames?.({ firstFrame: 5, frames: frames(5, 4) });
        throw new Error('stop before the clip is encoded');
      },
    } as unknown as Engine;
    const storage = { refresh: async () => {}, keepPersistently: async () => {} } as unknown as ModelStorage;
    const session = new EngineSession(engine, {} as HistoryStore, storage, { source: { base: 'x' } });
    const states: RunState[] = [];
    session.run.subscribe((s) => states.push(s));
    await session.generate({ ...FALLBACK_SETTINGS, prompt: 'a red ball' });
    const running = states.flatMap((s) => (s.kind === 'running' ? [s] : []));
    expect(running.map((s) => (s.decoded ? decodingLine(s.decoded) : null))).toEqual([
      null,
      'Decoding frames 1–5 of 9',
      'Decoding frames 1–5 of 9',
      'Decoding frames 6–9 of 9',
    ]);
    const last = running.at(-1)!;
    expect(last.step).toBe(preview);
    expect(bytes(last.decoded!)).toEqual(bytes(finishedDecoding(frames(0, 9))));
  });

  it('a one-call decoder (or an engine that does not say) is not asked for decoded frames', async () => {
    for (const graphs of ['whole', undefined] as const) {
      const { asked, states } = await runWith(graphs, []);
      expect(asked).toEqual([false]);
      expect(states.some((s) => 'decoded' in s)).toBe(false);
    }
  });
});
