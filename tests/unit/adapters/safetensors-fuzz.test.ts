/**
 * Damaged files must fail with a SafetensorsError (a message for the user), never with a
 * RangeError, a TypeError or an out-of-bounds read. Seeded mutations of a valid file: flipped
 * bytes in the length field and header, truncations, and edited header numbers.
 */
import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../../src/engine/adapters/errors';
import { parseSafetensors, tensorToFloat32 } from '../../../src/engine/adapters/safetensors';
import { encodeSafetensors } from './build-safetensors';

// mulberry32: small seeded PRNG so a failure is reproducible.
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const valid = encodeSafetensors(
  {
    'blocks.0.attn.q.lora_A.weight': { shape: [2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8] },
    'blocks.0.attn.q.lora_B.weight': { dtype: 'F16', shape: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8] },
    x: { dtype: 'BF16', shape: [3], values: [1, 2, 3] },
  },
  { rank: '2', alpha: '2' },
);
const headerEnd = 8 + new DataView(valid.buffer).getUint32(0, true);

/** Parses and reads every tensor; returns 'ok', or 'rejected' for a SafetensorsError; rethrows anything else. */
function attempt(bytes: Uint8Array): 'ok' | 'rejected' {
  try {
    const file = parseSafetensors(bytes);
    for (const t of file.tensors.values()) {
      const values = tensorToFloat32(t);
      const elements = t.shape.reduce((a, b) => a * b, 1);
      if (values.length !== elements) throw new Error(`${t.name}: ${values.length} values for shape ${t.shape}`);
    }
    return 'ok';
  } catch (e) {
    if (e instanceof SafetensorsError) return 'rejected';
    throw e;
  }
}

describe('parseSafetensors under random damage', () => {
  it('the undamaged file parses', () => {
    expect(attempt(valid)).toBe('ok');
  });

  it('byte flips in the length field and header only ever give SafetensorsError or a consistent file', () => {
    const random = rng(1234);
    const counts = { ok: 0, rejected: 0 };
    for (let i = 0; i < 3000; i++) {
      const bytes = valid.slice();
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * headerEnd)] = Math.floor(random() * 256);
      counts[attempt(bytes)]++;
    }
    expect(counts.rejected).toBeGreaterThan(2000);
  });

  it('every truncation is rejected', () => {
    for (let n = 0; n < valid.length; n++) expect(attempt(valid.subarray(0, n))).toBe('rejected');
  });

  it('edited numbers in the header are rejected or consistent', () => {
    const text = new TextDecoder().decode(valid.subarray(8, headerEnd));
    const numbers = [...text.matchAll(/\d+/g)];
    const replacements = ['0', '1', '-1', '7', '9007199254740993', '1e400', '4294967296', '2.5', 'null', '"3"'];
    for (const m of numbers) {
      for (const r of replacements) {
        const edited = text.slice(0, m.index) + r + text.slice(m.index! + m[0].length);
        const header = new TextEncoder().encode(edited);
        const bytes = new Uint8Array(8 + header.length + valid.length - headerEnd);
        new DataView(bytes.buffer).setUint32(0, header.length, true);
        bytes.set(header, 8);
        bytes.set(valid.subarray(headerEnd), 8 + header.length);
        expect(['ok', 'rejected']).toContain(attempt(bytes));
      }
    }
  });
});
