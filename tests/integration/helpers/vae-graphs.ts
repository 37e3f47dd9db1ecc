/**
 * A package's VAE decoders as raw onnxruntime-web sessions, wrapped the way src/engine/vae-decode.ts
 * calls them (VaeGraphs), without the engine: for tests and scripts/vae-decode-memory.ts that compare
 * or measure the decode paths themselves. The engine builds its own from verified store files.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import type { F32, VaeGraphs } from '../../../src/engine/vae-decode';
import { cacheRole, frameGraphRoles } from '../../../src/package/vae-decode';
import type { ComponentVariant, Manifest } from '../../../src/store/types';

/** A session of a variant's files as the engine passes them (graph bytes, external data by name). */
export async function variantSession(dir: string, v: ComponentVariant | undefined): Promise<ort.InferenceSession> {
  const [graph, ...data] = v!.files;
  return ort.InferenceSession.create(readFileSync(`${dir}/${graph!.path}`), {
    externalData: data.map((f) => ({ path: f.path, data: readFileSync(`${dir}/${f.path}`) })),
  });
}

const tensor = (x: F32) => new ort.Tensor('float32', x.data, x.dims);
const read = (x: ort.Tensor): F32 => ({ data: x.data as Float32Array, dims: [...x.dims] });

/** The fp32 decoders of the package in `dir`: the whole-clip graph and/or the frame pair (only the sessions asked for are made). */
export async function vaeGraphs(dir: string, manifest: Manifest, which: { whole?: boolean; frames?: boolean }): Promise<VaeGraphs> {
  const graphs: VaeGraphs = {};
  if (which.whole) {
    const c = manifest.components.vaeDecoder;
    const whole = await variantSession(dir, c.variants.fp32);
    graphs.whole = async (x) => read((await whole.run({ [c.inputs.latent!]: tensor(x) }))[c.outputs.video!]!);
  }
  if (which.frames) {
    const pair = manifest.vaeDecoderFrames!;
    const roles = frameGraphRoles(pair);
    const first = await variantSession(dir, pair.first.variants.fp32);
    const next = await variantSession(dir, pair.next.variants.fp32);
    const step = (out: ort.InferenceSession.OnnxValueMapType, r: Record<string, string>) =>
      ({ video: read(out[r.video!]!), cache: pair.cache.map((_, k) => read(out[r[cacheRole(k)]!]!)) });
    graphs.frames = {
      latentFrames: { first: pair.first.latentFrames, next: pair.next.latentFrames },
      first: async (x) => step(await first.run({ [roles.first.inputs.latent!]: tensor(x) }), roles.first.outputs),
      next: async (x, cache) => step(await next.run({
        [roles.next.inputs.latent!]: tensor(x), ...Object.fromEntries(cache.map((c, k) => [roles.next.inputs[cacheRole(k)]!, tensor(c)])),
      }), roles.next.outputs),
    };
  }
  return graphs;
}

/** A seeded N(0,1)-like latent (Box–Muller over a linear congruential generator). */
export function seededLatent(dims: number[], seed: number): F32 {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  const data = new Float32Array(dims.reduce((a, b) => a * b)).map(() => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
  return { data, dims };
}
