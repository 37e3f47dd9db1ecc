/**
 * Whether a load keeps its text encoder's part sessions once they are made (LoadOptions.keepTextEncoder;
 * src/package/parts.ts). Per call, the default, each new prompt reads every part's files and makes,
 * runs and releases its sessions one at a time, so only the largest part is ever in memory. Kept,
 * a part's session stays after its first run: a later prompt reads no file and makes no session,
 * and every part's weights stay in memory beside the other sessions'.
 *
 * The rule: keeping must take nothing away from what the load could do per call. On WebAssembly
 * every session lives in the one 4 GiB memory (attention-fit.ts WASM_MEMORY_BYTES), so the kept
 * weights must fit it and leave every clip size the room for its attention scores that it had per
 * call, at each guidance pass count; otherwise the parts stay per call, and the note says why with
 * the numbers. On WebGPU the weights live in GPU memory, which the browser does not report, and
 * each part is still made as its own session (its copy in WebAssembly memory is the largest-part
 * figure, as per call): kept. Pure: numbers in, the decision and its words out.
 */
import { attentionShortfall, bufferLimits, WASM_MEMORY_BYTES, type AttentionSize } from '../package/attention-fit';
import { formatBytes } from '../package/byte-units';
import type { Backend } from '../package/variants';

/** What a load does with its text encoder in parts (ModelInfo.textEncoderParts, the page's load plan). */
export interface TextEncoderParts {
  parts: number;
  /** Every part's files: what the kept sessions hold once each part has run. */
  allBytes: number;
  /** Its largest part's files: all that per-call parts hold at once. */
  largestPartBytes: number;
  /** Whether the part sessions stay after their first run. */
  kept: boolean;
  /** Keeping was asked for but is not done: why, with the numbers (the load runs the parts per call). */
  note?: string;
}

export interface ResidencyFacts {
  backend: Backend;
  /** The weights every session of the load holds at once with the parts per call (load-plan.ts weightsInMemory). */
  weightsPerCall: number;
  parts: number;
  allBytes: number;
  largestPartBytes: number;
  /** The clip sizes a request may ask for, with their attention scores' bytes where known (manifest presets). */
  sizes: readonly AttentionSize[];
  /** The most guidance passes one denoiser call of this package may hold (guidance.ts planGuidance). */
  maxPasses: number;
}

/** The text encoder's residency on a load that asked to keep it (`keep`) or not. */
export function partsResidency(f: ResidencyFacts, keep: boolean): TextEncoderParts {
  const plan = { parts: f.parts, allBytes: f.allBytes, largestPartBytes: f.largestPartBytes };
  if (!keep) return { ...plan, kept: false };
  const why = keepingProblem(f);
  return why ? { ...plan, kept: false, note: `The text encoder's ${f.parts} parts run one at a time for each new prompt: ${why}.` } : { ...plan, kept: true };
}

/** Bytes keeping adds to what the load holds per call. */
export function keptExtraBytes(p: Pick<TextEncoderParts, 'allBytes' | 'largestPartBytes'>): number {
  return p.allBytes - p.largestPartBytes;
}

/** One sentence on what a load does with its text encoder in parts and what that holds, for the CLI and the page. */
export function describeResidency(p: TextEncoderParts): string {
  if (p.note) return p.note;
  if (p.kept) {
    return `The text encoder's ${p.parts} parts stay loaded after their first use: ${formatBytes(p.allBytes)} held, ${formatBytes(keptExtraBytes(p))} more than one part at a time.`;
  }
  return (
    `The text encoder's ${p.parts} parts run one at a time for each new prompt (${formatBytes(p.largestPartBytes)} held at most); ` +
    `keeping them loaded would start new prompts sooner and hold ${formatBytes(keptExtraBytes(p))} more.`
  );
}

/** Why keeping the parts would take something away on this backend (undefined: nothing). */
function keepingProblem(f: ResidencyFacts): string | undefined {
  if (f.backend !== 'wasm') return undefined;
  const kept = f.weightsPerCall + keptExtraBytes(f);
  if (kept > WASM_MEMORY_BYTES) {
    return (
      `keeping all ${formatBytes(f.allBytes)} of them would hold ${formatBytes(kept)} of weights, ` +
      `more than the ${formatBytes(WASM_MEMORY_BYTES)} WebAssembly memory`
    );
  }
  const perCall = bufferLimits('wasm', undefined, f.weightsPerCall);
  const keeping = bufferLimits('wasm', undefined, kept);
  for (const size of f.sizes) {
    for (let passes = 1; passes <= f.maxPasses; passes++) {
      const lost = attentionShortfall(size, passes, perCall) === undefined ? attentionShortfall(size, passes, keeping) : undefined;
      if (lost) return `keeping all ${formatBytes(f.allBytes)} of them would leave too little WebAssembly memory for a size that fits without: ${lost}`;
    }
  }
  return undefined;
}
