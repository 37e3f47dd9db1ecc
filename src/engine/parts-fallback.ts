/**
 * WebGPU's failures inside a component in parts (src/package/parts.ts), caught at run time. A load
 * makes no session for such a component, so the load's own fall-back to WebAssembly (engine.ts
 * #load: WebGPU picked automatically but unable to make the sessions) never sees its graphs: they
 * first meet WebGPU at the first prompt. The same rule is applied there, to that component alone:
 * a failure of onnxruntime on WebGPU (a session it cannot make, a run it cannot do, a device lost
 * again after the recovery) moves the component to WebAssembly for the rest of the load, and
 * BackendInfo.reason says so as the load's fall-back does. Pure: no onnxruntime, no store.
 */
import { DeviceLostError, InferenceError, ModelFormatError, ModelLoadError } from './errors';
import type { ComponentName } from '../store/types';
import type { BackendInfo } from './types';

/**
 * Whether `e`, from running a component in parts on WebGPU, is WebGPU's to answer for: a session
 * onnxruntime could not make (`madeByOpen`: thrown while a part's session was made; a
 * ModelFormatError otherwise means the package's wiring, wrong on every backend) or a run it could
 * not do. A file the store cannot give (missing, corrupt) is not: WebAssembly would read it too.
 */
export function isWebGpuFailure(e: unknown, madeByOpen: boolean): boolean {
  if (e instanceof ModelFormatError) return madeByOpen;
  return e instanceof ModelLoadError || e instanceof InferenceError || e instanceof DeviceLostError;
}

const COMPONENT_WORDS: Partial<Record<ComponentName, string>> = { textEncoder: 'text encoder' };

/**
 * The load's BackendInfo once `component` runs on `wasm` (WebAssembly) while the rest stays on
 * WebGPU: the backend is still WebGPU's, the description names the exception, and the reason
 * says why, in the words of the load's fall-back ("WebGPU could not run …; using WebAssembly").
 */
export function withComponentOnWasm(backend: BackendInfo, component: ComponentName, wasm: BackendInfo, e: unknown): BackendInfo {
  const name = COMPONENT_WORDS[component] ?? component;
  const msg = ((e as Error)?.message ?? String(e)).slice(0, 200);
  return {
    ...backend,
    description: `${backend.description}; ${name} on ${wasm.description}`,
    reason: `${backend.reason} WebGPU could not run the ${name} (${msg}); using WebAssembly for it (${wasm.description}), the rest stays on WebGPU.`,
  };
}
