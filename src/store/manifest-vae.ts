/**
 * The manifest's optional `vaeDecoderFrames` and `vaeTiling` sections (issue #11; docs/model-package.md
 * "Decoding in pieces"), checked against the contract in src/package/vae-decode.ts. Kept out of
 * manifest.ts, which holds the sections every package has; variants are parsed by manifest.ts's own
 * reader (passed in), so their files are registered and checked exactly as a component's are.
 */
import {
  cacheProblems, FRAME_GRAPH_ROLES, tilingProblems, type CacheTensor, type FrameGraph, type VaeDecoderFrames, type VaeTilingHint,
} from '../package/vae-decode';
import { arr, fail, int, join, obj, positiveNum, str } from './json-fields';
import type { Variant } from '../package/variants';
import type { ComponentVariant } from './types';

export type VariantsReader = (v: unknown, field: string) => Partial<Record<Variant, ComponentVariant>>;

export function parseVaeDecoderFrames(v: unknown, readVariants: VariantsReader): VaeDecoderFrames | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, 'vaeDecoderFrames');
  const frames: VaeDecoderFrames = {
    first: parseFrameGraph(o.first, 'vaeDecoderFrames.first', readVariants),
    next: parseFrameGraph(o.next, 'vaeDecoderFrames.next', readVariants),
    cache: arr(o.cache, 'vaeDecoderFrames.cache').map((c, k) => parseCache(c, join('vaeDecoderFrames.cache', k))),
    ...(o.videoFramesPerStep === undefined ? {} : { videoFramesPerStep: int(o.videoFramesPerStep, 'vaeDecoderFrames.videoFramesPerStep', 1) }),
  };
  const problem = cacheProblems(frames)[0];
  if (problem) fail(`vaeDecoderFrames.cache[${problem[0]}].${problem[1]}`, problem[2]);
  return frames;
}

function parseFrameGraph(v: unknown, field: string, readVariants: VariantsReader): FrameGraph {
  const o = obj(v, field);
  const roles = (m: unknown, f: string, required: readonly string[]) => {
    const r = obj(m, f);
    for (const role of required) {
      if (r[role] === undefined) fail(join(f, role), `is missing; the engine needs the ONNX tensor name for role "${role}" (the cache tensors are named in vaeDecoderFrames.cache)`);
    }
    return Object.fromEntries(Object.entries(r).map(([role, name]) => [role, str(name, join(f, role))]));
  };
  return {
    latentFrames: int(o.latentFrames, join(field, 'latentFrames'), 1),
    inputs: roles(o.inputs, join(field, 'inputs'), FRAME_GRAPH_ROLES.inputs),
    outputs: roles(o.outputs, join(field, 'outputs'), FRAME_GRAPH_ROLES.outputs),
    variants: readVariants(o.variants, join(field, 'variants')),
  };
}

function parseCache(v: unknown, field: string): CacheTensor {
  const o = obj(v, field);
  const c: CacheTensor = { input: str(o.input, join(field, 'input')), output: str(o.output, join(field, 'output')) };
  if (o.shape !== undefined) c.shape = arr(o.shape, join(field, 'shape')).map((d, i) => int(d, join(join(field, 'shape'), i), 0));
  return c;
}

export function parseVaeTiling(v: unknown): VaeTilingHint | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, 'vaeTiling');
  const hint: VaeTilingHint = {
    tile: int(o.tile, 'vaeTiling.tile', 1),
    overlap: int(o.overlap, 'vaeTiling.overlap', 0),
    ...(o.bytesPerLatentPixel === undefined ? {} : { bytesPerLatentPixel: positiveNum(o.bytesPerLatentPixel, 'vaeTiling.bytesPerLatentPixel') }),
  };
  const problem = tilingProblems(hint)[0];
  if (problem) fail(`vaeTiling.${problem[0]}`, `is ${JSON.stringify(hint[problem[0]])}, but ${problem[1]}`);
  return hint;
}
