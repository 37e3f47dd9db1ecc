/**
 * The worker side of addAdapter: what the engine throws for a bad adapter crosses postMessage
 * (structured clone, as comlink sends it) and is rebuilt on the page as the same class, with the
 * layer it names; a good adapter's listing comes back as data.
 */
import { describe, expect, it } from 'vitest';
import { AdapterError, SafetensorsError } from '../../../src/engine/adapters/errors';
import type { AdapterInfo, Engine } from '../../../src/engine/types';
import { EngineHost } from '../../../src/worker/engine-host';
import { deserializeError } from '../../../src/worker/error-transport';

function hostWith(addAdapter: Engine['addAdapter']): EngineHost {
  return new EngineHost({ addAdapter } as Engine);
}

async function crossed(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (wire) {
    return deserializeError(structuredClone(wire));
  }
  throw new Error('expected a rejection');
}

describe('EngineHost.addAdapter', () => {
  it('returns the adapter listing', async () => {
    const info: AdapterInfo = { name: 'pip', kind: 'identity', triggerWords: ['pip'], recommendedStrength: 1 };
    const seen: unknown[] = [];
    const host = hostWith(async (w, d, s) => {
      seen.push(w.length, d, s);
      return info;
    });
    expect(await host.addAdapter(new Uint8Array(3), { a: 1 }, 'pip.safetensors')).toEqual(info);
    expect(seen).toEqual([3, { a: 1 }, 'pip.safetensors']);
  });

  it('an AdapterError naming the layer arrives as an AdapterError with its fields', async () => {
    const message = 'Adapter "pip": blocks.3.attn.q.lora_A.weight has shape [8,256], but this model\'s blocks are 192 wide (expected [8,192]).';
    const error = await crossed(hostWith(async () => { throw new AdapterError('pip', 'blocks.3.attn.q.lora_A.weight', message); }).addAdapter(new Uint8Array(1), {}));
    expect(error).toBeInstanceOf(AdapterError);
    expect(error.message).toBe(message);
    expect((error as AdapterError).where).toBe('blocks.3.attn.q.lora_A.weight');
    expect((error as AdapterError).adapter).toBe('pip');
  });

  it('a SafetensorsError arrives as a SafetensorsError', async () => {
    const error = await crossed(hostWith(async () => { throw new SafetensorsError('header', 'pip.safetensors: the header is not JSON.'); }).addAdapter(new Uint8Array(1), {}));
    expect(error).toBeInstanceOf(SafetensorsError);
    expect(error.name).toBe('SafetensorsError');
    expect((error as SafetensorsError).where).toBe('header');
  });
});
