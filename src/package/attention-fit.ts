/**
 * Whether a clip size's attention fits this device (docs/model-package.md "Presets"), decided before
 * a run starts and, for a package as a whole, before its download. A converted denoiser computes
 * self-attention unfused (MatMul, Softmax, MatMul), so one denoiser call needs one buffer holding the
 * scores [B, heads, N, N] in float32; a size's `attentionScoresBytes` (a preset's, or the manifest's
 * `video`'s: a package without presets has only that one) is that buffer for B = 2.
 * Stated once here: the engine refuses a request by it, the page disables presets by it, the model
 * library refuses a package by it, each with this sentence.
 *
 * What bounds that buffer:
 * - WebGPU: one tensor is one GPUBuffer, so no more than the device's `maxBufferSize`; and one shader
 *   binding of it no more than `maxStorageBufferBindingSize`. onnxruntime-web 1.31's WebGPU provider
 *   binds a larger tensor in segments, but measured in Chromium (SwiftShader; an unfused attention
 *   with 144 MB of scores, the provider's binding limit set to 128 MiB) the last rows came out off by
 *   the size of the outputs themselves, with no error (scripts/attention-binding-probe.ts). So both
 *   limits count. onnxruntime's device gets the adapter's own maximum of both (the same probe read
 *   its device's limits back; webgpu-device.ts RAISED_LIMITS), which is what the worker's probe reads.
 * - WebAssembly: one 4 GiB memory (wasm32) holds every session's weights and the scores beside them.
 *   The Softmax's output is a second buffer as large, so passing this check does not promise the
 *   step runs; failing it means it cannot.
 */
import { formatBytes } from './byte-units';
import type { ClipSize } from './presets';
import type { Backend } from './variants';

/**
 * wasm32 addresses at most 4 GiB (memory64 is not what onnxruntime-web ships). onnxruntime-web
 * copies a graph and its external data into its wasm heap to build a session, on WebGPU too (the
 * weights reach the GPU from there), so no one component may exceed it.
 */
export const WASM_MEMORY_BYTES = 4 * 1024 ** 3;

/** The batch `attentionScoresBytes` is written for: the engine's CFG pair (the converter's attention_size). */
export const SCORES_BATCH = 2;

/** The two WebGPU limits on one buffer (GPUSupportedLimits names). */
export interface GpuBufferLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** What bounds one buffer on the device a load runs on. */
export type BufferLimits =
  | ({ backend: 'webgpu' } & GpuBufferLimits)
  | { backend: 'wasm'; memoryBytes: number; weightsBytes: number };

/**
 * The limits of a load on `backend`: on WebGPU the device's (undefined when the adapter gave none:
 * nothing is judged then), on WebAssembly its memory less `weightsBytes`, the weights every session
 * holds at once (load-plan.ts sessionMemory).
 */
export function bufferLimits(backend: Backend, gpu: GpuBufferLimits | undefined, weightsBytes: number): BufferLimits | undefined {
  if (backend === 'wasm') return { backend, memoryBytes: WASM_MEMORY_BYTES, weightsBytes };
  return gpu ? { backend, maxBufferSize: gpu.maxBufferSize, maxStorageBufferBindingSize: gpu.maxStorageBufferBindingSize } : undefined;
}

/**
 * Bytes of the scores for `passes` guidance passes in one denoiser call (the engine's batch: 1 with
 * guidance 1 on a package with CFG only, 2 with it; guidance.ts planGuidance), from the bytes for 2.
 */
export function attentionBytes(scoresBytes: number, passes: number): number {
  return (scoresBytes / SCORES_BATCH) * passes;
}

/** The most bytes the scores may take on this device, and the words for what sets it. */
export function attentionLimit(l: BufferLimits): { bytes: number; why: string } {
  if (l.backend === 'wasm') {
    const room = Math.max(0, l.memoryBytes - l.weightsBytes);
    return { bytes: room, why: `the ${formatBytes(l.memoryBytes)} WebAssembly memory has only ${formatBytes(room)} left beside the model's ${formatBytes(l.weightsBytes)} of weights` };
  }
  if (l.maxStorageBufferBindingSize <= l.maxBufferSize) {
    return { bytes: l.maxStorageBufferBindingSize, why: `this GPU binds at most ${formatBytes(l.maxStorageBufferBindingSize)} of one buffer (maxStorageBufferBindingSize)` };
  }
  return { bytes: l.maxBufferSize, why: `this GPU makes buffers of at most ${formatBytes(l.maxBufferSize)} (maxBufferSize)` };
}

