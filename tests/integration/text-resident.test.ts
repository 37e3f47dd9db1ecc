/**
 * Keeping a text encoder in parts loaded (LoadOptions.keepTextEncoder) on real graphs: the shipped
 * fp32 text encoder cut in 3 (helpers/parted-package.ts), onnxruntime-web wasm over the folder
 * store. Kept, a second, different prompt makes no session and reads no part file, and the text the
 * denoiser is fed is bit for bit what the per-call default feeds it; unload releases the kept parts.
 * `vidlet generate --keep-text-encoder` asks for it and says what it holds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VidletEngine } from '../../src/engine/engine';
import type { Ort, OrtSession } from '../../src/engine/sessions';
import type { GenerateRequest } from '../../src/engine/types';
import { NodeFolderStore } from '../../src/store/node-store';
import type { FileProgress, PackageFile, ReadOptions } from '../../src/store/types';
import { available, SHIPPED_MODEL, TRAINING_PYTHON } from '../prerequisites';
import { writePartedPackage } from './helpers/parted-package';

const runs = available(SHIPPED_MODEL, 'a kept text encoder in parts') && available(TRAINING_PYTHON, 'a kept text encoder in parts');

/** What one engine did: sessions made and released, part files read, and the denoiser's text feed of each generation. */
interface Seen {
  created: OrtSession[];
  released: OrtSession[];
  read: string[];
  texts: Float32Array[];
}

/** onnxruntime-web with every session's creation and release logged, and the first denoiser call's `text` of each generation. */
function watchedOrt(seen: Seen): Ort {
  const create = ortWeb.InferenceSession.create.bind(ortWeb.InferenceSession) as (...a: unknown[]) => Promise<OrtSession>;
  const InferenceSession = {
    create: async (...args: unknown[]) => {
      const s = await create(...args);
      seen.created.push(s);
      const release = s.release.bind(s);
      (s as { release: unknown }).release = async () => (seen.released.push(s), release());
      if (s.inputNames.includes('text')) {
        const run = s.run.bind(s) as (...a: unknown[]) => Promise<unknown>;
        (s as unknown as { run: unknown }).run = async (feeds: Record<string, ortWeb.Tensor>, ...rest: unknown[]) => {
          seen.texts.push((feeds.text!.data as Float32Array).slice());
          return run(feeds, ...rest);
        };
      }
      return s;
    },
  };
  return new Proxy(ortWeb, { get: (t, k) => (k === 'InferenceSession' ? InferenceSession : (t as Record<string | symbol, unknown>)[k]) }) as unknown as Ort;
}

/** The folder store, logging each file read. */
function watchedStore(seen: Seen): NodeFolderStore {
  const folder = new NodeFolderStore();
  return Object.assign(Object.create(folder) as NodeFolderStore, {
    getFile: (base: string, file: PackageFile, onProgress?: (p: FileProgress) => void, options?: ReadOptions) => (seen.read.push(file.path), folder.getFile(base, file, onProgress, options)),
  });
}

const sameBits = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
const probe = async () => ({ webgpu: null, wasm: true, hardwareConcurrency: 2, crossOriginIsolated: true, isNode: true });
const first: GenerateRequest = { prompt: 'a red ball bounces from left to right', seed: 3, steps: 1, guidance: 5, innerGuidance: 0, sampler: 'euler' };
const second: GenerateRequest = { ...first, prompt: 'a blue cube slides on black' };

describe.runIf(runs)('a text encoder in parts kept loaded, on real graphs', () => {
  let dir: string;
  let partFiles: Set<string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vidlet-resident-'));
    partFiles = new Set(writePartedPackage(dir, 3).flat());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Two prompts on one engine; what the second cost, and what unload released. */
  async function twoPrompts(keepTextEncoder: boolean) {
    ortWeb.env.logLevel = 'error';
    const seen: Seen = { created: [], released: [], read: [], texts: [] };
    const engine = new VidletEngine(watchedStore(seen), watchedOrt(seen), { probe });
    const info = await engine.loadModel({ base: dir }, { backend: 'wasm', variant: 'fp32', numThreads: 1, keepTextEncoder });
    await engine.generate(first);
    const partSessions = seen.created.slice(-3);
    seen.created.length = 0;
    seen.released.length = 0;
    seen.read.length = 0;
    const clip = (await engine.generate(second)).video.data;
    const secondCost = { created: seen.created.length, released: seen.released.length, partReads: seen.read.filter((p) => partFiles.has(p)).length };
    seen.released.length = 0;
    await engine.unload();
    const partsReleasedAtUnload = partSessions.filter((s) => seen.released.includes(s)).length;
    return { info, texts: seen.texts, clip, secondCost, partsReleasedAtUnload };
  }

  it('kept: a new prompt makes and reads nothing, gives the per-call text bit for bit, and unload releases the parts', async () => {
    const perCall = await twoPrompts(false);
    const kept = await twoPrompts(true);
    expect(kept.info.textEncoderParts).toMatchObject({ parts: 3, kept: true });
    expect(perCall.info.textEncoderParts).toMatchObject({ parts: 3, kept: false });

    expect(perCall.secondCost).toEqual({ created: 3, released: 3, partReads: partFiles.size });
    expect(kept.secondCost).toEqual({ created: 0, released: 0, partReads: 0 });

    // the denoiser's text of each prompt, and the clip, are the same bits either way
    expect(kept.texts).toHaveLength(2);
    for (const k of [0, 1]) expect(sameBits(kept.texts[k]!, perCall.texts[k]!)).toBe(true);
    expect(sameBits(kept.clip, perCall.clip)).toBe(true);
    // not vacuous: the two prompts' texts differ
    expect(sameBits(kept.texts[0]!, kept.texts[1]!)).toBe(false);

    expect(kept.partsReleasedAtUnload).toBe(3);
    expect(perCall.partsReleasedAtUnload).toBe(0); // per call each was released right after its run
  });

  it('vidlet generate --keep-text-encoder loads it kept and says what that holds; without, what keeping would cost', () => {
    const run = (...flags: string[]) => {
      const args = ['bin/vidlet.mjs', 'generate', '--model', dir, '--prompt', 'a red ball', '--seed', '1', '--steps', '1', '--out', join(dir, 'clip.gif'), '--threads', '1', '--json', ...flags];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 240_000 });
      expect(r.status, r.stderr).toBe(0);
      return { stderr: r.stderr, summary: JSON.parse(r.stdout) as { textEncoderParts: { kept: boolean } } };
    };
    const kept = run('--keep-text-encoder');
    expect(kept.summary.textEncoderParts).toMatchObject({ parts: 3, kept: true });
    expect(kept.stderr).toMatch(/note: The text encoder's 3 parts stay loaded after their first use: \d+(\.\d+)? MB held, \d+(\.\d+)? MB more than one part at a time\./);
    const perCall = run();
    expect(perCall.summary.textEncoderParts).toMatchObject({ parts: 3, kept: false });
    expect(perCall.stderr).toMatch(/note: The text encoder's 3 parts run one at a time for each new prompt .*keeping them loaded would start new prompts sooner and hold \d+(\.\d+)? MB more\./);
  });
});
