/**
 * Which weights a load of a package uses on a backend, and their bytes: the one rule the engine's
 * loadModel follows and the page's "add a model" preview reports before anything is downloaded.
 */
import { variantFiles } from '../store/manifest';
import type { Manifest } from '../store/types';
import type { Variant } from '../package/variants';
import { chooseVariant } from './backend';
import type { BackendInfo } from './types';

/** Components a generation needs (the VAE encoder is optional and not loaded for text-to-video). */
export const RUNTIME_COMPONENTS = ['textEncoder', 'denoiser', 'previewDecoder', 'vaeDecoder'] as const;
export type RuntimeComponent = (typeof RUNTIME_COMPONENTS)[number];

export function chooseVariants(manifest: Manifest, backend: BackendInfo, forced: Variant | 'auto' = 'auto'): Record<RuntimeComponent, Variant> {
  const variants = {} as Record<RuntimeComponent, Variant>;
  for (const name of RUNTIME_COMPONENTS) variants[name] = chooseVariant(name, manifest.components[name].variants, backend, forced).variant;
  return variants;
}

export interface ComponentPlan {
  name: RuntimeComponent;
  variant: Variant;
  /** The variant's files: graph plus external data, the bytes one onnxruntime session reads. */
  bytes: number;
}

export interface LoadPlan {
  components: ComponentPlan[];
  /** Bytes a load reads through the store (files shared by components counted once). */
  bytes: number;
}

export function planLoad(manifest: Manifest, backend: BackendInfo, forced: Variant | 'auto' = 'auto'): LoadPlan {
  const variants = chooseVariants(manifest, backend, forced);
  const components = RUNTIME_COMPONENTS.map((name) => ({
    name,
    variant: variants[name],
    bytes: variantFiles(manifest, { [name]: variants[name] }).reduce((n, f) => n + f.bytes, 0),
  }));
  return { components, bytes: variantFiles(manifest, variants).reduce((n, f) => n + f.bytes, 0) };
}
