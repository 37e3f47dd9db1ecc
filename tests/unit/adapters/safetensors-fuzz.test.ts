/**
 * Damaged files must fail with a SafetensorsError (a message for the user), never with a
 * RangeError, a TypeError or an out-of-bounds read (issue #13). Seeded mutations of a valid file:
 * flipped bytes in the length field and header, truncations, edited header numbers, and
 * structure-aware edits of the header JSON (dtype, shape, data_offsets, __metadata__, tensor
 * names); a file that parses must then load as an adapter or fail with an AdapterError.
 */
import { describe, expect, it } from 'vitest';
import { loadAdapter, type TargetModel } from '../../../src/engine/adapters/adapter';
import { AdapterError, SafetensorsError } from '../../../src/engine/adapters/errors';
import { parseSafetensors, tensorToFloat32 } from '../../../src/engine/adapters/safetensors';
import { intBelow, mulberry32 as rng, pick, type Random } from '../fuzz-random';
import { encodeSafetensors, rawSafetensors } from './build-safetensors';

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

  it(`${STRUCTURED} structure-aware header edits give SafetensorsError, AdapterError or a loaded adapter`, () => {
    const counts = { loaded: 0, adapterError: 0, rejected: 0 };
    for (let seed = 1; seed <= STRUCTURED; seed++) {
      const bytes = editedAdapterFile(rng(seed));
      try {
        counts[loadEdited(bytes)]++;
      } catch (e) {
        throw new Error(`structured header edit, seed ${seed} (editedAdapterFile(rng(${seed}))): ${(e as Error).name}: ${(e as Error).message}`, { cause: e });
      }
    }
    console.log(`safetensors structured fuzz: ${JSON.stringify(counts)}`);
    expect(counts.rejected).toBeGreaterThan(STRUCTURED / 2);
    expect(counts.loaded).toBeGreaterThan(0);
  });
});

const STRUCTURED = 7000;

// An adapter for a small model, so a file that parses is also checked by loadAdapter.
const model: TargetModel = { name: 'vidlet-test', lora: { slots: ['identity'], depth: 2, targets: ['attn.q', 'attn.v'], rank: 2, width: 3 } };
const description = { format: 'vidlet-adapter', formatVersion: 1, name: 'pip', kind: 'identity', baseModel: 'vidlet-test', triggerWords: ['pip'], recommendedStrength: 1 };
const seq = (n: number) => Array.from({ length: n }, (_, i) => (i + 1) / 8);
const adapter = encodeSafetensors(
  {
    'blocks.0.attn.q.lora_A.weight': { shape: [2, 3], values: seq(6) },
    'blocks.0.attn.q.lora_B.weight': { dtype: 'F16', shape: [3, 2], values: seq(6) },
    'blocks.1.attn.v.lora_A.weight': { dtype: 'BF16', shape: [2, 3], values: seq(6) },
    'base_model.model.blocks.1.attn.v.lora_B.weight': { shape: [3, 2], values: seq(6) },
  },
  { rank: '2', alpha: '4', base_model: 'vidlet-test' },
);
const adapterHeaderEnd = 8 + new DataView(adapter.buffer).getUint32(0, true);
const adapterHeader = JSON.parse(new TextDecoder().decode(adapter.subarray(8, adapterHeaderEnd))) as Record<string, any>;
const adapterData = adapter.subarray(adapterHeaderEnd);

const ODD: unknown[] = [
  null, true, 0, -1, 1, 2.5, 1e308, 2 ** 53, 2 ** 53 - 1, 2 ** 32, -0, '', '2', 'NaN', 'F64', 'I8', 'f32', 'F32 ', 'BF16', 'F16', 'F32',
  [], {}, [0], [0, 0], [0, 0, 0], [-1, 4], [4, 0], [0, 2 ** 53], ['0', '4'], [null, 4], [2, 3], [3, 2], [2, 3, 1], [1e308], [0.5, 2],
  'x'.repeat(1000), '\u0000', 'ünïcödé',
];
const NAMES = ['__metadata__', '__proto__', 'constructor', 'blocks.0.attn.q.lora_A.weight', 'blocks.99.attn.q.lora_A.weight', 'blocks.01.attn.q.lora_A.weight',
  'blocks.0.attn.x.lora_A.weight', 'blocks.1e3.attn.q.lora_B.weight', '', 'x'];

