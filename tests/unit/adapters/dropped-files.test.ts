import { describe, expect, it } from 'vitest';
import { pairDroppedFiles } from '../../../src/engine/adapters/dropped-files';

const text = (s: string) => new TextEncoder().encode(s);

describe('pairDroppedFiles', () => {
  it('pairs weights with their description by name, and collects blender tables', () => {
    const w = new Uint8Array([1, 2, 3]);
    const r = pairDroppedFiles([
      { name: 'adapters/pip.json', bytes: text('{"name":"pip"}') },
      { name: 'pip.safetensors', bytes: w },
      { name: 'pip+figure-eight.blender.json', bytes: text('{"format":"vidlet-stage-blender"}') },
    ]);
    expect(r.problems).toEqual([]);
    expect(r.adapters).toHaveLength(1);
    expect(r.adapters[0]!.weights).toBe(w);
    expect(r.adapters[0]!.description).toEqual({ name: 'pip' });
    expect(r.adapters[0]!.source).toBe('pip.safetensors');
    expect(r.blenders).toEqual([{ source: 'pip+figure-eight.blender.json', json: { format: 'vidlet-stage-blender' } }]);
  });

  it('reports each unusable file and keeps the good ones', () => {
    const r = pairDroppedFiles([
      { name: 'a.safetensors', bytes: new Uint8Array(1) },
      { name: 'b.json', bytes: text('{}') },
      { name: 'c.json', bytes: text('{oops') },
      { name: 'clip.mp4', bytes: new Uint8Array(1) },
      { name: 'ok.json', bytes: text('{}') },
      { name: 'ok.SAFETENSORS', bytes: new Uint8Array(1) },
    ]);
    // A lone .safetensors is an adapter without a description (a LoRA from another trainer); a lone .json is not.
    expect(r.adapters.map((a) => a.source)).toEqual(['a.safetensors', 'ok.SAFETENSORS']);
    expect(r.adapters[0]!.description).toBeUndefined();
    expect('description' in r.adapters[0]!).toBe(false);
    expect(r.adapters[1]!.description).toEqual({});
    expect(r.problems).toHaveLength(3);
    expect(r.problems).toContain('b.json has no b.safetensors beside it; drop the weights together with the description.');
    expect(r.problems.some((p) => p.startsWith('c.json is not valid JSON'))).toBe(true);
    expect(r.problems.some((p) => p.startsWith('clip.mp4 is not an adapter file'))).toBe(true);
  });
});
