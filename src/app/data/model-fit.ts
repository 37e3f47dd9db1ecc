/**
 * Whether a model package fits this device, decided before any weight is downloaded or stored:
 * the bytes it needs against the storage the browser grants this site, and each onnxruntime
 * session's weights against what WebAssembly memory can hold (for a text encoder in parts, its
 * largest part: each part is its own session, src/package/parts.ts; in the sum, all of them when the
 * load keeps them, src/engine/parts-residency.ts), and whether any of
 * its clip sizes' attention fits this device (src/package/attention-fit.ts). Pure: the facts come in (the
 * worker's load plan, navigator.storage.estimate()), the problems come out with their numbers.
 */
import type { Backend } from '../../package/variants';
import { noSizeFits, WASM_MEMORY_BYTES, type AttentionSize, type BufferLimits } from '../../package/attention-fit';
import { formatBytes } from './format-units';

// The 4 GiB of one WebAssembly memory is the attention rule's too (src/package/attention-fit.ts).
export { WASM_MEMORY_BYTES };

export interface FitFacts {
  /** Bytes that must be written to this site's storage (the download, or a local folder's files). */
  storeBytes: number;
  /** navigator.storage.estimate(); null where the browser gives none (then storage is not judged). */
  estimate: { usage: number; quota: number; free: number } | null;
  backend: Backend;
  /**
   * The variant of each component this device would load, with its files' bytes and the bytes its
   * sessions hold at once (src/engine/load-plan.ts ComponentPlan).
   */
  components: { name: string; variant: string; bytes: number; memoryBytes: number; partBytes?: number }[];
  /**
   * The package's clip sizes with their attention scores' bytes (its presets, or its one size) and what bounds
   * one buffer here (the worker's plan; absent where the GPU's limits are unknown): a package none of
   * whose sizes fits even with one guidance pass per step cannot make any clip here.
   */
  attention?: { sizes: AttentionSize[]; limits?: BufferLimits };
}

export interface FitProblem {
  kind: 'storage' | 'component-memory' | 'wasm-memory' | 'attention';
  message: string;
}

export function fitProblems(f: FitFacts): FitProblem[] {
  const problems: FitProblem[] = [];
  if (f.estimate && f.estimate.quota > 0 && f.storeBytes > f.estimate.free) {
    problems.push({
      kind: 'storage',
      message:
        `It needs ${formatBytes(f.storeBytes)} of storage, but this browser lets the site use only ${formatBytes(f.estimate.free)} more ` +
        `(${formatBytes(f.estimate.usage)} used of ${formatBytes(f.estimate.quota)}). Free disk space or delete other models, then try again.`,
    });
  }
  for (const c of f.components) {
    const session = largestSession(c);
    if (session > WASM_MEMORY_BYTES) {
      problems.push({
        kind: 'component-memory',
        message:
          `Its ${c.name} (${c.variant}) is ${formatBytes(session)}${c.partBytes !== undefined ? ' in its largest part' : ''}, more than the ${formatBytes(WASM_MEMORY_BYTES)} WebAssembly memory can hold, ` +
          'so onnxruntime-web cannot load it in any browser. Use a package with a smaller variant (q4) of it.',
      });
    }
  }
  // On the wasm backend every session lives in the one wasm heap, so their weights add up.
  const total = f.components.reduce((n, c) => n + c.memoryBytes, 0);
  if (f.backend === 'wasm' && total > WASM_MEMORY_BYTES && problems.every((p) => p.kind !== 'component-memory')) {
    problems.push({
      kind: 'wasm-memory',
      message:
        `Its weights in memory at once add up to ${formatBytes(total)} on WebAssembly (this device has no usable WebGPU), more than the ` +
        `${formatBytes(WASM_MEMORY_BYTES)} one WebAssembly memory holds. It needs a browser with WebGPU, or a smaller package.`,
    });
  }
  // Only when its weights load at all: the attention's room on wasm is what the weights leave.
  const sizes = f.attention && problems.every((p) => p.kind === 'storage') ? noSizeFits(f.attention.sizes, f.attention.limits) : undefined;
  if (sizes) {
    problems.push({
      kind: 'attention',
      message: `${sizes} ${f.backend === 'wasm' ? 'A browser with WebGPU' : 'A GPU that allows larger buffers'}, or a package converted at smaller sizes, could run it.`,
    });
  }
  return problems;
}

/**
 * The most one session of a component needs in WebAssembly memory to be made (on WebGPU too): its
 * largest part for a component in parts, kept or not, else all its weights.
 */
export function largestSession(c: FitFacts['components'][number]): number {
  return c.partBytes ?? c.memoryBytes;
}
