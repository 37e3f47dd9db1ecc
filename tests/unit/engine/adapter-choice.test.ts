/**
 * AdapterShelf (src/engine/adapter-choice.ts): what the page lists (shipped descriptions, the
 * StageBlender table) and hand-set curves per adapter in a request — checked against the model's
 * depth before any slot changes, and winning over the blend mode's schedule for their adapter;
 * and the sha256 apply reports for each adapter a run used (what a vote records to make it again).
 * Uses the cross-language fixture (tests/unit/adapters/fixtures/, depth 2, width 8).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AdapterShelf } from '../../../src/engine/adapter-choice';
import { LoraSlots } from '../../../src/engine/lora-slots';
import type { Manifest, ModelFileStore, PackageFile } from '../../../src/store/types';
import { makeAdapter } from '../../integration/helpers/adapter-fixture';

const dir = fileURLToPath(new URL('../adapters/fixtures/', import.meta.url));
const files: Record<string, Uint8Array> = {
  'a/fixture-pip.safetensors': new Uint8Array(readFileSync(dir + 'fixture-pip.safetensors')),
  'a/fixture-pip.json': new Uint8Array(readFileSync(dir + 'fixture-pip.json')),
  'a/fixture.blender.json': new Uint8Array(readFileSync(dir + 'fixture.blender.json')),
  'a/broken.blender.json': new TextEncoder().encode('{"format": "vidlet-stage-blender", '),
};

/** In-memory store (test double): a missing file is an error, as in the real stores. */
class MemoryStore implements ModelFileStore {
  async readManifest(): Promise<unknown> {
    throw new Error('not used');
  }
  async readText(_base: string, path: string): Promise<string> {
    if (!files[path]) throw new Error(`${path}: HTTP 404`);
    return new TextDecoder().decode(files[path]);
  }
  async getFile(_base: string, file: PackageFile): Promise<Uint8Array> {
    if (!files[file.path]) throw new Error(`${file.path}: HTTP 404`);
    return files[file.path]!;
  }
}

const lora = { slots: ['identity', 'motion'], depth: 2, targets: ['attn.q', 'attn.k', 'attn.v', 'attn.o'], rank: 4, width: 8 };
const pipEntry = { name: 'fixture-pip', kind: 'identity', file: 'a/fixture-pip.safetensors', description: 'a/fixture-pip.json', bytes: 0, sha256: 'x' };
const manifest = (extra: Partial<Manifest> = {}) =>
  ({ name: 'vidlet-fixture', lora, adapters: [pipEntry], blender: { path: 'a/fixture.blender.json', bytes: 0, sha256: 'x' }, ...extra }) as unknown as Manifest;
const ctx = (t: number, stepIndex = 0, steps = 2) => ({ t, stepIndex, steps });
const row = (slots: LoraSlots, t: number) => [...slots.scaleRow(ctx(t))].map((v) => Math.round(v * 1e6) / 1e6);

describe('AdapterShelf.describe: what the page lists', () => {
  it('gives each shipped adapter its description fields and the blender pair with its table', async () => {
    const shelf = new AdapterShelf(new MemoryStore(), '/m/', manifest());
    const listing = await shelf.describe();
    expect(listing.adapters).toEqual([{ name: 'fixture-pip', kind: 'identity', triggerWords: ['pip'], recommendedStrength: 0.75 }]);
    expect(listing.blender).toMatchObject({ identity: 'fixture-pip', motion: 'fixture-motion', c: 2, groups: [[0], [1]], timesteps: [0, 0.5, 1] });
    expect(listing.blender!.alpha[2]).toEqual([0.25, 0.125]);
    expect(listing.blenderProblem).toBeUndefined();
  });

  it('an unreadable description or table becomes a problem to show, not a failed load', async () => {
    const shelf = new AdapterShelf(
      new MemoryStore(),
      '/m/',
      manifest({
        adapters: [pipEntry, { ...pipEntry, name: 'gone', description: 'a/gone.json' }, { ...pipEntry, name: 'bare', description: undefined }] as never,
        blender: { path: 'a/broken.blender.json', bytes: 0, sha256: 'x' },
      }),
    );
    const listing = await shelf.describe();
    expect(listing.adapters.map((a) => a.name)).toEqual(['fixture-pip', 'gone', 'bare']);
    expect(listing.adapters[1]!.problem).toMatch(/a\/gone\.json: HTTP 404/);
    expect(listing.adapters[2]!.problem).toMatch(/no description JSON/);
    expect(listing.blender).toBeUndefined();
    expect(listing.blenderProblem).toMatch(/broken\.blender\.json could not be read: .*not valid JSON/);
  });

  it('a model without a blender has none to offer', async () => {
    const listing = await new AdapterShelf(new MemoryStore(), '/m/', manifest({ blender: undefined })).describe();
    expect(listing.blender).toBeUndefined();
    expect(listing.blenderProblem).toBeUndefined();
  });
});

