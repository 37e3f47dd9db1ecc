/**
 * The weight variants a model package may ship (docs/model-package.md, "Variant names") and the
 * backends that run them. The manifest parser refuses other variant names, the engine chooses
 * among these, the CLI's --backend / --variant take them (or 'auto'), and the settings embedded
 * in exports record them: one list each, so no layer knows a name another refuses.
 * Pure data: this module imports nothing, so every layer, the store included, may use it.
 */

/** Every variant takes and gives float32 at the graph boundary; fp16 runs only on WebGPU with shader-f16. */
export const VARIANTS = ['fp32', 'fp16', 'int8', 'q4'] as const;
export type Variant = (typeof VARIANTS)[number];

/** onnxruntime-web's execution providers Vidlet uses. */
export const BACKENDS = ['webgpu', 'wasm'] as const;
export type Backend = (typeof BACKENDS)[number];

export function isVariant(v: unknown): v is Variant {
  return (VARIANTS as readonly unknown[]).includes(v);
}
