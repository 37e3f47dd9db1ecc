/**
 * A package served from memory and run by a fake onnxruntime (no wasm), for engine tests that check
 * what the engine feeds the graphs: the store serves a manifest and the real tokenizer, model files
 * are their own path as bytes, and the denoiser records its feeds' dims under the graph's tensor
 * names (equal to the roles in the shipped manifest).
 */
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-web';
import type { EnvironmentProbe } from '../../../src/engine/backend';
import type { Ort } from '../../../src/engine/sessions';
import { parseManifest } from '../../../src/store/manifest';
import type { ModelFileStore, PackageFile } from '../../../src/store/types';

export const MODEL = 'public/models/vidlet-tiny';

export const cpu: () => Promise<EnvironmentProbe> = async () => ({ webgpu: null, wasm: true, hardwareConcurrency: 4, crossOriginIsolated: true, isNode: false });

/** A store serving `json` and the real tokenizer; model files are their path as bytes. */
export function storeFor(json: unknown): ModelFileStore {
  return {
    readManifest: async () => json,
    readText: async (_b, path) => readFileSync(`${MODEL}/${path}`, 'utf8'),
    getFile: async (_b, f: PackageFile) => new TextEncoder().encode(f.path),
  };
}

/** Values the fake graphs saw, for tests that check what was fed rather than its shape. */
export interface FakeSeen {
  /** The denoiser's `timestep` feed of each call. */
  timesteps: number[][];
  /** The batch size of each text-encoder call. */
  textBatches: number[];
  /** Which denoiser graph ran each call ('denoiser' or 'sceneDenoiser'); optional for older tests. */
  denoisers?: string[];
  /** The VAE decoder's feeds of each call, by the graph's tensor names (copied). */
  vaeFeeds?: Record<string, { data: Float32Array; dims: number[] }>[];
}

/**
 * Fake sessions: zeros of the right shapes; either denoiser graph pushes its feeds' dims onto
 * `denoiserFeeds` and returns `v_motion` only when fed `motion`; `seen`, when given, collects values.
 */
export function fakeOrt(json: unknown, denoiserFeeds: Record<string, number[]>[], seen?: FakeSeen): Ort {
  const manifest = parseManifest(json);
  const byFile = new Map<string, keyof typeof manifest.components>();
  for (const [name, c] of Object.entries(manifest.components)) for (const v of Object.values(c.variants)) for (const f of v!.files) byFile.set(f.path, name as never);
  const { text } = manifest;
  const zeros = (dims: number[]) => new Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  return {
    env: { wasm: {} },
    Tensor,
    InferenceSession: {
      create: async (bytes: Uint8Array) => {
        const name = byFile.get(new TextDecoder().decode(bytes))!;
        const comp = manifest.components[name]!;
        return {
          inputNames: Object.values(comp.inputs),
          outputNames: Object.values(comp.outputs),
          release: async () => {},
          run: async (feeds: Record<string, Tensor>) => {
            const B = Object.values(feeds)[0]!.dims[0]!;
            switch (name) {
              case 'textEncoder':
                seen?.textBatches.push(B);
                return { hidden: zeros([B, text.maxLength, text.hiddenSize]) };
              case 'denoiser':
              case 'sceneDenoiser':
                seen?.denoisers?.push(name);
                denoiserFeeds.push(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.dims]])));
                seen?.timesteps.push(Array.from(feeds.timestep!.data as Float32Array));
                return { v_latent: zeros([...feeds.latent!.dims]), ...(feeds.motion ? { v_motion: zeros([...feeds.motion.dims]) } : {}) };
              case 'previewDecoder':
                return { preview: zeros([1, 3, 1, 2, 2]) };
              default: {
                seen?.vaeFeeds?.push(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { data: (t.data as Float32Array).slice(), dims: [...t.dims] }])));
                const t = feeds.latent!.dims[2]!; // the decoder makes 4 frames per latent frame
                return { video: zeros([1, 3, 4 * t, 8, 8]) };
              }
            }
          },
        };
      },
    },
  } as unknown as Ort;
}

/**
 * `ort` with every text-encoder run's input_ids pushed onto `encoded` (what the engine asked the
 * text encoder to read, in call order).
 */
export function spyOnTextEncoder(ort: Ort, encoded: bigint[][]): Ort {
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as unknown as (...a: unknown[]) => Promise<{ inputNames: readonly string[]; run: (f: Record<string, { data: unknown }>) => unknown }>;
  return {
    ...ort,
    InferenceSession: {
      create: async (...a: unknown[]) => {
        const s = await create(...a);
        if (s.inputNames.includes('input_ids')) {
          const run = s.run;
          s.run = (feeds) => {
            encoded.push(Array.from(feeds.input_ids!.data as BigInt64Array));
            return run(feeds);
          };
        }
        return s;
      },
    },
  } as unknown as Ort;
}