describe('AdapterShelf.apply: a hand-set curve per adapter', () => {
  const curve = { axis: 't' as const, points: [[0, 0], [1, 2]] as [number, number][], groups: [[0], [1]], multipliers: [1, 0.5] };

  it('with blend constant, the curve times the strength and the group multiplier reaches lora_scales', async () => {
    const shelf = new AdapterShelf(new MemoryStore(), '/m/', manifest());
    const slots = new LoraSlots(lora);
    await shelf.apply(slots, [{ name: 'fixture-pip', strength: 0.5, schedule: curve }]);
    // identity slot (0): 0.5 · (2t) · [1, 0.5]; motion slot (1) empty.
    expect(row(slots, 1)).toEqual([1, 0.5, 0, 0]);
    expect(row(slots, 0.5)).toEqual([0.5, 0.25, 0, 0]);
    expect(row(slots, 0)).toEqual([0, 0, 0, 0]);
    // Without the curve it is the flat strength again.
    await shelf.apply(slots, [{ name: 'fixture-pip', strength: 0.5 }]);
    expect(row(slots, 0.5)).toEqual([0.5, 0.5, 0, 0]);
  });

  it('a curve on the progress axis follows the step index', async () => {
    const shelf = new AdapterShelf(new MemoryStore(), '/m/', manifest());
    const slots = new LoraSlots(lora);
    await shelf.apply(slots, [{ name: 'fixture-pip', strength: 1, schedule: { axis: 'progress', points: [[0, 1], [1, 3]] } }]);
    expect([...slots.scaleRow({ t: 0.9, stepIndex: 0, steps: 3 })]).toEqual([1, 1, 0, 0]);
    expect([...slots.scaleRow({ t: 0.9, stepIndex: 1, steps: 3 })]).toEqual([2, 2, 0, 0]);
    expect([...slots.scaleRow({ t: 0.9, stepIndex: 2, steps: 3 })]).toEqual([3, 3, 0, 0]);
  });

  it('an invalid curve is an InvalidRequestError naming the adapter and the field; the slots keep what they had', async () => {
    const shelf = new AdapterShelf(new MemoryStore(), '/m/', manifest());
    const slots = new LoraSlots(lora);
    await shelf.apply(slots, [{ name: 'fixture-pip', strength: 0.5 }]);
    const bad = [
      { points: [[0.5, 1], [0.2, 1]] }, // not ascending
      { points: [[0, 1], [1, Number.NaN]] },
      { points: [[0, 1], [1, 1]], groups: [[0], [1], [2]], multipliers: [1, 1, 1] }, // block 2 beyond depth 2
      { points: [[0, 1], [1, 1]], groups: [[0], [1]], multipliers: [1] },
      { axis: 'steps', points: [[0, 1]] },
    ];
    for (const schedule of bad) {
      const failed = shelf.apply(slots, [{ name: 'fixture-pip', strength: 2, schedule: schedule as never }]);
      await expect(failed).rejects.toMatchObject({ name: 'InvalidRequestError', message: expect.stringMatching(/^Adapter "fixture-pip": Strength curve: (points|groups|multipliers|axis)/) });
      await expect(failed).rejects.toMatchObject({ details: { field: 'adapters', adapter: 'fixture-pip' } });
      expect(row(slots, 0.5)).toEqual([0.5, 0.5, 0, 0]);
    }
  });

  it("with blend dualreal, a curve replaces the table's α for its adapter only; the partner keeps c − α", async () => {
    const shelf = new AdapterShelf(new MemoryStore(), '/m/', manifest());
    const motion = makeAdapter('fixture-motion', 'motion', 'vidlet-fixture', lora, 3);
    await shelf.add(motion.weights, motion.description);
    const slots = new LoraSlots(lora);
    await shelf.apply(slots, [{ name: 'fixture-pip', strength: 1 }, { name: 'fixture-motion', strength: 1 }], 'dualreal');
    // The table at t = 1: α = [0.25, 0.125], c = 2 → motion [1.75, 1.875].
    expect(row(slots, 1)).toEqual([0.25, 0.125, 1.75, 1.875]);
    await shelf.apply(slots, [{ name: 'fixture-pip', strength: 1, schedule: curve }, { name: 'fixture-motion', strength: 1 }], 'dualreal');
    expect(row(slots, 1)).toEqual([2, 1, 1.75, 1.875]);
    expect(row(slots, 0.5)).toEqual([1, 0.5, 1, 1.5]);
  });
});

