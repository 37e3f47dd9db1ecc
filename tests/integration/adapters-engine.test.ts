/**
 * Adapters through the Engine interface on the real denoiser (wasm, Node): a copy of the shipped
 * package (files linked, not copied) that also ships one adapter — a seeded rank-4 LoRA on every
 * block's q/k/v/o written here as .safetensors with its description JSON. Checks that a request's
 * `adapters` change the clip, strength 0 and "no adapters" give exactly the base model (the slots
 * are emptied between runs), an unknown name is an InvalidRequestError, and addAdapter works for
 * an adapter that is not in the manifest. Each run reports the sha256 of the adapters it used
 * (the manifest's for a shipped one, the hash of the weights for an added one), which votes record.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VidletEngine } from '../../src/engine/engine';
import type { Ort } from '../../src/engine/sessions';
import type { AdapterSettings, GenerateRequest } from '../../src/engine/types';
import { NodeFolderStore } from '../../src/store/node-store';
import { available, SHIPPED_MODEL } from '../prerequisites';
import { makeAdapter } from './helpers/adapter-fixture';

const MODEL = 'public/models/vidlet-tiny';
const TITLE = 'adapters through the Engine interface (real denoiser, wasm)';

const sha = (d: Uint8Array | Uint8ClampedArray) => createHash('sha256').update(d).digest('hex');

describe.runIf(available(SHIPPED_MODEL, TITLE))(TITLE, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vidlet-adapters-'));
  const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort);
  const base: GenerateRequest & AdapterSettings = { prompt: 'a red circle moves left', seed: 4, steps: 2, guidance: 5, innerGuidance: 3, sampler: 'euler' };
  let manifest: { name: string; lora: { depth: number; targets: string[]; width: number } };

  beforeAll(async () => {
    const json = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
    manifest = json;
    for (const f of readdirSync(MODEL)) if (f !== 'manifest.json') symlinkSync(resolve(MODEL, f), join(dir, f));
    const a = makeAdapter('test-style', 'style', json.name, json.lora, 1);
    writeFileSync(join(dir, 'test-style.safetensors'), a.weights);
    writeFileSync(join(dir, 'test-style.json'), JSON.stringify(a.description));
    // Only this test's adapter: the package's own adapters and StageBlender table (when it ships them) are left out.
    delete json.blender;
    json.adapters = [{ name: 'test-style', kind: 'style', file: 'test-style.safetensors', description: 'test-style.json', bytes: a.weights.length, sha256: sha(a.weights) }];
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(json));
    const info = await engine.loadModel({ base: dir }, { numThreads: 1 });
    expect(info.adapters).toEqual([{ name: 'test-style', kind: 'style', triggerWords: [], recommendedStrength: 1 }]);
    expect(info.lora).toEqual({ slots: json.lora.slots, depth: json.lora.depth });
    expect(info.blender).toBeUndefined();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a shipped adapter changes the clip; strength 0 and no adapters are exactly the base model', async () => {
    const plain = sha((await engine.generate(base)).video.data);
    const styled = await engine.generate({ ...base, adapters: [{ name: 'test-style' }] });
    expect(sha(styled.video.data)).not.toBe(plain);
    expect(styled.request.adapters).toEqual([{ name: 'test-style' }]);
    expect(styled.adapterHashes).toEqual({ 'test-style': sha(readFileSync(join(dir, 'test-style.safetensors'))) });
    // Same adapter again: deterministic.
    expect(sha((await engine.generate({ ...base, adapters: [{ name: 'test-style' }] })).video.data)).toBe(sha(styled.video.data));
    // The slots are emptied when a request asks for no adapters.
    const none = await engine.generate(base);
    expect(sha(none.video.data)).toBe(plain);
    expect(none.adapterHashes).toEqual({});
    expect(sha((await engine.generate({ ...base, adapters: [{ name: 'test-style', strength: 0 }] })).video.data)).toBe(plain);
  });

  it('slots filled directly through engine.loraSlots stay for a request without `adapters`; request adapters never leak', async () => {
    const plain = sha((await engine.generate(base)).video.data);
    const mine = makeAdapter('manual', 'style', manifest.name, manifest.lora, 7);
    const { loadAdapter, planSlots } = await import('../../src/engine/adapters');
    const { applySlotPlan } = await import('../../src/engine/adapters/apply-plan');
    const loaded = loadAdapter({ weights: mine.weights, description: mine.description }, { name: manifest.name, lora: manifest.lora as never });
    // Into a slot at strength 1 on every block, as the engine applies a request's adapters.
    const fillSlots = () => applySlotPlan(engine.loraSlots, planSlots([{ adapter: loaded, strength: 1 }], engine.loraSlots.layout.slots, 'constant'));
    fillSlots();
    const manual = sha((await engine.generate(base)).video.data);
    expect(manual).not.toBe(plain);
    expect(sha((await engine.generate(base)).video.data)).toBe(manual); // still there
    await engine.generate({ ...base, adapters: [{ name: 'test-style' }] }); // a request replaces them…
    expect(sha((await engine.generate(base)).video.data)).toBe(plain); // …and its adapters do not leak
    fillSlots();
    expect(sha((await engine.generate({ ...base, adapters: [] })).video.data)).toBe(plain); // [] = base model
  });

  it('an unknown adapter name is an InvalidRequestError naming the choices; the engine stays usable', async () => {
    await expect(engine.generate({ ...base, adapters: [{ name: 'nope' }] })).rejects.toMatchObject({ name: 'InvalidRequestError', message: expect.stringMatching(/"nope".*test-style/) });
    await expect(engine.generate({ ...base, blend: 'sideways' as never })).rejects.toMatchObject({ name: 'InvalidRequestError' });
    // DualReal needs the StageBlender table of the pair it was trained for; test-style is not in it (or there is no table).
    await expect(engine.generate({ ...base, adapters: [{ name: 'test-style' }], blend: 'dualreal' })).rejects.toMatchObject({ message: expect.stringMatching(/StageBlender/) });
    expect((await engine.generate({ ...base, steps: 1 })).video.frames).toBeGreaterThan(0);
  });

  it('addAdapter registers a user adapter by name; one for another model is refused', async () => {
    const mine = makeAdapter('my-motion', 'motion', manifest.name, manifest.lora, 2);
    expect(await engine.addAdapter(mine.weights, mine.description, 'my-motion.safetensors')).toEqual({ name: 'my-motion', kind: 'motion', triggerWords: [], recommendedStrength: 1 });
    const plain = sha((await engine.generate(base)).video.data);
    const both = await engine.generate({ ...base, adapters: [{ name: 'my-motion', strength: 0.5 }, { name: 'test-style' }] });
    expect(sha(both.video.data)).not.toBe(plain);
    expect(both.adapterHashes).toEqual({ 'my-motion': sha(mine.weights), 'test-style': sha(readFileSync(join(dir, 'test-style.safetensors'))) });
    const other = makeAdapter('alien', 'style', 'some-other-model', manifest.lora, 3);
    await expect(engine.addAdapter(other.weights, other.description)).rejects.toMatchObject({ name: 'AdapterError', message: expect.stringMatching(/some-other-model/) });
  });

  it('a hand-set curve reaches the denoiser: flat 1 = constant strength, 0 = base model, a shaped one differs from both', async () => {
    const hash = async (r: Partial<GenerateRequest & AdapterSettings>) => sha((await engine.generate({ ...base, ...r })).video.data);
    const plain = await hash({});
    const constant = await hash({ adapters: [{ name: 'test-style', strength: 1 }] });
    const flat = await hash({ adapters: [{ name: 'test-style', strength: 1, schedule: { points: [[0, 1], [1, 1]] } }] });
    const off = await hash({ adapters: [{ name: 'test-style', strength: 1, schedule: { points: [[0, 0], [1, 0]] } }] });
    // Strong on the first (noisy) step, off on the last: neither the constant LoRA nor the base model.
    const shaped = await hash({ adapters: [{ name: 'test-style', strength: 1, schedule: { axis: 'progress', points: [[0, 1], [1, 0]] } }] });
    // Per-group multipliers reach the blocks: deep blocks off.
    const groups = [[0, 1, 2], [3, 4, 5]].map((g) => g.filter((d) => d < manifest.lora.depth)).filter((g) => g.length > 0);
    const shallow = await hash({ adapters: [{ name: 'test-style', strength: 1, schedule: { points: [[0, 1], [1, 1]], groups, multipliers: groups.map((_, i) => (i === 0 ? 1 : 0)) } }] });
    expect(flat).toBe(constant);
    expect(off).toBe(plain);
    expect(new Set([plain, constant, shaped, shallow]).size).toBe(4);
    // A curve for blocks the model does not have is refused before anything runs.
    await expect(engine.generate({ ...base, adapters: [{ name: 'test-style', schedule: { points: [[0, 1]], groups: [[0, 99]], multipliers: [1] } }] })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: expect.stringMatching(/Adapter "test-style": Strength curve: .*groups/),
    });
    expect(await hash({})).toBe(plain);
  });
});
