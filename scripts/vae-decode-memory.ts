/**
 * Peak memory of one VAE decode (#11) in onnxruntime-web's wasm backend in Node: the whole-clip
 * graph, the frame-by-frame pair, and either over spatial tiles, on a package whose decoders take
 * any latent height and width (tests/fixtures/wan-tiny: --vae-tiling). One decode per process, so
 * the wasm heap (which never shrinks) and the process's peak RSS belong to that decode alone.
 *
 *   npx tsx scripts/vae-decode-memory.ts --mode frames --latent 5,30,52 [--tile 16 --overlap 4] [--package DIR]
 *       [--threads 1] [--save video.f32]
 *
 * Prints one JSON line: mode, tiling, latent, video dims, ms, peak RSS (bytes). `--save` writes the
 * decoded video as raw float32, so paths can be compared with each other (PSNR) on the same latent.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { decodeLatent } from '../src/engine/vae-decode';
import { parseManifest } from '../src/store/manifest';
import { vaeGraphs } from '../tests/integration/helpers/vae-graphs';

const { values } = parseArgs({
  options: {
    package: { type: 'string', default: 'tests/fixtures/wan-tiny' },
    mode: { type: 'string', default: 'whole' },
    latent: { type: 'string', default: '5,30,52' },
    tile: { type: 'string' },
    overlap: { type: 'string', default: '4' },
    threads: { type: 'string', default: '1' },
    save: { type: 'string' },
  },
});
const dir = values.package!;
const manifest = parseManifest(JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8')));
ort.env.wasm.numThreads = Number(values.threads);

const mode = values.mode === 'frames' ? 'frames' : 'whole';
// Only the graphs of the mode measured are made, so the peak RSS is that path's alone.
const graphs = await vaeGraphs(dir, manifest, { [mode]: true });
const [lt, lh, lw] = values.latent!.split(',').map(Number) as [number, number, number];
const dims = [1, manifest.latent.channels, lt, lh, lw];
const z = { data: new Float32Array(dims.reduce((a, b) => a * b)).map((_, i) => Math.sin(i * 12.9898) * 1.5), dims };
const tiling = values.tile ? { tile: Number(values.tile), overlap: Number(values.overlap) } : null;
const t0 = performance.now();
const video = await decodeLatent(z, graphs, { mode, tiling });
const ms = performance.now() - t0;
if (values.save) writeFileSync(values.save, Buffer.from(video.data.buffer, video.data.byteOffset, video.data.byteLength));
console.log(JSON.stringify({ mode, tiling, threads: ort.env.wasm.numThreads, latent: [lt, lh, lw], video: video.dims, ms: Math.round(ms), peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
