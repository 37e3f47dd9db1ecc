/**
 * Which weights a load of a package uses on a backend, and their bytes: the one rule the engine's
 * loadModel follows and the page's "add a model" preview reports before anything is downloaded.
 * The VAE is loaded as the whole-clip graph or as the frame-by-frame pair, never both (a real
 * model's decoder is hundreds of MB), chosen by `chooseVaeGraphs`.
 */
import { mappedRoles, requiredRoles, packageFeatures } from '../package/components';
import { sessionBytes, splitParts } from '../package/parts';
import { frameCalls, frameGraphRoles } from '../package/vae-decode';
import { latentSizes } from '../package/presets';
import type { Component, Manifest, PackageFile } from '../store/types';
import type { Variant } from '../package/variants';
import { chooseVariant } from './backend';
import { planGuidance } from './guidance';
import { partsResidency, type TextEncoderParts } from './parts-residency';
import type { BackendInfo } from './types';
import type { Tiling } from './vae-tiles';

/** Components a generation needs (the VAE encoder is optional and not loaded for text-to-video). */
export const RUNTIME_COMPONENTS = ['textEncoder', 'denoiser', 'previewDecoder', 'vaeDecoder'] as const;
export type RuntimeComponent = (typeof RUNTIME_COMPONENTS)[number];

/**
 * One onnxruntime session of a load: the frame pair makes two for the vaeDecoder, and a
 * sceneDenoiser (components.ts denoiserFor) a second for the denoiser, with the same variant rules.
 */
export type SessionKey = RuntimeComponent | 'sceneDenoiser' | 'vaeDecoderFirst' | 'vaeDecoderNext';

/** How the engine decodes video (VidletEngineOptions.vaeDecode; docs/model-package.md "Decoding in pieces"). */
export interface VaeDecodeOptions {
  /**
   * 'auto' (default): the frame-by-frame pair when the package has one that can decode its
   * latent length (every preset's, with presets), else the whole-clip graph. 'whole' / 'frames' force one ('frames' fails to load
   * a package without the pair).
   */
  graphs?: 'auto' | 'whole' | 'frames';
  /** 'auto' (default): the package's `vaeTiling` hint, or the budget below; 'off'; or explicit latent tiles. */
  tiling?: 'auto' | 'off' | Tiling;
  /**
   * Bytes one decoder call may use; with the package's `vaeTiling.bytesPerLatentPixel` it sizes the
   * tiles. A package without it refuses a budget at load (engine.ts memoryBudgetProblem).
   */
  memoryBudgetBytes?: number;
}

/** Which VAE graphs a load creates; throws (a message for ModelLoadError) when 'frames' is forced but impossible. */
export function chooseVaeGraphs(manifest: Manifest, option: VaeDecodeOptions['graphs'] = 'auto'): 'whole' | 'frames' {
  const pair = manifest.vaeDecoderFrames;
  // every clip length a request may ask for: the package's, or each preset's (src/package/presets.ts)
  const lengths = [...new Set(latentSizes(manifest).map((s) => s.frames))];
  const misfit = pair === undefined ? undefined : lengths.find((t) => frameCalls(t, pair) === null);
  const fits = pair !== undefined && misfit === undefined;
  if (option === 'whole') return 'whole';
  if (option === 'frames') {
    if (!pair) throw new Error(`${manifest.name} has no frame-by-frame VAE decoder (manifest.vaeDecoderFrames); decode with the whole-clip graph`);
    if (!fits) throw new Error(`${manifest.name}'s frame-by-frame VAE decoder cannot decode its ${misfit} latent frames`);
    return 'frames';
  }
  return fits ? 'frames' : 'whole';
}

/** What one session is made from: the graph's role maps, the required roles, the chosen variant's files. */
export interface SessionSpec {
  key: SessionKey;
  /** The component it belongs to (messages, variant preference). */
  component: RuntimeComponent;
  graph: Component;
  variant: Variant;
  roles: { inputs: string[]; outputs: string[] };
  files: PackageFile[];
  /**
   * The variant's `parts` (src/package/parts.ts) when it runs as several graphs, one session at a
   * time (engine.ts makes none at load); absent: one session from `files`.
   */
  parts?: number[];
  /** Where the manifest lists the graph, for messages: 'components.denoiser', 'vaeDecoderFrames.next'. */
  field: string;
}

