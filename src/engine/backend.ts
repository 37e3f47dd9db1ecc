/**
 * Backend and weight-variant choice. Pure `chooseBackend` / `chooseVariant` take what was
 * probed (so they are unit-tested); `probeEnvironment` is the I/O edge (navigator.gpu).
 *
 * Facts behind the rules (/work/shared/BROWSER.md): a software WebGPU adapter (SwiftShader,
 * `isFallbackAdapter`) is 300–500× slower than wasm, so it counts as no WebGPU; an fp16 graph on
 * a device without shader-f16 silently returns zeros on the JSEP bundle, so fp16 is chosen only
 * with shader-f16; multithreaded wasm needs cross-origin isolation.
 */
import { NoBackendError } from './errors';
import type { GpuBufferLimits } from '../package/attention-fit';
import type { Backend, Variant } from '../package/variants';
import type { BackendInfo, LoadOptions } from './types';

export interface WebGpuProbe {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  /**
   * The adapter's limits on one buffer, which the engine's device gets in full (webgpu-device.ts
   * RAISED_LIMITS): what src/package/attention-fit.ts judges a preset's attention by. Absent when the
   * adapter gave none (then nothing is judged).
   */
  limits?: GpuBufferLimits;
}

export interface EnvironmentProbe {
  /** null: no navigator.gpu or no adapter; `webgpuProblem` says which. */
  webgpu: WebGpuProbe | null;
  webgpuProblem?: string;
  wasm: boolean;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  /** Node has SharedArrayBuffer and worker threads without COOP/COEP. */
  isNode: boolean;
}

export const MAX_WASM_THREADS = 4; // beyond 4 threads small graphs stop scaling and the page gets janky

export function isSoftwareAdapter(a: WebGpuProbe): boolean {
  return a.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/i.test(`${a.vendor} ${a.architecture} ${a.description}`);
}

export function chooseBackend(env: EnvironmentProbe, options: Pick<LoadOptions, 'backend' | 'numThreads'> = {}): BackendInfo {
  const want = options.backend ?? 'auto';
  const gpu = env.webgpu;
  const gpuName = gpu ? (gpu.description || [gpu.vendor, gpu.architecture].filter(Boolean).join(' ') || 'WebGPU adapter') : '';
  const shaderF16 = !!gpu?.features.includes('shader-f16');

  if (want === 'webgpu') {
    if (!gpu) throw new NoBackendError(`WebGPU was requested but is not available (${env.webgpuProblem ?? 'no adapter'}). Use a browser with WebGPU (Chrome/Edge 113+) or choose the WebAssembly backend.`, { requested: 'webgpu' });
    const soft = isSoftwareAdapter(gpu);
    return {
      backend: 'webgpu', shaderF16, threads: 0, ...gpuLimits(gpu),
      description: `${gpuName} (webgpu)`,
      reason: soft ? 'WebGPU forced by the user on a software adapter: expect it to be much slower than WebAssembly.' : 'WebGPU forced by the user.',
    };
  }

  if (want === 'auto' && gpu && !isSoftwareAdapter(gpu)) {
    return { backend: 'webgpu', shaderF16, threads: 0, ...gpuLimits(gpu), description: `${gpuName} (webgpu)`, reason: `WebGPU on a hardware adapter${shaderF16 ? ' with shader-f16' : ''}.` };
  }

  if (!env.wasm) {
    throw new NoBackendError('Neither WebGPU nor WebAssembly is available here: use a current Chrome, Edge, Firefox or Safari.', { webgpu: !!gpu, wasm: false });
  }
  const threadsAllowed = env.isNode || env.crossOriginIsolated;
  const cores = Math.max(1, env.hardwareConcurrency || 1);
  const auto = threadsAllowed ? Math.min(MAX_WASM_THREADS, cores) : 1;
  const threads = options.numThreads && options.numThreads > 0 ? (threadsAllowed ? options.numThreads : 1) : auto;
  const why: string[] = [];
  if (want === 'wasm') why.push('WebAssembly chosen by the user');
  else if (gpu) why.push(`the WebGPU adapter is a software fallback (${gpuName}), about 300–500× slower than WebAssembly here`);
  else why.push(`no WebGPU (${env.webgpuProblem ?? 'no adapter'})`);
  if (!threadsAllowed) why.push('1 thread because the page is not cross-origin isolated (COOP/COEP headers missing)');
  else why.push(`${threads} thread${threads === 1 ? '' : 's'} of ${cores} cores`);
  return {
    backend: 'wasm', shaderF16: false, threads,
    description: `WebAssembly, ${threads} thread${threads === 1 ? '' : 's'}`,
    reason: capitalize(why.join('; ')) + '.',
  };
}

function gpuLimits(gpu: WebGpuProbe): Pick<BackendInfo, 'gpuLimits'> {
  return gpu.limits ? { gpuLimits: { ...gpu.limits } } : {};
}

/**
 * Variant preference per backend. WebGPU: fp16 only with shader-f16 (never otherwise), then fp32.
 * wasm: int8 first — measured here with onnxruntime-web 1.30, 2 threads, steady state, on
 * vidlet-tiny: denoiser (B=3) 86 vs 115 ms, VAE decoder 268 vs 385 ms, preview decoder 2.0 vs
 * 2.0 ms (int8 vs fp32), and a quarter of the download. The text encoder's int8 is weight-only
 * (int8 weights dequantized in the graph, float arithmetic): 1.2× slower per call than fp32
 * (125 vs 101 ms, B=2, 1 thread) but 24 MB instead of 90 MB, and it runs once per prompt (its
 * output is cached), so int8 is first for it too.
 */
