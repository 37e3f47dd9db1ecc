/**
 * An explicit sigma list (schedule.sigmas, issue #11) on the real engine and the shipped model files
 * (wasm, Node): the shipped package served with a two-level list instead of its computed grid.
 * vidlet-tiny's shift is 1, so its computed 2-step grid is [1, 0.5, 0]: the list [1, 0.5] must give
 * the same clip bit for bit under Euler, which pins the list path to the one every other test checks.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { VidletEngine } from '../../src/engine/engine';
import type { Ort } from '../../src/engine/sessions';
import type { GenerateRequest } from '../../src/engine/types';
import { NodeFolderStore } from '../../src/store/node-store';
import { available, SHIPPED_MODEL } from '../prerequisites';

const MODEL = 'public/models/vidlet-tiny';
const TITLE = 'an explicit sigma list on the shipped model (wasm, Node)';

/** The shipped package with `schedule.sigmas` in place of shift and defaultSteps. */
class ListStore extends NodeFolderStore {
  override async readManifest(base: string): Promise<unknown> {
    const m = JSON.parse(readFileSync(`${base}/manifest.json`, 'utf8'));
    m.schedule = { ...m.schedule, sigmas: [1, 0.5], defaultGuidance: 1, defaultInnerGuidance: 0, defaultSampler: 'x0-renoise' };
    delete m.schedule.shift;
    delete m.schedule.defaultSteps;
    return m;
  }
}

const hash = (d: Uint8ClampedArray) => createHash('sha256').update(d).digest('hex');

describe.runIf(available(SHIPPED_MODEL, TITLE))(TITLE, () => {
  const ort = ortWeb as unknown as Ort;
  const shipped = new VidletEngine(new NodeFolderStore(), ort);
  const listed = new VidletEngine(new ListStore(), ort);
  const base: GenerateRequest = { prompt: 'a red ball bounces on a blue background', seed: 7, steps: 2, guidance: 1, innerGuidance: 0, sampler: 'euler' };

  beforeAll(async () => {
    const a = await shipped.loadModel({ base: MODEL }, { numThreads: 1 });
    const b = await listed.loadModel({ base: MODEL }, { numThreads: 1 });
    expect(a.fixedSteps).toBeUndefined();
    expect(b.fixedSteps).toBe(2);
    expect(b.defaults).toMatchObject({ steps: 2, guidance: 1, sampler: 'x0-renoise' });
  });

  it('Euler over the list [1, 0.5] is the computed 2-step grid, bit for bit', async () => {
    const grid = await shipped.generate(base);
    const list = await listed.generate(base);
    expect(list.denoiserCalls).toBe(2);
    expect(hash(list.video.data)).toBe(hash(grid.video.data));
  });

  it('x0-renoise on the list: seeded (same seed, same bytes), not Euler, and another seed another clip', async () => {
    const req = { ...base, sampler: 'x0-renoise' as const };
    const a = await listed.generate(req);
    const b = await listed.generate(req);
    const euler = await listed.generate(base);
    const other = await listed.generate({ ...req, seed: 8 });
    expect(hash(a.video.data)).toBe(hash(b.video.data));
    expect(hash(a.video.data)).not.toBe(hash(euler.video.data));
    expect(hash(a.video.data)).not.toBe(hash(other.video.data));
    expect(a.batch).toBe(1); // guidance 1: no unconditional pass
  });

  it('refuses another step count and stays usable', async () => {
    await expect(listed.generate({ ...base, steps: 20 })).rejects.toMatchObject({ name: 'InvalidRequestError', message: expect.stringMatching(/^steps must be 2 for this model, got 20/) });
    expect((await listed.generate(base)).denoiserCalls).toBe(2);
  });
});
