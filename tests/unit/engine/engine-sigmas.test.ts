/**
 * A distilled package (issue #11) through the real engine on the fake onnxruntime: an explicit
 * sigma list (schedule.sigmas) fixes the step count and is what the denoiser is fed, the
 * x0-renoise sampler runs on it, and guidance 1 (no CFG) costs one batch-1 denoiser call per step.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import type { GenerateRequest } from '../../../src/engine/types';
import { cpu, fakeOrt, MODEL, storeFor, type FakeSeen } from './fake-package';

const LIST = [1, 0.9937, 0.9875, 0.9812, 0.975, 0.9094, 0.725, 0.4219];

/** The shipped manifest as a distilled package: the list instead of shift/defaultSteps, no CFG, x0-renoise. */
function distilledManifest() {
  const m = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
  m.schedule = { ...m.schedule, sigmas: LIST, defaultGuidance: 1, defaultInnerGuidance: 0, defaultSampler: 'x0-renoise' };
  delete m.schedule.shift;
  delete m.schedule.spacing;
  delete m.schedule.defaultSteps;
  return m;
}

async function load(json: unknown) {
  const feeds: Record<string, number[]>[] = [];
  const seen: FakeSeen = { timesteps: [], textBatches: [] };
  const engine = new VidletEngine(storeFor(json), fakeOrt(json, feeds, seen), { probe: cpu });
  const info = await engine.loadModel({ base: MODEL });
  return { engine, info, feeds, seen };
}

describe('VidletEngine on a package with an explicit sigma list', () => {
  it('takes the list\'s length as its step count and feeds the denoiser exactly the list, one batch-1 call each', async () => {
    const { engine, info, feeds, seen } = await load(distilledManifest());
    expect(info.fixedSteps).toBe(8);
    expect(info.defaults).toEqual({ steps: 8, guidance: 1, innerGuidance: 0, contrast: 0, sampler: 'x0-renoise' });
    const d = info.defaults;
    const r = await engine.generate({ prompt: 'a red ball', seed: 3, steps: d.steps, guidance: d.guidance, innerGuidance: d.innerGuidance, sampler: d.sampler });
    expect(r.denoiserCalls).toBe(8);
    expect(r.batch).toBe(1);
    expect(feeds).toHaveLength(8);
    for (const f of feeds) expect(f.latent![0]).toBe(1);
    expect(seen.timesteps.map((t) => t[0])).toEqual(LIST.map(Math.fround));
    expect(seen.textBatches).toEqual([1]); // the prompt alone: no negative prompt is encoded without CFG
  });

  it('refuses another step count before any work, naming the count it takes', async () => {
    const { engine, feeds, seen } = await load(distilledManifest());
    const req: GenerateRequest = { prompt: 'a red ball', seed: 3, steps: 20, guidance: 1, innerGuidance: 0, sampler: 'euler' };
    await expect(engine.generate(req)).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: expect.stringMatching(/^steps must be 8 for this model, got 20\. This model was distilled to sample on a fixed list of 8 noise levels/),
    });
    expect(feeds).toHaveLength(0);
    expect(seen.textBatches).toHaveLength(0);
    // any sampler runs on the list: Heun makes 2·8 − 1 calls over the same levels
    const heun = await engine.generate({ ...req, steps: 8, sampler: 'heun' });
    expect(heun.denoiserCalls).toBe(15);
    expect(new Set(seen.timesteps.map((t) => t[0]))).toEqual(new Set(LIST.map(Math.fround)));
  });

  it('a package without a list reports no fixed count and runs any step count', async () => {
    const { engine, info, feeds } = await load(JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8')));
    expect(info.fixedSteps).toBeUndefined();
    await engine.generate({ prompt: 'a red ball', seed: 3, steps: 3, guidance: 1, innerGuidance: 0, sampler: 'x0-renoise' });
    expect(feeds).toHaveLength(3);
  });
});

describe('guidance 1 skips the unconditional pass (docs/model-package.md: uncond only when w ≠ 1)', () => {
  const shipped = () => JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));

  it('one denoiser call per step, batch 1, and only the prompt encoded; guidance 5 doubles the batch, not the calls', async () => {
    const { engine, feeds, seen } = await load(shipped());
    const base: GenerateRequest = { prompt: 'a red ball', seed: 3, steps: 4, guidance: 1, innerGuidance: 0, sampler: 'euler' };
    const off = await engine.generate(base);
    expect(feeds).toHaveLength(4);
    expect(feeds.map((f) => f.latent![0])).toEqual([1, 1, 1, 1]);
    expect(off.batch).toBe(1);
    expect(seen.textBatches).toEqual([1]);

    feeds.length = 0;
    await engine.generate({ ...base, prompt: 'a blue star', guidance: 5 });
    expect(feeds).toHaveLength(4);
    expect(feeds.map((f) => f.latent![0])).toEqual([2, 2, 2, 2]);
    expect(seen.textBatches).toEqual([1, 2]); // prompt and negative prompt, in one encoder call
  });

  it('with guidance 1 and Inner-Guidance on, the batch holds cond + motion-dropped, never uncond', async () => {
    const { engine, feeds, seen } = await load(shipped());
    await engine.generate({ prompt: 'a red ball', seed: 3, steps: 2, guidance: 1, innerGuidance: 3, sampler: 'euler' });
    expect(feeds.map((f) => f.latent![0])).toEqual([2, 2]);
    expect(seen.textBatches).toEqual([1]); // no negative prompt: the second pass is the prompt with motion dropped
  });
});
