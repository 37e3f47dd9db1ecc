/**
 * Decoding a latent clip to video with whichever decoder the package gives (docs/model-package.md
 * "Decoding in pieces"): the whole-clip graph in one call, or the causal frame-by-frame pair
 * (`first`, then `next` with the cache it returned), each optionally over spatial tiles
 * (vae-tiles.ts). Frame by frame, only one call's frames and the cache are alive besides the
 * output, and each group of frames is handed to `onChunk` as it is made. Graph calls come in
 * through `VaeGraphs`, so this runs on onnxruntime sessions (engine.ts) and on fakes alike.
 */
import { frameCalls } from '../package/vae-decode';
import { cropLatent, planTiles, TileBlender, type Tile, type Tiling } from './vae-tiles';

export interface F32 {
  data: Float32Array;
  dims: number[];
}

export interface FrameStep {
  video: F32;
  /** The cache tensors in the manifest's `cache` order. */
  cache: F32[];
}

/**
 * The decoder calls. `noise`, when the decode has one (decodeLatent's `noise`), is the cut of the
 * clip's decode noise that matches `latent` element for element (role `decode_noise`).
 */
export interface VaeGraphs {
  /** latent [1, c, t, h, w] → video [1, 3, T, H, W] in one call. */
  whole?(latent: F32, noise?: F32): Promise<F32>;
  frames?: {
    latentFrames: { first: number; next: number };
    first(latent: F32, noise?: F32): Promise<FrameStep>;
    next(latent: F32, cache: F32[], noise?: F32): Promise<FrameStep>;
  };
}

export interface VaeDecodePlan {
  mode: 'whole' | 'frames';
  tiling: Tiling | null;
}

/**
 * The video of `latent` [1, c, t, h, w]. `onChunk` gets each group of decoded frames, first frame
 * index and data [1, 3, Tc, H, W], before the next group is decoded (frame mode; the whole clip
 * at once otherwise). `noise` (a decoder with the `decode_noise` role): the clip's decode noise,
 * `latent`'s shape, cut exactly as the latent is cut (per tile, per frame group), so every call gets
 * the noise of the very latent voxels it decodes; without it no call gets any.
 */
export async function decodeLatent(
  latent: F32,
  graphs: VaeGraphs,
  plan: VaeDecodePlan,
  onChunk?: (firstFrame: number, chunk: F32) => void,
  noise?: F32,
): Promise<F32> {
  const [, , t, h, w] = latent.dims as [number, number, number, number, number];
  if (noise && (noise.dims.length !== latent.dims.length || noise.dims.some((d, i) => d !== latent.dims[i]) || noise.data.length !== latent.data.length)) {
    throw new RangeError(`the decode noise [${noise.dims.join(',')}] must have the latent's shape [${latent.dims.join(',')}]`);
  }
  const tiles = plan.tiling ? planTiles(h, w, plan.tiling) : [{ y: 0, x: 0, h, w }];
  if (plan.mode === 'whole') {
    if (!graphs.whole) throw new Error('the whole-clip VAE decoder is not loaded');
    const whole = graphs.whole;
    const video = await overTiles(latent, noise, tiles, h, w, (tile, n) => (n ? whole(tile, n) : whole(tile)));
    onChunk?.(0, video);
    return video;
  }
  const frames = graphs.frames;
  if (!frames) throw new Error('the frame-by-frame VAE decoder is not loaded');
  const calls = frameCalls(t, { first: { latentFrames: frames.latentFrames.first }, next: { latentFrames: frames.latentFrames.next } });
  if (!calls) {
    throw new RangeError(`the frame-by-frame VAE decoder takes ${frames.latentFrames.first} latent frames and then groups of ${frames.latentFrames.next}, which cannot make ${t}`);
  }
  // One cache per tile: each tile is its own causal stream through time.
  const caches: F32[][] = tiles.map(() => []);
  // The output is written in place once its length is known (after the first `next`: every `next`
  // makes as many frames), rather than joined at the end, which would hold the video twice.
  let firstChunk: F32 | null = null;
  let video: F32 | null = null;
  let made = 0;
  for (const call of calls) {
    const part = sliceFrames(latent, call.start, call.count);
    const partNoise = noise && sliceFrames(noise, call.start, call.count);
    let i = 0;
    const chunk = await overTiles(part, partNoise, tiles, h, w, async (tileLatent, n) => {
      const k = i++;
      const step = call.graph === 'first'
        ? await (n ? frames.first(tileLatent, n) : frames.first(tileLatent))
        : await (n ? frames.next(tileLatent, caches[k]!, n) : frames.next(tileLatent, caches[k]!));
      caches[k] = step.cache;
      return step.video;
    });
    onChunk?.(made, chunk);
    if (calls.length === 1) return chunk;
    if (!firstChunk) {
      firstChunk = chunk;
    } else {
      if (!video) {
        const [, C, , H, W] = chunk.dims as [number, number, number, number, number];
        const T = firstChunk.dims[2]! + (calls.length - 1) * chunk.dims[2]!;
        video = { data: new Float32Array(C * T * H * W), dims: [1, C, T, H, W] };
        writeFrames(video, firstChunk, 0);
      }
      writeFrames(video, chunk, made);
    }
    made += chunk.dims[2]!;
  }
  return video!;
}

/**
 * Decodes `latent` tile by tile with `decode` (in `tiles` order) and blends; one tile is passed
 * straight through. `noise` (the latent's shape) is cropped to each tile exactly as the latent is.
 */
async function overTiles(latent: F32, noise: F32 | undefined, tiles: Tile[], h: number, w: number, decode: (tile: F32, noise?: F32) => Promise<F32>): Promise<F32> {
  if (tiles.length === 1) return decode(latent, noise);
  const blender = new TileBlender(h, w, tiles);
  for (const tile of tiles) {
    const dims = [1, latent.dims[1]!, latent.dims[2]!, tile.h, tile.w];
    const cut = noise && { data: cropLatent(noise.data, noise.dims, tile), dims: [...dims] };
    const out = await decode({ data: cropLatent(latent.data, latent.dims, tile), dims }, cut);
    blender.add(tile, out.data, out.dims);
  }
  return blender.result();
}

/** Latent frames [start, start + count) of [1, c, t, h, w]. */
export function sliceFrames(latent: F32, start: number, count: number): F32 {
  const [, c, t, h, w] = latent.dims as [number, number, number, number, number];
  const plane = h * w;
  const out = new Float32Array(c * count * plane);
  for (let ch = 0; ch < c; ch++) out.set(latent.data.subarray((ch * t + start) * plane, (ch * t + start + count) * plane), ch * count * plane);
  return { data: out, dims: [1, c, count, h, w] };
}

/** Writes `chunk` [1, C, Tk, H, W] into `video` [1, C, T, H, W] from frame `t0`. */
export function writeFrames(video: F32, chunk: F32, t0: number): void {
  const [, C, T, H, W] = video.dims as [number, number, number, number, number];
  const Tk = chunk.dims[2]!;
  if (chunk.dims[1] !== C || chunk.dims[3] !== H || chunk.dims[4] !== W || t0 + Tk > T) {
    throw new RangeError(`decoded frames [${chunk.dims.join(',')}] from frame ${t0} do not fit the video [${video.dims.join(',')}]`);
  }
  const plane = H * W;
  for (let ch = 0; ch < C; ch++) video.data.set(chunk.data.subarray(ch * Tk * plane, (ch + 1) * Tk * plane), (ch * T + t0) * plane);
}
