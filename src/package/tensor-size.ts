/**
 * The largest tensor a package may make the engine build from its manifest's numbers (latents,
 * decoded video, text states, LoRA slots). Without a bound a manifest declaring a latent of
 * 2^53 − 1 rows parses, and the engine then fails with a RangeError ("Invalid typed array length")
 * or runs out of memory halfway into a generation. Pure: imports nothing.
 */

/**
 * 2^28 float32 values = 1 GiB for one tensor. onnxruntime-web's wasm32 heap is 4 GiB in all and
 * WebGPU buffers are smaller still (maxBufferSize is commonly 256 MiB–2 GiB), so nothing larger
 * can run in a browser; the largest real ones are far below it (Wan 2.1 14B's LoRA slots, 2 slots ×
 * 40 blocks × 4 projections × rank 64 × 5120, are 1.05·10^8; a 720p 81-frame latent is 4.8·10^6).
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

/** Why a tensor of shape `dims` is too large for the engine to build, or undefined when it is not. */
export function tensorSizeProblem(dims: readonly number[]): string | undefined {
  const elements = dims.reduce((a, b) => a * b, 1);
  if (elements <= MAX_TENSOR_ELEMENTS) return undefined;
  return `makes a tensor of [${dims.join(', ')}] = ${elements.toExponential(2)} values, more than the ${MAX_TENSOR_ELEMENTS} (1 GiB of float32) one tensor may hold in a browser`;
}