/** A clip size as the rule reads it: a preset (ModelInfo.presets, the manifest's) or the size a request got. */
export interface AttentionSize {
  name: string;
  video: ClipSize;
  attentionScoresBytes?: number;
  /** The package's one size (no presets): there is no smaller one to choose. */
  only?: boolean;
}

/**
 * The one size of a package without presets, its manifest's `video` (ModelInfo's) with the figure the
 * converter writes there, as the rule reads it: named by the package, so it is judged, and its sentence
 * reads, as a package's one preset would.
 */
export function oneSize(packageName: string, video: ClipSize & { attentionScoresBytes?: number }): AttentionSize {
  return {
    name: packageName, video: { frames: video.frames, height: video.height, width: video.width }, only: true,
    ...(video.attentionScoresBytes === undefined ? {} : { attentionScoresBytes: video.attentionScoresBytes }),
  };
}

/**
 * The engine's refusal of a request whose size does not fit (InvalidRequestError, field `preset`), from
 * attentionProblem's sentence: led by the request's field where the package has presets.
 */
export function sizeRefusal(preset: string | undefined, problem: string): string {
  return `${preset === undefined ? '' : 'preset '}${problem}.`;
}

/**
 * Why `size` cannot run with `passes` guidance passes per denoiser call on a device with `limits`, as
 * a sentence starting with the preset's name and saying what would fit (a smaller size, or one pass
 * per step when that fits); undefined when it fits, or when its attention or the limits are unknown.
 */
export function attentionProblem(size: AttentionSize, passes: number, limits: BufferLimits | undefined): string | undefined {
  const short = attentionShortfall(size, passes, limits);
  if (!short) return undefined;
  const one = attentionBytes(size.attentionScoresBytes!, 1);
  const fewer = passes > 1 && one <= attentionLimit(limits!).bytes ? `, or fewer guidance passes (guidance 1: one pass per step needs ${formatBytes(one)})` : '';
  const smaller = size.only ? "it is the package's only size, so a smaller clip needs the model converted at a smaller size" : 'choose a smaller size';
  return `${short}; ${smaller}${fewer}`;
}

/** attentionProblem's statement of the numbers alone, without what to do (for a caller with its own advice). */
export function attentionShortfall(size: AttentionSize, passes: number, limits: BufferLimits | undefined): string | undefined {
  if (size.attentionScoresBytes === undefined || !limits) return undefined;
  const need = attentionBytes(size.attentionScoresBytes, passes);
  const limit = attentionLimit(limits);
  if (need <= limit.bytes) return undefined;
  return (
    `${size.name} (${size.video.frames} frames of ${size.video.width}×${size.video.height}) needs ${formatBytes(need)} in one buffer for one attention step ` +
    `(its scores, ${passes} pass${passes === 1 ? '' : 'es'} per step), but ${limit.why}`
  );
}

/**
 * Why no size of a package can run on this device even with one guidance pass per step (the model
 * library refuses it before download): every size's attention is known and none fits; the sentence
 * names the one needing least. Undefined when one fits, or anything is unknown.
 */
export function noSizeFits(sizes: readonly AttentionSize[], limits: BufferLimits | undefined): string | undefined {
  if (sizes.length === 0 || sizes.some((s) => attentionShortfall(s, 1, limits) === undefined)) return undefined;
  const least = sizes.reduce((a, b) => (b.attentionScoresBytes! < a.attentionScoresBytes! ? b : a));
  return `No size it offers fits this device, even with one pass per step (guidance 1): ${sizes.length === 1 ? 'its one size' : 'its smallest'}, ${attentionShortfall(least, 1, limits)}.`;
}

/**
 * The preset a run should make when the user has not picked one this device can make: `preferred`
 * (the package's default) when it fits, else the largest clip (frames × height × width) that fits,
 * else `preferred` (nothing fits: the refusal then names it).
 */
export function presetThatFits<P extends AttentionSize>(presets: readonly P[], preferred: string, passes: number, limits: BufferLimits | undefined): string {
  const fits = presets.filter((p) => attentionProblem(p, passes, limits) === undefined);
  if (fits.some((p) => p.name === preferred)) return preferred;
  const volume = (p: P) => p.video.frames * p.video.height * p.video.width;
  return fits.reduce<P | undefined>((best, p) => (best && volume(best) >= volume(p) ? best : p), undefined)?.name ?? preferred;
}
