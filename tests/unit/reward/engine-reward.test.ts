/**
 * VidletEngine's reward scoring over a fake onnxruntime (no wasm): a package without a reward model
 * is refused with NoRewardModelError (before any take of a best-of), the reward files are read
 * through the store only when scoring is first asked, a failed session creation is retried, and bad
 * takes are refused naming the field. The real graphs are in tests/integration/reward-engine.test.ts.
 */
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import { deserializeEngineError, InvalidRequestError, NoRewardModelError, serializeEngineError } from '../../../src/engine/errors';
import type { Ort } from '../../../src/engine/sessions';
import type { FramesRGBA, GenerateRequest } from '../../../src/engine/types';
import type { ModelFileStore, PackageFile } from '../../../src/store/types';

const MODEL = 'public/models/vidlet-tiny';
const shipped = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
const fragment = JSON.parse(readFileSync('tests/fixtures/reward/manifest-fragment.json', 'utf8'));
const withReward = { ...shipped, components: { ...shipped.components, ...fragment.components }, reward: fragment.reward };
/** The shipped package with its reward model taken out. */
const { rewardModel: _rewardModel, ...plainComponents } = shipped.components;
const { reward: _reward, ...plainRest } = shipped;
const withoutReward = { ...plainRest, components: plainComponents };

/** Serves a manifest and the real tokenizer; "model files" are their path as bytes; records every file read. */
function store(manifest: unknown, reads: string[]): ModelFileStore {
  return {
    readManifest: async () => manifest,
    readText: async (_b, path) => readFileSync(`${MODEL}/${path}`, 'utf8'),
    getFile: async (_b, f: PackageFile) => {
      reads.push(f.path);
      return new TextEncoder().encode(f.path);
    },
  };
}

interface Log {
  runs: string[];
  failRewardCreates: number;
}

/** Sessions named by their file; outputs zeros, the reward model scores take b as [b, 2b, 3b]. */
function fakeOrt(manifest: typeof withReward, log: Log): Ort {
  const byFile = new Map<string, string>();
  for (const [name, c] of Object.entries(manifest.components) as [string, { variants: Record<string, { files: { path: string }[] }> }][]) {
    for (const v of Object.values(c.variants)) for (const f of v.files) byFile.set(f.path, name);
  }
  const zeros = (dims: number[]) => new Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  return {
    env: { wasm: {} },
    Tensor,
    InferenceSession: {
      create: async (bytes: Uint8Array) => {
        const name = byFile.get(new TextDecoder().decode(bytes))!;
        if (name === 'rewardModel' && log.failRewardCreates-- > 0) throw new Error('protobuf parsing failed');
        const comp = manifest.components[name];
        return {
          inputNames: Object.values(comp.inputs),
          outputNames: Object.values(comp.outputs),
          release: async () => {},
          run: async (feeds: Record<string, Tensor>) => {
            log.runs.push(name);
            const B = Object.values(feeds)[0]!.dims[0]!;
            if (name === 'textEncoder') return { hidden: zeros([B, 64, 384]) };
            if (name === 'denoiser') return { v_latent: zeros([...feeds.latent!.dims]), v_motion: zeros([...feeds.motion!.dims]) };
            if (name === 'previewDecoder') return { preview: zeros([1, 3, 1, 2, 2]) };
            if (name === 'vaeDecoder') return { video: zeros([1, 3, 16, 128, 128]) };
            return {
              scores: new Tensor('float32', Float32Array.from({ length: B * 3 }, (_, i) => Math.floor(i / 3) * ((i % 3) + 1)), [B, 3]),
              features: zeros([B, 64]),
            };
          },
        };
      },
    },
  } as unknown as Ort;
}

const cpu = async () => ({ webgpu: null, wasm: true, hardwareConcurrency: 1, crossOriginIsolated: false, isNode: true });
const take = (): FramesRGBA => ({ frames: 16, height: 128, width: 128, data: new Uint8ClampedArray(16 * 128 * 128 * 4) });
const req: GenerateRequest = { prompt: 'a red ball', seed: 1, steps: 1, guidance: 5, innerGuidance: 3, sampler: 'euler' };

