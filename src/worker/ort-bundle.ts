/**
 * Which onnxruntime-web bundle the engine worker imports, per backend (VidletEngine asks once its
 * load has chosen one, engine/backend.ts). The /webgpu bundle loads the asyncify wasm (~27 MB),
 * and a session is made about 2× slower on it than on the plain one (~14 MB) even on the wasm
 * backend (scripts/ort-create-bundles.ts: denoiser.int8 0.67–1.03 s vs 0.42–0.66 s in Chromium;
 * warm page start 2.56 → 1.16 s median); the plain bundle cannot run WebGPU. The wasm path's files
 * are precached by the service worker, the WebGPU one's cached on first use (vite.config.ts).
 */
import type { Ort, OrtForBackend } from '../engine/sessions';
import type { Backend } from '../package/variants';

const BUNDLES: Record<Backend, () => Promise<Ort>> = {
  webgpu: () => import('onnxruntime-web/webgpu'),
  wasm: () => import('onnxruntime-web/wasm'),
};

export const ortForBackend: OrtForBackend = (backend) => BUNDLES[backend]();
