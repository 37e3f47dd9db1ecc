/**
 * Numerical health checks on component outputs. A NaN or ±Infinity in a velocity poisons every
 * later step and ends as a black or garbage clip with no error; typical causes are an fp16
 * graph overflowing, a broken quantized export or a misbehaving GPU driver. Catching it at the
 * step where it appears lets the engine say what happened and what to try instead.
 */
import { GenerationError } from './errors';

/** Index of the first NaN/±Infinity in `data`, or −1. */
export function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v − v is NaN exactly for NaN and ±Infinity; cheaper than Number.isFinite per element.
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Throws GenerationError when `data` holds a NaN or ±Infinity. */
export function assertFinite(data: Float32Array, what: string, where: { step?: number; steps?: number } = {}): void {
  const i = firstNonFinite(data);
  if (i < 0) return;
  const at = where.step !== undefined ? ` at step ${where.step}${where.steps !== undefined ? ` of ${where.steps}` : ''}` : '';
  throw new GenerationError(
    `The ${what} produced ${String(data[i])} (value ${i} of ${data.length})${at}. The model's numbers overflowed or the weights ` +
      'are damaged: try the fp32 variant, the WebAssembly backend, or a lower guidance scale.',
    { component: what, index: i, ...(where.step !== undefined ? { step: where.step } : {}) },
  );
}