export function planSessions(manifest: Manifest, backend: BackendInfo, forced: Variant | 'auto' = 'auto', vae: 'whole' | 'frames' = 'whole'): SessionSpec[] {
  const spec = (key: SessionKey, component: RuntimeComponent, graph: Component, roles: { inputs: string[]; outputs: string[] }, field = `components.${component}`): SessionSpec => {
    const variant = chooseVariant(component, graph.variants, backend, forced).variant;
    const { files, parts } = graph.variants[variant]!;
    return { key, component, graph, variant, roles, files, ...(parts ? { parts } : {}), field };
  };
  const features = packageFeatures(manifest);
  const out = (['textEncoder', 'denoiser', 'previewDecoder'] as const).map((name) =>
    spec(name, name, manifest.components[name], requiredRoles(name, features)));
  const scene = manifest.components.sceneDenoiser;
  if (scene) out.push(spec('sceneDenoiser', 'denoiser', scene, requiredRoles('sceneDenoiser', features), 'components.sceneDenoiser'));
  const pair = manifest.vaeDecoderFrames;
  if (vae === 'frames' && pair) {
    const roles = frameGraphRoles(pair);
    const graph = (g: typeof pair.first, r: typeof roles.first): Component => ({ inputs: r.inputs, outputs: r.outputs, variants: g.variants });
    const keys = (r: typeof roles.first) => ({ inputs: Object.keys(r.inputs), outputs: Object.keys(r.outputs) });
    out.push(spec('vaeDecoderFirst', 'vaeDecoder', graph(pair.first, roles.first), keys(roles.first), 'vaeDecoderFrames.first'));
    out.push(spec('vaeDecoderNext', 'vaeDecoder', graph(pair.next, roles.next), keys(roles.next), 'vaeDecoderFrames.next'));
  } else {
    // with the optional decode_noise when the package maps it (components.ts optionalRoles)
    out.push(spec('vaeDecoder', 'vaeDecoder', manifest.components.vaeDecoder, mappedRoles('vaeDecoder', features, manifest.components.vaeDecoder)));
  }
  return out;
}

export interface ComponentPlan {
  name: RuntimeComponent;
  variant: Variant;
  /** The variant's files: graph plus external data, the bytes its onnxruntime session(s) read. */
  bytes: number;
  /**
   * The bytes its sessions hold in memory at once: `bytes`, except for a component in parts run per
   * call, whose largest part is all that is ever held (sessionMemory).
   */
  memoryBytes: number;
  /**
   * A component in parts: its largest part's bytes, the most one of its sessions needs (each part
   * is its own session, kept or not); absent for a component of one graph.
   */
  partBytes?: number;
}

export interface LoadPlan {
  components: ComponentPlan[];
  /** Bytes a load reads through the store (files shared by components counted once). */
  bytes: number;
  /** A text encoder in parts: whether the load keeps its part sessions, and their bytes (parts-residency.ts). */
  textEncoderParts?: TextEncoderParts;
}

/** Each file once, in session order. */
export function sessionFiles(specs: readonly SessionSpec[]): PackageFile[] {
  const out = new Map<string, PackageFile>();
  for (const s of specs) for (const f of s.files) out.set(f.path, f);
  return [...out.values()];
}

function fileBytes(files: readonly PackageFile[]): number {
  return files.reduce((n, f) => n + f.bytes, 0);
}

/**
 * The bytes the sessions of `specs` hold in memory at once: every file of a one-graph session (each
 * path once, as sessionFiles), and of a session in parts only its largest part, since each part's
 * session is released before the next is made; all its files when its parts are kept (`keptParts`:
 * parts-residency.ts). Downloads count every file either way (sessionFiles).
 */
