/**
 * #13: where a model load's time goes, as User Timing measures (src/store/load-marks.ts): recorded
 * around each phase of VidletEngine.loadModel (also when it fails), one load's worth at a time,
 * and never failing the work they time.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import { clearLoadMeasures, LOAD_MEASURES, loadMeasures, measured } from '../../../src/store/load-marks';
import { cpu, fakeOrt, MODEL, storeFor } from '../engine/fake-package';

afterEach(() => clearLoadMeasures());

describe('measured', () => {
  it('records the task with its detail, also when it throws, and returns its value', async () => {
    expect(await measured(LOAD_MEASURES.sha256, async () => 7, { file: 'a.onnx', bytes: 3 })).toBe(7);
    await expect(measured(LOAD_MEASURES.cacheRead, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const seen = loadMeasures();
    expect(seen.map((m) => m.name)).toEqual([LOAD_MEASURES.sha256, LOAD_MEASURES.cacheRead]);
    expect(seen[0]!.detail).toEqual({ file: 'a.onnx', bytes: 3 });
    expect(seen[0]!.duration).toBeGreaterThanOrEqual(0);
  });

  it('lists only its own names, and clearLoadMeasures forgets them', async () => {
    performance.measure('someone-else', { start: performance.now() });
    await measured(LOAD_MEASURES.download, async () => undefined);
    expect(loadMeasures().map((m) => m.name)).toEqual([LOAD_MEASURES.download]);
    clearLoadMeasures();
    expect(loadMeasures()).toEqual([]);
    expect(performance.getEntriesByName('someone-else')).toHaveLength(1);
    performance.clearMeasures('someone-else');
  });

  it('still runs the task where the timeline refuses entries', async () => {
    const original = performance.measure;
    performance.measure = () => {
      throw new Error('no timeline');
    };
    try {
      expect(await measured(LOAD_MEASURES.load, async () => 'done')).toBe('done');
    } finally {
      performance.measure = original;
    }
  });
});

describe('VidletEngine.loadModel', () => {
  it('measures its phases and each session, and a second load replaces the first one’s measures', async () => {
    const json = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, []), { probe: cpu });
    await engine.loadModel({ base: MODEL });
    const names = (ms = loadMeasures()) => ms.map((m) => m.name);
    const first = loadMeasures();
    for (const name of ['load', 'manifest', 'probe', 'tokenizer', 'files', 'adapters', 'prune'] as const) {
      expect(names(first).filter((n) => n === LOAD_MEASURES[name]), name).toHaveLength(1);
    }
    const sessions = first.filter((m) => m.name === LOAD_MEASURES.session);
    expect(sessions.length).toBeGreaterThanOrEqual(4);
    expect(sessions.map((s) => (s.detail as { key: string }).key)).toContain('denoiser');
    const load = first.find((m) => m.name === LOAD_MEASURES.load)!;
    for (const m of first) {
      expect(m.startTime).toBeGreaterThanOrEqual(load.startTime);
      expect(m.startTime + m.duration).toBeLessThanOrEqual(load.startTime + load.duration + 1e-6);
    }
    await engine.loadModel({ base: MODEL });
    expect(names().filter((n) => n === LOAD_MEASURES.load)).toHaveLength(1);
    expect(loadMeasures().filter((m) => m.name === LOAD_MEASURES.session)).toHaveLength(sessions.length);
  });

  it('measures a failed load too (the engine is free again afterwards)', async () => {
    const json = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
    const store = storeFor(json);
    const broken = { ...store, readManifest: async () => Promise.reject(new Error('offline')) };
    const engine = new VidletEngine(broken, fakeOrt(json, []), { probe: cpu });
    await expect(engine.loadModel({ base: MODEL })).rejects.toThrow('offline');
    // Listed by start time: the load starts first.
    expect(loadMeasures().map((m) => m.name)).toEqual([LOAD_MEASURES.load, LOAD_MEASURES.manifest]);
    await expect(engine.loadModel({ base: MODEL })).rejects.toThrow('offline'); // not BusyError
  });
});