async function engineFor(manifest: typeof withReward, log: Log, reads: string[]) {
  const engine = new VidletEngine(store(manifest, reads), fakeOrt(manifest, log), { probe: cpu });
  const info = await engine.loadModel({ base: '/m' });
  return { engine, info };
}

describe('VidletEngine reward scoring', () => {
  it('a package without a reward model: ModelInfo.reward absent; scoring and best-of refused before any work', async () => {
    const log: Log = { runs: [], failRewardCreates: 0 };
    const { engine, info } = await engineFor(withoutReward, log, []);
    expect(info.reward).toBeUndefined();
    const e = await engine.scoreTakes([take()], 'a red ball').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NoRewardModelError);
    expect((e as Error).message).toBe(
      `${shipped.displayName} has no reward model (its manifest has no components.rewardModel and "reward" section), so takes cannot be scored or ranked. ` +
        'Load a model package that ships one (docs/model-package.md, "Reward model"), or generate single takes.',
    );
    await expect(engine.generateBestOf(req, { n: 3 })).rejects.toBeInstanceOf(NoRewardModelError);
    expect(log.runs).toEqual([]);
    // It crosses the worker boundary as itself (the page can tell it from a failure).
    expect(deserializeEngineError(serializeEngineError(e))).toBeInstanceOf(NoRewardModelError);
  });

  it('reads the reward files only when scoring is first asked, and makes the session once', async () => {
    const log: Log = { runs: [], failRewardCreates: 0 };
    const reads: string[] = [];
    const { engine, info } = await engineFor(withReward, log, reads);
    expect(info.reward?.dimensions).toEqual(['VQ', 'MQ', 'TA']);
    expect(reads).not.toContain('reward_model.int8.onnx');
    const scores = await engine.scoreTakes([take(), take(), take()], 'a red ball');
    expect(scores.map((s) => [s.VQ, s.MQ, s.TA, s.overall])).toEqual([[0, 0, 0, 0], [1, 2, 3, 6], [2, 4, 6, 12]]);
    expect(log.runs.filter((r) => r === 'rewardModel')).toHaveLength(1); // three takes, one call
    await engine.scoreTakes([take()], 'a red ball');
    expect(reads.filter((p) => p === 'reward_model.int8.onnx')).toHaveLength(1);
  });

  it('a reward graph that fails to load fails the call and is tried again on the next', async () => {
    const log: Log = { runs: [], failRewardCreates: 1 };
    const { engine } = await engineFor(withReward, log, []);
    await expect(engine.scoreTakes([take()], 'p')).rejects.toThrow(/Could not load the rewardModel/);
    expect((await engine.scoreTakes([take()], 'p'))).toHaveLength(1);
  });

  it('best-of-N fails fast on a broken reward graph, before any take', async () => {
    const log: Log = { runs: [], failRewardCreates: 1 };
    const { engine } = await engineFor(withReward, log, []);
    await expect(engine.generateBestOf(req, { n: 2 })).rejects.toThrow(/Could not load the rewardModel/);
    expect(log.runs.filter((r) => r === 'denoiser')).toEqual([]);
  });

  it("best-of-N reports each take's decoded frames, as generate does (a one-call decoder: the whole clip once per take)", async () => {
    const { engine } = await engineFor(withReward, { runs: [], failRewardCreates: 0 }, []);
    const log: string[] = [];
    const best = await engine.generateBestOf(req, { n: 2 }, {
      onTake: (t) => log.push(`take ${t.index + 1}`),
      onFrames: (p) => log.push(`frames ${p.firstFrame}+${p.frames.frames} ${p.frames.width}×${p.frames.height}`),
    });
    expect(log).toEqual(['take 1', 'frames 0+16 128×128', 'take 2', 'frames 0+16 128×128']);
    expect(best.takes).toHaveLength(2);
  });

  it('refuses takes that are not clips, naming the field', async () => {
    const { engine } = await engineFor(withReward, { runs: [], failRewardCreates: 0 }, []);
    await expect(engine.scoreTakes([], 'p')).rejects.toBeInstanceOf(InvalidRequestError);
    const bad = { frames: 2, height: 2, width: 2, data: new Uint8ClampedArray(3) };
    await expect(engine.scoreTakes([take(), bad], 'p')).rejects.toThrow(/^takes\[1\] is not a clip/);
  });
});
