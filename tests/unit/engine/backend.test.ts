import { afterEach, describe, expect, it, vi } from 'vitest';
import { bufferLimitsOf, chooseBackend, chooseVariant, probeEnvironment, type EnvironmentProbe } from '../../../src/engine/backend';

const swiftshader = { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true, features: [] };
const rtx = { vendor: 'nvidia', architecture: 'ada', description: 'NVIDIA GeForce RTX 4070', isFallbackAdapter: false, features: ['shader-f16'] };
const env = (over: Partial<EnvironmentProbe>): EnvironmentProbe => ({
  webgpu: null, wasm: true, hardwareConcurrency: 8, crossOriginIsolated: true, isNode: false, ...over,
});

describe('chooseBackend', () => {
  it('WebGPU only on a hardware adapter', () => {
    const b = chooseBackend(env({ webgpu: rtx }));
    expect(b.backend).toBe('webgpu');
    expect(b.shaderF16).toBe(true);
    expect(b.description).toMatch(/RTX 4070/);
  });

  it('a software adapter (SwiftShader) counts as no WebGPU, and says why', () => {
    const b = chooseBackend(env({ webgpu: swiftshader }));
    expect(b.backend).toBe('wasm');
    expect(b.reason).toMatch(/software fallback/);
    // Named SwiftShader even when isFallbackAdapter is not set.
    expect(chooseBackend(env({ webgpu: { ...swiftshader, isFallbackAdapter: false } })).backend).toBe('wasm');
  });

  it('wasm threads: min(4, cores) when cross-origin isolated, else 1 with the reason', () => {
    expect(chooseBackend(env({ hardwareConcurrency: 8 })).threads).toBe(4);
    expect(chooseBackend(env({ hardwareConcurrency: 2 })).threads).toBe(2);
    const b = chooseBackend(env({ crossOriginIsolated: false }));
    expect(b.threads).toBe(1);
    expect(b.reason).toMatch(/not cross-origin isolated/);
    expect(chooseBackend(env({ crossOriginIsolated: false, isNode: true, hardwareConcurrency: 2 })).threads).toBe(2);
  });

  it('user overrides', () => {
    expect(chooseBackend(env({ webgpu: rtx }), { backend: 'wasm' }).backend).toBe('wasm');
    expect(chooseBackend(env({ webgpu: swiftshader }), { backend: 'webgpu' }).backend).toBe('webgpu');
    expect(chooseBackend(env({}), { numThreads: 3 }).threads).toBe(3);
    expect(() => chooseBackend(env({}), { backend: 'webgpu' })).toThrow(expect.objectContaining({ name: 'NoBackendError' }));
    expect(() => chooseBackend(env({ wasm: false }))).toThrow(/Neither WebGPU nor WebAssembly/);
  });
});

describe('the GPU limits on one buffer (what a preset\'s attention must fit, src/package/attention-fit.ts)', () => {
  it('are read from the adapter when it reports both, and carried in the WebGPU BackendInfo', () => {
    expect(bufferLimitsOf({ maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31, maxComputeWorkgroupSizeX: 1024 })).toEqual({
      limits: { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 },
    });
    const limits = { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 };
    expect(chooseBackend(env({ webgpu: { ...rtx, limits } })).gpuLimits).toEqual(limits);
    expect(chooseBackend(env({ webgpu: { ...swiftshader, limits } }), { backend: 'webgpu' }).gpuLimits).toEqual(limits);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('probeEnvironment reads them from the adapter navigator.gpu gives', async () => {
    const adapter = {
      info: { vendor: 'nvidia', architecture: 'ada', description: 'RTX', isFallbackAdapter: false },
      features: new Set(['shader-f16']),
      limits: { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 - 4, maxStorageBuffersPerShaderStage: 10 },
    };
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => adapter }, hardwareConcurrency: 8 });
    const probe = await probeEnvironment();
    expect(probe.webgpu?.limits).toEqual({ maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 - 4 });
    expect(chooseBackend(probe).gpuLimits).toEqual({ maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 - 4 });
  });

  it('are unknown without both numbers, and never on WebAssembly', () => {
    expect(bufferLimitsOf(undefined)).toEqual({});
    expect(bufferLimitsOf({ maxBufferSize: 2 ** 32 })).toEqual({});
    expect(bufferLimitsOf({ maxBufferSize: 0, maxStorageBufferBindingSize: 1 })).toEqual({});
    expect('gpuLimits' in chooseBackend(env({ webgpu: rtx }))).toBe(false);
    const limits = { maxBufferSize: 1, maxStorageBufferBindingSize: 1 };
    expect('gpuLimits' in chooseBackend(env({ webgpu: { ...rtx, limits } }), { backend: 'wasm' })).toBe(false);
  });
});

describe('chooseVariant', () => {
  const wasm = chooseBackend(env({}));
  const gpuF16 = chooseBackend(env({ webgpu: rtx }));
  const gpuNoF16 = chooseBackend(env({ webgpu: { ...rtx, features: [] } }));
  const all = { fp32: {}, fp16: { requires: ['shader-f16'] }, int8: {} };

  it('fp16 only with shader-f16, never otherwise', () => {
    expect(chooseVariant('denoiser', all, gpuF16).variant).toBe('fp16');
    expect(chooseVariant('denoiser', all, gpuNoF16).variant).toBe('fp32');
    // wasm: int8 when shipped (faster and smaller there), else fp32.
    expect(chooseVariant('denoiser', all, wasm).variant).toBe('int8');
    expect(chooseVariant('denoiser', { fp32: {}, fp16: {} }, wasm).variant).toBe('fp32');
    // The text encoder too, since its int8 is weight-only and within 1.1% of fp32 (it was 47% off
    // as dynamic MatMulInteger int8 and had to stay fp32).
    expect(chooseVariant('textEncoder', all, wasm).variant).toBe('int8');
    expect(chooseVariant('textEncoder', { fp32: {} }, wasm).variant).toBe('fp32');
    // fp16 without a requires list is still refused without shader-f16.
    expect(chooseVariant('denoiser', { fp16: {}, int8: {} }, wasm).variant).toBe('int8');
    expect(() => chooseVariant('denoiser', { fp16: {} }, wasm)).toThrow(/fp16 needs shader-f16/);
    expect(() => chooseVariant('denoiser', all, gpuNoF16, 'fp16')).toThrow(/shader-f16/);
  });

  it('a forced variant applies where shipped, else the preference order', () => {
    expect(chooseVariant('denoiser', all, wasm, 'int8').variant).toBe('int8');
    expect(chooseVariant('vaeDecoder', { fp32: {} }, wasm, 'int8').variant).toBe('fp32');
  });
});
