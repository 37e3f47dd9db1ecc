/**
 * A text encoder in parts over the fake onnxruntime of fake-package.ts, for the engine's parts
 * tests: the shipped manifest with its fp32 text encoder in three parts, a fake module that logs
 * each part session's creation, runs and release, and a store that logs what it reads.
 */
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-web';
import type { EnvironmentProbe } from '../../../src/engine/backend';
import type { Ort, OrtTensor } from '../../../src/engine/sessions';
import type { GenerateRequest } from '../../../src/engine/types';
import type { PackageFile, ReadOptions } from '../../../src/store/types';
import { fakeOrt, MODEL, storeFor } from './fake-package';

export const shipped = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
const sha = (n: number) => String(n).repeat(64);
export const PART_FILES = [
  { path: 'text_encoder.onnx', bytes: 10, sha256: sha(1) }, { path: 'text_encoder.onnx.data', bytes: 100, sha256: sha(2) },
  { path: 'text_encoder.part1.onnx', bytes: 10, sha256: sha(3) },
  { path: 'text_encoder.part2.onnx', bytes: 10, sha256: sha(4) }, { path: 'text_encoder.part2.onnx.data', bytes: 200, sha256: sha(5) },
];
export const GRAPHS = ['text_encoder.onnx', 'text_encoder.part1.onnx', 'text_encoder.part2.onnx'];

/** The shipped manifest with its fp32 text encoder in three parts. */
export function partedJson() {
  const json = structuredClone(shipped);
  json.components.textEncoder.variants.fp32 = { files: PART_FILES, parts: [2, 1, 2] };
  return json;
}

/** Each part's inputs and outputs: the converter's wiring (state0, state1, then hidden). */
export const WIRING: Record<string, { inputs: string[]; outputs: string[] }> = {
  'text_encoder.onnx': { inputs: ['input_ids', 'attention_mask'], outputs: ['state0'] },
  'text_encoder.part1.onnx': { inputs: ['state0', 'attention_mask'], outputs: ['state1'] },
  'text_encoder.part2.onnx': { inputs: ['state1', 'attention_mask'], outputs: ['hidden'] },
};

export interface Control {
  /** What happened, in order: 'create X', 'run X', 'release X' for the parts, 'create X' for every other graph. */
  log: string[];
  /** The execution provider each part's session was created with. */
  providers: unknown[];
  /** Throws this from the next run of `failPart`. */
  failPart?: string;
  failure?: string;
  wiring: typeof WIRING;
  /** WebGPU cannot make (`at: 'create'`) or run this part's session; `everywhere`: WebAssembly neither. */
  webgpu?: { part: string; at: 'create' | 'run'; message: string; everywhere?: boolean };
}

/** The execution provider's name, whether given as a string or as { name, device }. */
export const providerName = (p: unknown) => (typeof p === 'string' ? p : (p as { name: string }).name);

/** fakeOrt for every graph but the parts, which are faked here after WIRING (outputs filled with the part's index + 1). */
export function partsOrt(json: unknown, ctl: Control): Ort {
  const base = fakeOrt(json, []);
  const create = base.InferenceSession.create.bind(base.InferenceSession) as unknown as (b: Uint8Array, o: unknown) => Promise<unknown>;
  const { maxLength: L, hiddenSize: H } = shipped.text;
  return {
    ...base,
    InferenceSession: {
      create: async (bytes: Uint8Array, options: { executionProviders: unknown[] }) => {
        const path = new TextDecoder().decode(bytes);
        ctl.log.push(`create ${path}`);
        const wiring = ctl.wiring[path];
        if (!wiring) return create(bytes, options);
        const provider = providerName(options.executionProviders[0]);
        const broken = ctl.webgpu?.part === path && (provider === 'webgpu' || ctl.webgpu.everywhere) ? ctl.webgpu : undefined;
        if (broken?.at === 'create') throw new Error(broken.message);
        ctl.providers.push(options.executionProviders[0]);
        const k = GRAPHS.indexOf(path);
        return {
          inputNames: wiring.inputs,
          outputNames: wiring.outputs,
          release: async () => void ctl.log.push(`release ${path}`),
          run: async (feeds: Record<string, OrtTensor>) => {
            ctl.log.push(`run ${path} ${Object.keys(feeds).join(',')}`);
            if (broken?.at === 'run') throw new Error(broken.message);
            if (ctl.failPart === path && ctl.failure) {
              const failure = ctl.failure;
              ctl.failure = undefined;
              throw new Error(failure);
            }
            const B = feeds.attention_mask!.dims[0]!;
            return { [wiring.outputs[0]!]: new Tensor('float32', new Float32Array(B * L * H).fill(k + 1), [B, L, H]) };
          },
        };
      },
    },
  } as unknown as Ort;
}

export function storeReading(json: unknown) {
  const read: string[] = [];
  /** How each read asked to be checked (ReadOptions.verify; 'always' when not said). */
  const verify: string[] = [];
  const store = storeFor(json);
  const getFile = store.getFile.bind(store);
  return {
    read, verify,
    store: { ...store, getFile: (b: string, f: PackageFile, _p?: unknown, o?: ReadOptions) => (read.push(f.path), verify.push(`${f.path} ${o?.verify ?? 'always'}`), getFile(b, f)) },
  };
}

export const req: GenerateRequest = { prompt: 'a red ball bounces on white', seed: 1, steps: 1, guidance: 5, innerGuidance: 3, sampler: 'euler' };
export const isPart = (line: string) => GRAPHS.some((g) => line.endsWith(` ${g}`) || line.includes(` ${g} `));
export const gpu: () => Promise<EnvironmentProbe> = async () => ({
  webgpu: { vendor: 'nvidia', architecture: 'ada', description: 'RTX', isFallbackAdapter: false, features: [] },
  wasm: true, hardwareConcurrency: 4, crossOriginIsolated: true, isNode: false,
});

type DenoiserRun = (feeds: Record<string, OrtTensor>) => unknown;

/** `ort` with the denoiser session's run (the one graph taking `text`) replaced by `wrap(run)`. */
export function withDenoiserRun(ort: Ort, wrap: (run: DenoiserRun) => DenoiserRun): Ort {
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as unknown as (b: Uint8Array, o: unknown) => Promise<{ inputNames: string[]; run: DenoiserRun }>;
  return {
    ...ort,
    InferenceSession: {
      create: async (bytes: Uint8Array, o: unknown) => {
        const s = await create(bytes, o);
        if (s.inputNames.includes('text')) s.run = wrap(s.run.bind(s));
        return s;
      },
    },
  } as unknown as Ort;
}

