import { describe, expect, it } from 'vitest';
import { besideGraph, createComponentSession, isDeviceLost, runComponent, type Ort } from '../../../src/engine/sessions';
import type { BackendInfo } from '../../../src/engine/types';
import type { Component } from '../../../src/store/types';

const wasm: BackendInfo = { backend: 'wasm', description: 'WebAssembly, 1 thread', reason: '', shaderF16: false, threads: 1 };
const component: Component = {
  inputs: { latent: 'z' },
  outputs: { video: 'rgb' },
  variants: { fp32: { files: [{ path: 'vae.onnx', bytes: 3, sha256: '0'.repeat(64) }, { path: 'vae.onnx.data', bytes: 2, sha256: '0'.repeat(64) }] } },
};

function fakeOrt(seen: unknown[], run: () => Promise<Record<string, unknown>> = async () => ({ rgb: { dims: [1] } })): Ort {
  return {
    InferenceSession: {
      create: async (bytes: Uint8Array, options: unknown) => {
        seen.push({ bytes, options });
        return { inputNames: ['z'], outputNames: ['rgb'], run, release: async () => {} };
      },
    },
  } as unknown as Ort;
}

describe('sessions', () => {
  it('passes the graph bytes and its external data files by path', async () => {
    const seen: { bytes: Uint8Array; options: { externalData?: { path: string; data: Uint8Array }[]; executionProviders: string[] } }[] = [];
    const graph = new Uint8Array([1, 2, 3]);
    const data = new Uint8Array([4, 5]);
    const s = await createComponentSession(fakeOrt(seen), 'vaeDecoder', 'fp32', component, [{ path: 'vae.onnx', data: graph }, { path: 'vae.onnx.data', data }], wasm, ['latent'], ['video']);
    expect(seen[0]!.bytes).toBe(graph);
    expect(seen[0]!.options.externalData).toEqual([{ path: 'vae.onnx.data', data }]);
    expect(seen[0]!.options.executionProviders).toEqual(['wasm']);
    expect(s.inputs).toEqual({ latent: 'z' });
    // Role-named feeds/outputs are mapped to the graph's own names.
    const out = await runComponent(s, { latent: {} as never });
    expect(Object.keys(out)).toEqual(['video']);
  });

  it('names external data relative to the graph\'s folder, as the graph itself does', () => {
    expect(besideGraph('vae.onnx', 'vae.onnx.data')).toBe('vae.onnx.data');
    expect(besideGraph('vae/model.onnx', 'vae/model.onnx.data')).toBe('model.onnx.data');
    expect(besideGraph('a/b/model.onnx', 'a/b/w/1.bin')).toBe('w/1.bin');
    expect(besideGraph('vae/model.onnx', 'shared/w.bin')).toBe('shared/w.bin'); // outside its folder: as listed
  });

  it('names a role the manifest does not map, or a tensor the graph lacks', async () => {
    await expect(createComponentSession(fakeOrt([]), 'vaeDecoder', 'fp32', component, [{ path: 'a', data: new Uint8Array() }], wasm, ['latent', 'extra'], ['video']))
      .rejects.toThrow(/manifest.components.vaeDecoder.inputs.extra is missing/);
    const wrong = { ...component, outputs: { video: 'pixels' } };
    await expect(createComponentSession(fakeOrt([]), 'vaeDecoder', 'fp32', wrong, [{ path: 'a', data: new Uint8Array() }], wasm, ['latent'], ['video']))
      .rejects.toThrow(/no output named "pixels".*it has rgb/);
  });

  it('recognises a lost device; other run failures are InferenceError', async () => {
    expect(isDeviceLost(new Error('Device lost: the GPUDevice was lost'))).toBe(true);
    expect(isDeviceLost(new Error('VK_ERROR_DEVICE_LOST'))).toBe(true);
    expect(isDeviceLost(new Error('out of bounds'))).toBe(false);
    const s = await createComponentSession(fakeOrt([], async () => { throw new Error('GPUDevice is lost'); }), 'vaeDecoder', 'fp32', component, [{ path: 'a', data: new Uint8Array() }], wasm, ['latent'], ['video']);
    await expect(runComponent(s, {})).rejects.toMatchObject({ name: 'DeviceLostError' });
    const t = await createComponentSession(fakeOrt([], async () => { throw new Error('shape mismatch'); }), 'vaeDecoder', 'fp32', component, [{ path: 'a', data: new Uint8Array() }], wasm, ['latent'], ['video']);
    await expect(runComponent(t, {})).rejects.toMatchObject({ name: 'InferenceError', message: expect.stringMatching(/vaeDecoder failed to run: shape mismatch/) });
  });
});