/** The valid adapter with 1–3 edits of its header JSON; the data region kept, grown or cut. */
function editedAdapterFile(random: Random): Uint8Array {
  const header = JSON.parse(JSON.stringify(adapterHeader)) as Record<string, any>;
  const put = (o: object, k: string, v: unknown) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  const edits = 1 + intBelow(random, 3);
  for (let i = 0; i < edits; i++) {
    const names = Object.keys(header);
    const name = pick(random, names);
    const entry = header[name];
    const field = name === '__metadata__' ? pick(random, ['rank', 'alpha', 'base_model', 'x']) : pick(random, ['dtype', 'shape', 'data_offsets']);
    switch (intBelow(random, 8)) {
      case 0: // a field set to a value of any kind
        if (entry && typeof entry === 'object') put(entry, field, structuredClone(pick(random, ODD)));
        break;
      case 1: // a field removed
        if (entry && typeof entry === 'object') delete entry[field];
        break;
      case 2: // one number of shape or data_offsets nudged
        if (entry && Array.isArray(entry[field]) && entry[field].length > 0) {
          const a = entry[field] as unknown[];
          const j = intBelow(random, a.length);
          a[j] = typeof a[j] === 'number' ? pick(random, [(a[j] as number) + 1, (a[j] as number) - 1, (a[j] as number) * 2, 0, -(a[j] as number)]) : 0;
        }
        break;
      case 3: // the entry itself replaced
        put(header, name, structuredClone(pick(random, ODD)));
        break;
      case 4: // the entry renamed
        delete header[name];
        put(header, pick(random, NAMES), entry);
        break;
      case 5: // an entry duplicated under another name (overlapping bytes)
        put(header, pick(random, NAMES), structuredClone(entry));
        break;
      case 6: // shape and dtype swapped between two tensors
        {
          const other = header[pick(random, names)];
          if (entry && other && typeof entry === 'object' && typeof other === 'object') [entry.shape, other.shape, entry.dtype, other.dtype] = [other.shape, entry.shape, other.dtype, entry.dtype];
        }
        break;
      default: // __metadata__ values of another kind, or the whole section replaced
        if (random() < 0.5) put(header, '__metadata__', structuredClone(pick(random, ODD)));
        else put(header.__metadata__ !== null && typeof header.__metadata__ === 'object' ? header.__metadata__ : header, pick(random, ['rank', 'alpha', 'base_model']), pick(random, ['0', '-2', '1e400', '2.5', '3', 'nan', ' ', 'other-model', 2, null]));
    }
  }
  let data = adapterData;
  const cut = intBelow(random, 6);
  if (cut === 0) data = adapterData.subarray(0, intBelow(random, adapterData.length));
  else if (cut === 1) data = new Uint8Array([...adapterData, ...new Uint8Array(1 + intBelow(random, 8))]);
  return rawSafetensors(JSON.stringify(header), data);
}

/** Parses, reads and loads the file as an adapter; a SafetensorsError or AdapterError is a refusal, anything else throws. */
function loadEdited(bytes: Uint8Array): 'loaded' | 'adapterError' | 'rejected' {
  if (attempt(bytes) === 'rejected') return 'rejected';
  try {
    const a = loadAdapter({ weights: bytes, description }, model);
    const n = model.lora.depth * model.lora.targets.length * model.lora.rank * model.lora.width;
    if (a.down.length !== n || a.up.length !== n) throw new Error(`an adapter of ${a.down.length}/${a.up.length} values, a slot holds ${n}`);
    return 'loaded';
  } catch (e) {
    if (e instanceof AdapterError && e.message.length > 0) return 'adapterError';
    throw e;
  }
}

