/**
 * How a package's VAE may be decoded in bounded memory (issue #11; docs/model-package.md "Decoding
 * in pieces"): the optional frame-by-frame causal decoder pair `vaeDecoderFrames` and the optional
 * spatial tiling hint `vaeTiling`. The rules are stated once here; the manifest parser
 * (src/store/manifest-vae.ts) checks packages against them and the engine (src/engine/vae-decode.ts)
 * plans its decoder calls with them. Pure data and checks (imports only the variant names' type and
 * the decode-noise role name).
 */
import { DECODE_NOISE_ROLE } from './components';
import type { Variant } from './variants';

/** One graph of the frame-by-frame pair (a component without its own variant choice rules). */
export interface FrameGraph {
  /** Latent frames one call takes: `first` ≥ 1 (Wan: 2), `next` ≥ 1 (Wan: 1). */
  latentFrames: number;
  /** role → ONNX tensor name: `latent` in, `video` out (the cache tensors are named by `cache`). */
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  variants: Partial<Record<Variant, { files: { path: string; bytes: number; sha256: string }[]; requires?: string[] }>>;
}

/**
 * One causal cache tensor. `first` outputs it and `next` takes it under `input`; `next` outputs
 * its updated value under `output`, which the following `next` call takes as `input` again.
 */
export interface CacheTensor {
  input: string;
  output: string;
  /** The shape it had at conversion (informational: it scales with the latent's h × w). */
  shape?: number[];
}

export interface VaeDecoderFrames {
  first: FrameGraph;
  next: FrameGraph;
  /** In order; every name appears once. */
  cache: CacheTensor[];
  /** Video frames `next` makes per call (informational; the engine reads the graphs' outputs). */
  videoFramesPerStep?: number;
}

/**
 * `vaeTiling`: the decoder graphs' spatial axes are dynamic, and decoding tiles of at most
 * `tile` × `tile` latent pixels, overlapping by `overlap`, is what the package's author found fits.
 */
export interface VaeTilingHint {
  /** Latent pixels along each side of a tile. */
  tile: number;
  /** Latent pixels shared by neighbouring tiles (blended linearly across in the decoded image). */
  overlap: number;
  /**
   * Optional: peak working memory of one decoder call per latent pixel of one latent frame
   * (bytes), so an engine given a memory budget can size tiles itself.
   */
  bytesPerLatentPixel?: number;
}

/**
 * The roles each frame graph maps besides the cache (the parser requires them; sessions check them),
 * and the optional ones: `decode_noise` as the whole-clip vaeDecoder's (src/package/components.ts
 * optionalRoles), the latent's shape, fed the same cut of the clip's decode noise as the latent.
 */
export const FRAME_GRAPH_ROLES = { inputs: ['latent'], outputs: ['video'], optionalInputs: [DECODE_NOISE_ROLE] } as const;

/**
 * Role names under which the engine checks and feeds the cache tensors: `cache.K` is cache[K].
 * `first` maps it as an output (name `input`); `next` as an input (`input`) and an output (`output`).
 */
export function cacheRole(k: number): string {
  return `cache.${k}`;
}

/** The role → tensor maps of `first` and `next`, cache included, as a session is checked against them. */
export function frameGraphRoles(f: VaeDecoderFrames): {
  first: { inputs: Record<string, string>; outputs: Record<string, string> };
  next: { inputs: Record<string, string>; outputs: Record<string, string> };
} {
  const cacheIn = Object.fromEntries(f.cache.map((c, k) => [cacheRole(k), c.input]));
  const cacheOut = Object.fromEntries(f.cache.map((c, k) => [cacheRole(k), c.output]));
  // the optional roles a graph maps (decode_noise), fed like the latent
  const noise = (g: FrameGraph): Record<string, string> =>
    Object.fromEntries(FRAME_GRAPH_ROLES.optionalInputs.filter((r) => g.inputs[r] !== undefined).map((r) => [r, g.inputs[r]!]));
  return {
    first: { inputs: { latent: f.first.inputs.latent!, ...noise(f.first) }, outputs: { video: f.first.outputs.video!, ...cacheIn } },
    next: { inputs: { latent: f.next.inputs.latent!, ...noise(f.next), ...cacheIn }, outputs: { video: f.next.outputs.video!, ...cacheOut } },
  };
}

/**
 * Problems with the cache names as (cache index, field, problem): within one graph's inputs or
 * outputs every tensor needs its own name, or one tensor would be fed or read for two.
 */
