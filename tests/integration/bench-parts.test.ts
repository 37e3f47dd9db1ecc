/**
 * A package whose text encoder is in parts (docs/model-package.md "Parts"), on real graphs: the
 * shipped fp32 text encoder cut in 3 (helpers/parted-package.ts). The engine runs the parts to the
 * clip of the whole graph (to one 8-bit level), and `vidlet bench` gives the parted text encoder its row: the time
 * to encode a prompt through every part, on onnxruntime-web and on onnxruntime-node, per call or kept loaded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBenchTable, runBench } from '../../src/cli/bench';
import { loadNodeEngine } from '../../src/cli/node-engine';
import type { GenerateRequest } from '../../src/engine/types';
import { available, SHIPPED_MODEL, TRAINING_PYTHON } from '../prerequisites';
import { SHIPPED, writePartedPackage } from './helpers/parted-package';

const runs = available(SHIPPED_MODEL, 'a parted text encoder in the engine and the bench') && available(TRAINING_PYTHON, 'a parted text encoder in the engine and the bench');

describe.runIf(runs)('a text encoder in parts, on real graphs', () => {
  let dir: string;
  let parts: string[][];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vidlet-parted-'));
    parts = writePartedPackage(dir, 3);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the clip the whole graph makes, to one 8-bit level', async () => {
    expect(parts).toHaveLength(3);
    const request: GenerateRequest = { prompt: 'a red ball bounces from left to right', seed: 3, steps: 1, guidance: 5, innerGuidance: 0, sampler: 'euler' };
    const frames = [];
    for (const model of [SHIPPED, dir]) {
      const { engine } = await loadNodeEngine({ model, json: false, backend: 'wasm', variant: 'fp32', threads: 1 }, undefined, undefined, { cacheText: false });
      frames.push((await engine.generate(request)).video.data);
      frames.push((await engine.generate({ ...request, prompt: 'a blue cube slides on black' })).video.data);
      await engine.unload();
    }
    const [whole, wholeOther, parted, partedOther] = frames;
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
      return m;
    };
    // Each part is optimised by onnxruntime on its own, so float sums may differ in the last bits
    // (measured: 1 level at most here, against 255 between the two prompts).
    expect(maxDiff(parted!, whole!)).toBeLessThanOrEqual(1);
    expect(maxDiff(partedOther!, wholeOther!)).toBeLessThanOrEqual(1);
    // not vacuous: the text reaches the clip
    expect(maxDiff(parted!, partedOther!)).toBeGreaterThan(10);
  });

  it('vidlet bench times the text encoder through all its parts, ours and native', async () => {
    const r = await runBench({ command: 'bench', model: dir, json: true, threads: 1, backend: 'auto', variant: 'auto', steps: 1, repeats: 1 }, () => {});
    expect(r.rows.map((x) => x.component)).toEqual(['textEncoder', 'denoiser', 'previewDecoder', 'vaeDecoder', 'generation']);
    const text = r.rows.find((x) => x.component === 'textEncoder')!;
    expect(text).toMatchObject({ parts: 3, calls: 1, batch: 2 }); // one prompt per generation: the prompt and the negative
    expect(text.oursMs).toBeGreaterThan(0);
    expect(text.nativeMs).toBeGreaterThan(0);
    expect(text.ratio).toBeCloseTo(text.oursMs / text.nativeMs, 10);
    // a whole prompt through the parts is a part of its generation
    const generation = r.rows.find((x) => x.component === 'generation')!;
    expect(text.oursMs).toBeLessThan(generation.oursMs);
    expect(text.nativeMs).toBeLessThan(generation.nativeMs);
    for (const x of r.rows.filter((row) => row.component !== 'textEncoder')) expect(x.parts).toBeUndefined();
    expect(formatBenchTable(r)).toMatch(/^textEncoder\* .*\n[\s\S]*\* in 3 parts: /m);
  });

  it('vidlet bench --keep-text-encoder times the kept parts and says so', async () => {
    const r = await runBench({ command: 'bench', model: dir, json: true, threads: 1, backend: 'auto', variant: 'auto', steps: 1, repeats: 1, keepTextEncoder: true }, () => {});
    expect(r.rows.find((x) => x.component === 'textEncoder')).toMatchObject({ parts: 3, partsKept: true });
    expect(formatBenchTable(r)).toMatch(/^\* in 3 parts, kept loaded: /m);
  });
});