export function sessionMemory(specs: readonly SessionSpec[], keptParts = false): number {
  const perCall = keptParts ? [] : specs.filter((s) => s.parts);
  const held = specs.filter((s) => !perCall.includes(s));
  return fileBytes(sessionFiles(held)) + perCall.reduce((n, s) => n + sessionBytes(s.files, s.parts), 0);
}

/**
 * What a load of `manifest` on `backend` reads and holds: its components' plans, and for a text
 * encoder in parts whether its sessions are kept (`keepTextEncoder`, LoadOptions). The page's
 * preview states it before the download; loadModel follows the same rule (loadMemory).
 */
export function planLoad(
  manifest: Manifest, backend: BackendInfo, forced: Variant | 'auto' = 'auto', vae: VaeDecodeOptions['graphs'] = 'auto', keepTextEncoder = false,
): LoadPlan {
  const specs = planSessions(manifest, backend, forced, chooseVaeGraphs(manifest, vae));
  const { components, textEncoderParts } = loadMemory(manifest, specs, backend, keepTextEncoder);
  return { components, bytes: fileBytes(sessionFiles(specs)), ...(textEncoderParts ? { textEncoderParts } : {}) };
}

/**
 * The components' plans of a load's sessions (`specs`: every one planSessions gave) with the text
 * encoder's residency decided (parts-residency.ts: kept only where keeping takes nothing away).
 */
export function loadMemory(
  manifest: Manifest, specs: readonly SessionSpec[], backend: BackendInfo, keepTextEncoder: boolean,
): { components: ComponentPlan[]; textEncoderParts?: TextEncoderParts } {
  const perCall = componentPlans(specs);
  const text = specs.find((s) => s.key === 'textEncoder' && s.parts);
  if (!text) return { components: perCall };
  const textEncoderParts = partsResidency({
    ...partsFacts(text),
    backend: backend.backend,
    weightsPerCall: weightsInMemory(perCall),
    sizes: manifest.presets?.sizes ?? [],
    maxPasses: maxGuidancePasses(manifest),
  }, keepTextEncoder);
  return { components: textEncoderParts.kept ? componentPlans(specs, true) : perCall, textEncoderParts };
}

/** A session in parts: how many, and the bytes of all of them and of the largest. */
export function partsFacts(spec: Pick<SessionSpec, 'files' | 'parts'>): { parts: number; allBytes: number; largestPartBytes: number } {
  return { parts: splitParts(spec.files, spec.parts).length, allBytes: fileBytes(spec.files), largestPartBytes: sessionBytes(spec.files, spec.parts) };
}

/** The most passes one denoiser call of `manifest` may hold: every guidance the package can act on. */
function maxGuidancePasses(manifest: Manifest): number {
  return planGuidance(2, 1, manifest.motion !== undefined, manifest.text.contrast === undefined ? 0 : 1).passes.length;
}

/**
 * Each runtime component of a load's sessions (`specs`: every one planSessions gave) with its
 * variant and bytes; `keptParts`: a component in parts holds all its parts (sessionMemory).
 */
export function componentPlans(specs: readonly SessionSpec[], keptParts = false): ComponentPlan[] {
  return RUNTIME_COMPONENTS.map((name) => {
    const mine = specs.filter((s) => s.component === name);
    const parted = mine.filter((s) => s.parts);
    return {
      name, variant: mine[0]!.variant, bytes: fileBytes(sessionFiles(mine)), memoryBytes: sessionMemory(mine, keptParts),
      ...(parted.length > 0 ? { partBytes: Math.max(...parted.map((s) => sessionBytes(s.files, s.parts))) } : {}),
    };
  });
}

/**
 * The weights a load's sessions hold in memory at once, summed over its components: on WebAssembly
 * they share one memory (the page's fit rule, src/app/data/model-fit.ts, and the attention rule,
 * src/package/attention-fit.ts, count them so).
 */
export function weightsInMemory(components: readonly Pick<ComponentPlan, 'memoryBytes'>[]): number {
  return components.reduce((n, c) => n + c.memoryBytes, 0);
}