export function variantPreference(backend: Backend, shaderF16: boolean, component = ''): Variant[] {
  if (backend === 'webgpu') return [...(shaderF16 ? (['fp16'] as const) : []), 'fp32', 'q4', 'int8'];
  if (FULL_PRECISION_ON_CPU.has(component)) return ['fp32', 'int8', 'q4'];
  return ['int8', 'fp32', 'q4'];
}

/**
 * Components kept in fp32 on wasm even when an int8 variant is shipped (e.g. one whose int8 is
 * slower and saves little download). Empty: the text encoder's weight-only int8 is 1.2× slower but
 * a quarter of the bytes. Accuracy is not a reason to list one: a user can force int8, so
 * tests/integration/variants.test.ts holds every shipped int8 to 5% of fp32 regardless.
 */
export const FULL_PRECISION_ON_CPU = new Set<string>();

export interface VariantChoice {
  variant: Variant;
  reason: string;
}

/**
 * The variant of one component to load. `available` maps variant → its `requires` list.
 * A forced variant that cannot run correctly (fp16 without shader-f16) is refused, not degraded.
 */
export function chooseVariant(
  component: string,
  available: Partial<Record<Variant, { requires?: string[] }>>,
  backend: BackendInfo,
  forced: Variant | 'auto' = 'auto',
): VariantChoice {
  const features = new Set(backend.shaderF16 ? ['shader-f16'] : []);
  const runnable = (v: Variant) => {
    const spec = available[v];
    if (!spec) return false;
    if (v === 'fp16' && !backend.shaderF16) return false;
    return (spec.requires ?? []).every((f) => features.has(f));
  };
  const names = Object.keys(available) as Variant[];
  if (forced !== 'auto' && available[forced]) {
    if (!runnable(forced)) {
      throw new NoBackendError(`The ${forced} weights of the ${component} need ${forced === 'fp16' ? 'a GPU with shader-f16' : (available[forced]!.requires ?? []).join(', ')}, which ${backend.description} lacks. Choose another variant (${names.join(', ')}).`, { component, variant: forced });
    }
    return { variant: forced, reason: 'chosen by the user' };
  }
  // A component that lacks the forced variant (e.g. a VAE shipped only in fp32) falls back to the preference order.
  for (const v of variantPreference(backend.backend, backend.shaderF16, component)) {
    if (runnable(v)) return { variant: v, reason: forced === 'auto' ? `best runnable on ${backend.backend}` : `${forced} not shipped for this component` };
  }
  throw new NoBackendError(`No weights of the ${component} run on ${backend.description}: the package has ${names.join(', ') || 'none'}${backend.shaderF16 ? '' : ' (fp16 needs shader-f16)'}.`, { component });
}

/** Probes navigator.gpu (browser/worker) — in Node there is none unless a WebGPU shim is installed. */
export async function probeEnvironment(): Promise<EnvironmentProbe> {
  const g = globalThis as unknown as {
    navigator?: { gpu?: { requestAdapter(o?: object): Promise<unknown> }; hardwareConcurrency?: number };
    crossOriginIsolated?: boolean;
    WebAssembly?: unknown;
    process?: { versions?: { node?: string } };
  };
  const isNode = !!g.process?.versions?.node;
  const env: EnvironmentProbe = {
    webgpu: null,
    wasm: typeof g.WebAssembly === 'object',
    hardwareConcurrency: g.navigator?.hardwareConcurrency ?? (isNode ? await nodeCores() : 1),
    crossOriginIsolated: !!g.crossOriginIsolated,
    isNode,
  };
  const gpu = g.navigator?.gpu;
  if (!gpu) {
    env.webgpuProblem = isNode ? 'Node has no WebGPU' : 'this browser has no navigator.gpu';
    return env;
  }
  try {
    const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as {
      info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
      isFallbackAdapter?: boolean;
      features: Iterable<string>;
      limits?: Record<string, unknown>;
    } | null;
    if (!adapter) {
      env.webgpuProblem = 'navigator.gpu gave no adapter (GPU blocklisted or disabled)';
      return env;
    }
    const info = adapter.info ?? {};
    env.webgpu = {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      description: info.description ?? '',
      // Chrome moved isFallbackAdapter from the adapter to adapter.info; read both.
      isFallbackAdapter: !!(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
      features: [...adapter.features],
      ...bufferLimitsOf(adapter.limits),
    };
  } catch (e) {
    env.webgpuProblem = `requestAdapter failed: ${(e as Error).message}`;
  }
  return env;
}

/** The adapter's maxBufferSize and maxStorageBufferBindingSize, when it reports both as numbers. */
export function bufferLimitsOf(limits: Record<string, unknown> | undefined): { limits?: GpuBufferLimits } {
  const buffer = limits?.maxBufferSize;
  const binding = limits?.maxStorageBufferBindingSize;
  if (typeof buffer !== 'number' || typeof binding !== 'number' || !(buffer > 0) || !(binding > 0)) return {};
  return { limits: { maxBufferSize: buffer, maxStorageBufferBindingSize: binding } };
}

async function nodeCores(): Promise<number> {
  try {
    const os = await import(/* @vite-ignore */ 'node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return 1;
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
