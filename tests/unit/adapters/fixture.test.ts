/**
 * Reads files written by the Python exporter (training/vidlet_train/adapters/fixture.py, command
 * in its docstring) so the writer and this reader cannot drift apart. The expected values are
 * the fixture's formulas, recomputed here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAdapter, type TargetModel } from '../../../src/engine/adapters/adapter';
import { loraScalesForStep, dualRealAssignments } from '../../../src/engine/adapters/schedule';
import { parseSafetensors, tensorToFloat32 } from '../../../src/engine/adapters/safetensors';
import { parseStageBlender } from '../../../src/engine/adapters/stage-blender';

const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const read = (name: string) => new Uint8Array(readFileSync(dir + name));
const description = JSON.parse(readFileSync(dir + 'fixture-pip.json', 'utf8'));

const D = 2;
const C = 8;
const r = 2;
const R = 4; // the slot holds more than the adapter's rank: padding is exercised
const targets = ['attn.q', 'attn.k', 'attn.v', 'attn.o'];
const P = targets.length;
const model: TargetModel = { name: 'vidlet-fixture', lora: { slots: ['identity', 'motion'], depth: D, targets, rank: R, width: C } };

const A = (d: number, p: number, i: number, j: number) => (d + 1) / 8 + p / 16 + i / 32 - j / 64;
const B = (d: number, p: number, i: number, j: number) => j / 4 - i / 8 - (d + p) / 2;

describe.each(['fixture-pip.safetensors', 'fixture-pip.bf16.safetensors'])('Python-exported %s', (file) => {
  it('loads into the slot layout with the fixture formulas, padded and scaled by alpha/r', () => {
    const a = loadAdapter({ weights: read(file), description, source: file }, model);
    expect(a.rank).toBe(r);
    expect(a.alpha).toBe(3);
    expect(a.description.recommendedStrength).toBe(0.75);
    expect(a.layers).toHaveLength(D * P);
    for (let d = 0; d < D; d++) {
      for (let p = 0; p < P; p++) {
        const base = (d * P + p) * R * C;
        for (let i = 0; i < R; i++) {
          for (let j = 0; j < C; j++) expect(a.down[base + i * C + j]).toBe(i < r ? A(d, p, i, j) : 0);
        }
        for (let i = 0; i < C; i++) {
          for (let j = 0; j < R; j++) expect(a.up[base + i * R + j]).toBe(j < r ? B(d, p, i, j) * 1.5 : 0);
        }
      }
    }
  });
});

describe('slot layout', () => {
  it('is the one Python builds for the DiT (training/vidlet_train/adapters/slots.py)', () => {
    const slots = parseSafetensors(read('fixture-pip.slots.safetensors'));
    const a = loadAdapter({ weights: read('fixture-pip.safetensors'), description }, model);
    expect(slots.tensors.get('down')!.shape).toEqual([D, P, R, C]);
    expect(slots.tensors.get('up')!.shape).toEqual([D, P, C, R]);
    expect(a.down).toEqual(tensorToFloat32(slots.tensors.get('down')!));
    expect(a.up).toEqual(tensorToFloat32(slots.tensors.get('up')!));
  });
});

describe('Python-exported StageBlender table', () => {
  it('parses and gives the exported α between its timesteps', () => {
    const blender = parseStageBlender(JSON.parse(readFileSync(dir + 'fixture.blender.json', 'utf8')), { name: 'vidlet-fixture', depth: D });
    const row = loraScalesForStep(dualRealAssignments(blender, { slot: 0, strength: 1 }, { slot: 1, strength: 1 }), { slots: 2, depth: D }, { t: 0.25, progress: 0 });
    // t = 0.25 is halfway between rows t=0 (1.75, 1.5) and t=0.5 (1.0, 0.5); c = 2.
    expect([...row]).toEqual([1.375, 1.0, 0.625, 1.0]);
  });
});