describe('AdapterShelf.apply: the sha256 of each adapter a run used', () => {
  const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  const PIP_SHA = 'AB'.repeat(32); // as a manifest may write it: stored lower-case

  it("a shipped adapter's is the manifest's, an added one's the hash of its weights, and no adapters give none", async () => {
    const shelf = new AdapterShelf(new MemoryStore(), '/m/', manifest({ adapters: [{ ...pipEntry, sha256: PIP_SHA }] as never }));
    const motion = makeAdapter('fixture-motion', 'motion', 'vidlet-fixture', lora, 3);
    await shelf.add(motion.weights, motion.description);
    const slots = new LoraSlots(lora);
    const used = await shelf.apply(slots, [{ name: 'fixture-pip', strength: 1 }, { name: 'fixture-motion', strength: 1 }]);
    expect(used).toEqual({ 'fixture-pip': PIP_SHA.toLowerCase(), 'fixture-motion': sha(motion.weights) });
    expect(await shelf.apply(slots, [{ name: 'fixture-motion', strength: 1 }])).toEqual({ 'fixture-motion': sha(motion.weights) });
    expect(await shelf.apply(slots, [])).toEqual({});
    expect(await shelf.apply(slots, undefined)).toEqual({});
  });

  it('an added adapter that takes a shipped one\'s name reports its own weights\' sha256, not the manifest\'s', async () => {
    const shelf = new AdapterShelf(new MemoryStore(), '/m/', manifest({ adapters: [{ ...pipEntry, sha256: PIP_SHA }] as never }));
    const slots = new LoraSlots(lora);
    expect(await shelf.apply(slots, [{ name: 'fixture-pip' }])).toEqual({ 'fixture-pip': PIP_SHA.toLowerCase() });
    const own = makeAdapter('fixture-pip', 'identity', 'vidlet-fixture', lora, 5);
    await shelf.add(own.weights, own.description);
    expect(await shelf.apply(slots, [{ name: 'fixture-pip' }])).toEqual({ 'fixture-pip': sha(own.weights) });
  });
});

describe('AdapterShelf.add: an adapter without a description', () => {
  it('is kept under its file name, usable by that name, and says it had none', async () => {
    const shelf = new AdapterShelf(new MemoryStore(), '/m/', manifest());
    const weights = makeAdapter('x', 'motion', 'vidlet-fixture', lora, 4).weights;
    const added = await shelf.add(weights, undefined, 'loras/Other Trainer.safetensors');
    expect([added.description.name, added.description.kind, added.noDescription]).toEqual(['other-trainer', 'style', true]);
    expect(shelf.names()).toContain('other-trainer');
    const slots = new LoraSlots(lora);
    expect(Object.keys(await shelf.apply(slots, [{ name: 'other-trainer' }]))).toEqual(['other-trainer']);
    expect([...slots.down].some((v) => v !== 0)).toBe(true);
  });
});
