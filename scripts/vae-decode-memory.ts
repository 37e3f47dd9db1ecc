/**
 * Peak memory of one VAE decode (#11) in onnxruntime-web's wasm backend in Node: the whole-clip
 * graph, the frame-by-frame pair, and either over spatial tiles, on a package whose decoders take
 * any latent height and width (tests/fixtures/wan-tiny: --vae-tiling). One decode per process, so
 * the wasm heap (which never shrinks) and the process's peak RSS belong to that decode alone.
 *
 *   npx tsx scripts/vae-decode-memory.ts --mode frames --latent 5,30,52 [--tile 16 --overlap 4] [--package DIR]
 *
 * Prints one JSON line: mode, tiling, latent, video dims, ms, peak RSS (bytes).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { decodeLatent, type F32, type VaeGraphs } from '../src/engine/vae-decode';
import { cacheRole, frameGraphRoles } from '../src/package/vae-decode';
import { parseManifest } from '../src/store/manifest';
import type { ComponentVariant } from '../src/store/types';

const { values } = parseArgs({
  options: {
    package: { type: 'string', default: 'tests/fixtures/wan-tiny' },
    mode: { type: 'string', default: 'whole' },
    latent: { type: 'string', default: '5,30,52' },
    tile: { type: 'string' },
    overlap: { type: 'string', default: '4' },
  },
});
const dir = values.package!;
const manifest = parseManifest(JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8')));
ort.env.wasm.numThreads = 1;

async function session(v: ComponentVariant | undefined): Promise<ort.InferenceSession> {
  const [graph, ...data] = v!.files;
  return ort.InferenceSession.create(readFileSync(`${dir}/${graph!.path}`), {
    externalData: data.map((f) => ({ path: f.path, data: readFileSync(`${dir}/${f.path}`) })),
  });
}

const t = (x: F32) => new ort.Tensor('float32', x.data, x.dims);
const read = (x: ort.Tensor): F32 => ({ data: x.data as Float32Array, dims: [...x.dims] });
const mode = values.mode === 'frames' ? 'frames' : 'whole';
let graphs: VaeGraphs;
if (mode === 'whole') {
  const whole = await session(manifest.components.vaeDecoder.variants.fp32);
  const c = manifest.components.vaeDecoder;
  graphs = { whole: async (x) => read((await whole.run({ [c.inputs.latent!]: t(x) }))[c.outputs.video!]!) };
} else {
  const pair = manifest.vaeDecoderFrames!;
  const roles = frameGraphRoles(pair);
  const [first, next] = [await session(pair.first.variants.fp32), await session(pair.next.variants.fp32)];
  const step = (out: ort.InferenceSession.OnnxValueMapType, r: Record<string, string>) =>
    ({ video: read(out[r.video!]!), cache: pair.cache.map((_, k) => read(out[r[cacheRole(k)]!]!)) });
  graphs = {
    frames: {
      latentFrames: { first: pair.first.latentFrames, next: pair.next.latentFrames },
      first: async (x) => step(await first.run({ [roles.first.inputs.latent!]: t(x) }), roles.first.outputs),
      next: async (x, cache) => step(await next.run({
        [roles.next.inputs.latent!]: t(x), ...Object.fromEntries(cache.map((c, k) => [roles.next.inputs[cacheRole(k)]!, t(c)])),
      }), roles.next.outputs),
    },
  };
}
const [lt, lh, lw] = values.latent!.split(',').map(Number) as [number, number, number];
const dims = [1, manifest.latent.channels, lt, lh, lw];
const z = { data: new Float32Array(dims.reduce((a, b) => a * b)).map((_, i) => Math.sin(i * 12.9898) * 1.5), dims };
const tiling = values.tile ? { tile: Number(values.tile), overlap: Number(values.overlap) } : null;
const t0 = performance.now();
const video = await decodeLatent(z, graphs, { mode, tiling });
const ms = performance.now() - t0;
console.log(JSON.stringify({ mode, tiling, latent: [lt, lh, lw], video: video.dims, ms: Math.round(ms), peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
