/**
 * The GPU device after a loss: how the engine tells that it was lost, and a fresh one to recover on.
 *
 * Telling: a run on a device lost mid-call does not always fail with words saying so. Measured in
 * Chromium (SwiftShader, onnxruntime-web 1.30, the page's engine worker): a device destroyed during
 * a denoiser step fails that step with "Failed to execute 'mapAsync' on 'GPUBuffer': Buffer was
 * unmapped before mapping was resolved" (an onnxruntime BufferManager::Download error), which
 * sessions.ts isDeviceLost cannot read as a loss. The device itself says it: its `lost` promise
 * resolves. So after a failed run on WebGPU the engine asks the device (deviceWasLost).
 *
 * Recovering:
 *
 * Measured in Chromium with onnxruntime-web 1.30 (/webgpu bundle): after the device is lost,
 * every new session created with `executionProviders: ['webgpu']` reuses the dead device and
 * fails again, so "recreate the sessions" alone never recovers. A session created with
 * `{ name: 'webgpu', device }` and a newly requested device runs correctly (same outputs as
 * before the loss). So the engine asks for a new device here and hands it to every session it
 * recreates.
 *
 * The device gets the adapter's own maximum for the limits large models hit (storage buffers,
 * workgroup sizes) — WebGPU's defaults (128 MiB bindings) are too small for big weights — and
 * shader-f16 when the adapter has it (fp16 variants need it).
 */

interface GpuAdapterLike {
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<unknown>;
}

/** Limits onnxruntime's own device request raises to the adapter's maximum. */
export const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** The descriptor for a device as capable as the adapter allows (pure, unit-tested). */
export function deviceDescriptor(adapter: Pick<GpuAdapterLike, 'features' | 'limits'>): { requiredFeatures: string[]; requiredLimits: Record<string, number> } {
  const requiredLimits: Record<string, number> = {};
  for (const k of RAISED_LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === 'number' && Number.isFinite(v)) requiredLimits[k] = v;
  }
  const requiredFeatures = ['shader-f16'].filter((f) => adapter.features.has(f));
  return { requiredFeatures, requiredLimits };
}

/** A new GPUDevice on a newly requested adapter, or null where there is no WebGPU. */
export async function requestFreshWebGpuDevice(): Promise<unknown | null> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(o?: object): Promise<GpuAdapterLike | null> } } }).navigator?.gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  return adapter.requestDevice(deviceDescriptor(adapter));
}

/**
 * Whether `device` (a GPUDevice; anything else is "not lost") has been lost: its `lost` promise
 * resolved, or resolves within `waitMs` — Dawn may deliver the loss after the failed call that it
 * caused reaches the engine. Asked only after a run failed, so the wait never delays a good step.
 */
export async function deviceWasLost(device: unknown, waitMs: number): Promise<boolean> {
  const lost = (device as { lost?: unknown } | null | undefined)?.lost;
  if (!lost || typeof (lost as Promise<unknown>).then !== 'function') return false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
  try {
    return await Promise.race([(lost as Promise<unknown>).then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
