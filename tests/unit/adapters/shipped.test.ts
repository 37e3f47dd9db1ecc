import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applySlotPlan, clearAdapters } from '../../../src/engine/adapters/apply-plan';
import { readShippedAdapter, readShippedBlender } from '../../../src/engine/adapters/shipped';
import { planSlots } from '../../../src/engine/adapters/slot-plan';
import { LoraSlots } from '../../../src/engine/lora-slots';
import type { Manifest, ModelFileStore, PackageFile } from '../../../src/store/types';

const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const files: Record<string, Uint8Array> = {
  'adapters/fixture-pip.safetensors': new Uint8Array(readFileSync(dir + 'fixture-pip.safetensors')),
  'adapters/fixture-pip.json': new Uint8Array(readFileSync(dir + 'fixture-pip.json')),
  'adapters/fixture.blender.json': new Uint8Array(readFileSync(dir + 'fixture.blender.json')),
};

/** In-memory store (test double): the real ones verify sha256; this one records what was asked. */
class MemoryStore implements ModelFileStore {
  requested: string[] = [];
  async readManifest(): Promise<unknown> {
    throw new Error('not used');
  }
  async readText(_base: string, path: string): Promise<string> {
    this.requested.push(path);
    return new TextDecoder().decode(files[path]);
  }
  async getFile(_base: string, file: PackageFile): Promise<Uint8Array> {
    this.requested.push(file.path);
    return files[file.path]!;
  }
}

const lora = { slots: ['identity', 'motion'], depth: 2, targets: ['attn.q', 'attn.k', 'attn.v', 'attn.o'], rank: 4, width: 8 };
const manifest = {
  name: 'vidlet-fixture',
  lora,
  adapters: [
    { name: 'fixture-pip', kind: 'identity', file: 'adapters/fixture-pip.safetensors', description: 'adapters/fixture-pip.json', bytes: 2560, sha256: 'x' },
    { name: 'no-desc', kind: 'style', file: 'adapters/fixture-pip.safetensors', bytes: 2560, sha256: 'x' },
    { name: 'liar', kind: 'motion', file: 'adapters/fixture-pip.safetensors', description: 'adapters/fixture-pip.json', bytes: 2560, sha256: 'x' },
  ],
  blender: { path: 'adapters/fixture.blender.json', bytes: 0, sha256: 'x' },
} as unknown as Manifest;

describe('shipped adapters', () => {
  it('reads an adapter through the store and validates it against the model', async () => {
    const store = new MemoryStore();
    const a = await readShippedAdapter(store, '/m/', manifest, 'fixture-pip');
    expect(store.requested).toEqual(['adapters/fixture-pip.safetensors', 'adapters/fixture-pip.json']);
    expect(a.description.name).toBe('fixture-pip');
    expect(a.down.length).toBe(2 * 4 * 4 * 8);
  });

  it('says which adapters exist, and refuses manifest entries that disagree with their files', async () => {
    const store = new MemoryStore();
    await expect(readShippedAdapter(store, '/m/', manifest, 'nope')).rejects.toThrow(/ships no adapter "nope"; it has fixture-pip, no-desc, liar/);
    await expect(readShippedAdapter(store, '/m/', manifest, 'no-desc')).rejects.toThrow(/without its description JSON/);
    await expect(readShippedAdapter(store, '/m/', manifest, 'liar')).rejects.toThrow(/lists "liar" \(motion\) but adapters\/fixture-pip\.json describes "fixture-pip" \(identity\)/);
  });

  it('reads the blender table, and applies a plan to the engine slots', async () => {
    const store = new MemoryStore();
    const blender = (await readShippedBlender(store, '/m/', manifest))!;
    expect(blender.table.identity).toBe('fixture-pip');
    const pip = await readShippedAdapter(store, '/m/', manifest, 'fixture-pip');
    const slots = new LoraSlots(lora);
    slots.setAdapter(1, { down: new Float32Array(slots.slotSize()).fill(1), up: new Float32Array(slots.slotSize()).fill(1) });
    applySlotPlan(slots, planSlots([{ adapter: pip, strength: 2 }], lora.slots, 'constant'));
    const n = slots.slotSize();
    expect(slots.down.subarray(0, n)).toEqual(pip.down);
    expect(slots.up.subarray(0, n)).toEqual(pip.up);
    // the stale motion adapter was removed
    expect(slots.down.subarray(n).every((v) => v === 0) && slots.up.subarray(n).every((v) => v === 0)).toBe(true);
    expect([...slots.scalesTensor(1, { stepIndex: 0, t: 1, steps: 2 })]).toEqual([2, 2, 0, 0]);
    clearAdapters(slots);
    expect(slots.down.every((v) => v === 0)).toBe(true);
    expect([...slots.scalesTensor(1, { stepIndex: 0, t: 1, steps: 2 })]).toEqual([0, 0, 0, 0]);
  });
});