export function cacheProblems(f: VaeDecoderFrames): [number, 'input' | 'output', string][] {
  const out: [number, 'input' | 'output', string][] = [];
  const lists: [string, string, 'input' | 'output'][] = [
    // the graph and its own role first, then the cache names it holds
    ['first.outputs', f.first.outputs.video!, 'input'],
    ['next.inputs', f.next.inputs.latent!, 'input'],
    ['next.outputs', f.next.outputs.video!, 'output'],
  ];
  const nextNoise = f.next.inputs[DECODE_NOISE_ROLE];
  for (const [where, own, field] of lists) {
    const seen = new Map<string, string>([[own, `${where}.${where.endsWith('inputs') ? 'latent' : 'video'}`]]);
    if (where === 'next.inputs' && nextNoise !== undefined && nextNoise !== own) seen.set(nextNoise, `next.inputs.${DECODE_NOISE_ROLE}`);
    f.cache.forEach((c, k) => {
      const prior = seen.get(c[field]);
      if (prior) out.push([k, field, `is ${JSON.stringify(c[field])}, which ${prior} already names among ${where}; each tensor of a graph needs its own name`]);
      else seen.set(c[field], `cache[${k}].${field}`);
    });
  }
  return out;
}

/**
 * Why the package's decoders disagree on `decode_noise`, or undefined: the whole-clip vaeDecoder
 * and both frame graphs map it, or none does, so a clip decodes alike whichever the engine loads.
 * Within one graph its tensor must not be the latent's.
 */
export function decodeNoiseProblem(whole: { inputs: Record<string, string> }, frames: VaeDecoderFrames | undefined): [string, string] | undefined {
  const graphs: [string, Record<string, string>][] = [['components.vaeDecoder.inputs', whole.inputs]];
  if (frames) graphs.push(['vaeDecoderFrames.first.inputs', frames.first.inputs], ['vaeDecoderFrames.next.inputs', frames.next.inputs]);
  for (const [field, inputs] of graphs) {
    if (inputs[DECODE_NOISE_ROLE] !== undefined && inputs[DECODE_NOISE_ROLE] === inputs.latent) {
      return [`${field}.${DECODE_NOISE_ROLE}`, `is ${JSON.stringify(inputs.latent)}, the latent's tensor; the noise needs its own input`];
    }
  }
  const mapping = graphs.filter(([, inputs]) => inputs[DECODE_NOISE_ROLE] !== undefined).map(([field]) => field);
  if (mapping.length === 0 || mapping.length === graphs.length) return undefined;
  const missing = graphs.map(([field]) => field).find((field) => !mapping.includes(field))!;
  return [`${missing}.${DECODE_NOISE_ROLE}`, `is missing, but ${mapping.join(' and ')} map${mapping.length === 1 ? 's' : ''} it; the whole-clip decoder and the frame pair must all take the decode noise or none, or a clip would decode differently by which the engine loads`];
}

/** One call of the frame decoder: which graph, and the latent frames [start, start + count) it takes. */
export interface FrameCall {
  graph: 'first' | 'next';
  start: number;
  count: number;
}

/**
 * The calls that decode `t` latent frames with the pair: `first` on frames [0, F), then `next` on
 * each following group of `N`. Null when the pair cannot decode exactly `t` frames (fewer than
 * F, or a remainder that is not a whole `next` call): the engine then uses the whole-clip graph.
 */
export function frameCalls(t: number, f: { first: { latentFrames: number }; next: { latentFrames: number } }): FrameCall[] | null {
  const F = f.first.latentFrames;
  const N = f.next.latentFrames;
  if (!Number.isInteger(t) || t < F || (t - F) % N !== 0) return null;
  const calls: FrameCall[] = [{ graph: 'first', start: 0, count: F }];
  for (let s = F; s < t; s += N) calls.push({ graph: 'next', start: s, count: N });
  return calls;
}

/** Problems with a tiling hint (field, problem): a tile must be larger than twice its overlap to advance. */
export function tilingProblems(h: VaeTilingHint): [keyof VaeTilingHint, string][] {
  const out: [keyof VaeTilingHint, string][] = [];
  if (!Number.isInteger(h.tile) || h.tile < 2) out.push(['tile', 'must be an integer of at least 2 (latent pixels)']);
  if (!Number.isInteger(h.overlap) || h.overlap < 0) out.push(['overlap', 'must be an integer of at least 0 (latent pixels)']);
  else if (h.overlap * 2 >= h.tile) out.push(['overlap', `must be less than half the tile (${h.tile}), or tiles would not advance past their neighbours' overlap`]);
  if (h.bytesPerLatentPixel !== undefined && !(h.bytesPerLatentPixel > 0 && Number.isFinite(h.bytesPerLatentPixel))) {
    out.push(['bytesPerLatentPixel', 'must be a positive number of bytes']);
  }
  return out;
}
