import { describe, expect, it } from 'vitest';
import { deviceDescriptor, requestFreshWebGpuDevice } from '../../../src/engine/webgpu-device';

describe('fresh WebGPU device', () => {
  it("asks for the adapter's maximum limits and shader-f16 only when the adapter has it", () => {
    const limits = { maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 ** 31, maxComputeWorkgroupStorageSize: 32768, maxTextureDimension2D: 16384 };
    const d = deviceDescriptor({ features: new Set(['shader-f16', 'timestamp-query']), limits });
    expect(d.requiredFeatures).toEqual(['shader-f16']);
    expect(d.requiredLimits).toEqual({ maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 ** 31, maxComputeWorkgroupStorageSize: 32768 });
    expect(deviceDescriptor({ features: new Set(), limits: {} })).toEqual({ requiredFeatures: [], requiredLimits: {} });
  });

  it('is null where there is no WebGPU (Node)', async () => {
    expect(await requestFreshWebGpuDevice()).toBeNull();
  });
});
