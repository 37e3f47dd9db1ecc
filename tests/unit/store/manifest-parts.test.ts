/**
 * A variant's `parts` (issue #11; src/package/parts.ts, docs/model-package.md "Parts"): a text
 * encoder written as several graphs run one after another. The parser takes what the converter
 * writes and refuses, naming the field, counts that do not split `files` into graphs, and parts on
 * any component but the text encoder.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planLoad } from '../../../src/engine/load-plan';
import type { BackendInfo } from '../../../src/engine/types';
import { partsProblem, sessionBytes, splitParts } from '../../../src/package/parts';
import { allListedFiles } from '../../../src/store/check-package';
import { parseManifest, variantFiles } from '../../../src/store/manifest';
import { errorOf, validManifest } from './manifest-fixture';

const converted = JSON.parse(readFileSync('tests/fixtures/wan-tiny/manifest.json', 'utf8'));
const file = (path: string, bytes: number, n: number) => ({ path, bytes, sha256: n.toString(16).repeat(64).slice(0, 64) });

/** validManifest() with its fp32 text encoder in two parts, as the converter writes them. */
function parted(): Record<string, any> {
  const m = validManifest();
  m.components.textEncoder.variants.fp32 = {
    files: [
      file('text_encoder.onnx', 300, 1), file('text_encoder.onnx.data', 8000, 2),
      file('text_encoder.part1.onnx', 7000, 3), file('text_encoder.part1.onnx.data', 45000, 4), file('text_encoder.part1.onnx.1.data', 20000, 5),
    ],
    parts: [2, 3],
  };
  return m;
}

const wasm: BackendInfo = { backend: 'wasm', description: 'WebAssembly, 1 thread', reason: '', shaderF16: false, threads: 1 };

describe('manifest parts', () => {
  it('reads a text encoder in parts; a variant without them has none', () => {
    const m = parseManifest(parted());
    expect(m.components.textEncoder.variants.fp32!.parts).toEqual([2, 3]);
    expect(m.components.textEncoder.variants.int8!.parts).toBeUndefined();
    expect(parseManifest(validManifest()).components.textEncoder.variants.fp32!.parts).toBeUndefined();
  });

  it('keeps files the complete list: downloads, listings and checks see every part', () => {
    const m = parseManifest(parted());
    const paths = variantFiles(m, { textEncoder: 'fp32' }).map((f) => f.path);
    expect(paths).toEqual(['text_encoder.onnx', 'text_encoder.onnx.data', 'text_encoder.part1.onnx', 'text_encoder.part1.onnx.data', 'text_encoder.part1.onnx.1.data']);
    for (const p of paths) expect(allListedFiles(m).map((f) => f.file.path)).toContain(p);
  });

  it("plans the download of every file but the memory of the largest part", () => {
    const plan = planLoad(parseManifest(parted()), wasm, 'fp32');
    const te = plan.components.find((c) => c.name === 'textEncoder')!;
    expect(te.bytes).toBe(300 + 8000 + 7000 + 45000 + 20000);
    expect(te.memoryBytes).toBe(7000 + 45000 + 20000);
    const denoiser = plan.components.find((c) => c.name === 'denoiser')!;
    expect(denoiser.memoryBytes).toBe(denoiser.bytes);
    expect(plan.bytes).toBe(plan.components.reduce((n, c) => n + c.bytes, 0));
  });

  type Mutation = [label: string, field: string, mutate: (m: Record<string, any>) => void];
  const te = 'components.textEncoder.variants.fp32';
  const cases: Mutation[] = [
    ['not an array', `${te}.parts`, (m) => (m.components.textEncoder.variants.fp32.parts = 2)],
    ['a zero count', `${te}.parts[1]`, (m) => (m.components.textEncoder.variants.fp32.parts = [5, 0])],
    ['a negative count', `${te}.parts[0]`, (m) => (m.components.textEncoder.variants.fp32.parts = [-1, 6])],
    ['a fractional count', `${te}.parts[0]`, (m) => (m.components.textEncoder.variants.fp32.parts = [2.5, 2.5])],
    ['a string count', `${te}.parts[1]`, (m) => (m.components.textEncoder.variants.fp32.parts = [2, '3'])],
    ['empty', `${te}.parts`, (m) => (m.components.textEncoder.variants.fp32.parts = [])],
    ['counts short of the files', `${te}.parts`, (m) => (m.components.textEncoder.variants.fp32.parts = [2, 2])],
    ['counts past the files', `${te}.parts`, (m) => (m.components.textEncoder.variants.fp32.parts = [2, 4])],
    ['a part starting at a data file', `${te}.parts[1]`, (m) => (m.components.textEncoder.variants.fp32.parts = [1, 4])],
    ['the first file not a graph', `${te}.parts[0]`, (m) => {
      const v = m.components.textEncoder.variants.fp32;
      v.files = [v.files[1], v.files[0], ...v.files.slice(2)];
    }],
    ['on the denoiser', 'components.denoiser.variants.fp32.parts', (m) => (m.components.denoiser.variants.fp32.parts = [1, 1])],
    ['on the VAE decoder', 'components.vaeDecoder.variants.fp32.parts', (m) => (m.components.vaeDecoder.variants.fp32.parts = [1])],
    ['on the preview decoder', 'components.previewDecoder.variants.fp32.parts', (m) => (m.components.previewDecoder.variants.fp32.parts = [1])],
  ];

  it.each(cases)('%s → error names %s', (_label, field, mutate) => {
    const m = parted();
    mutate(m);
    const e = errorOf(m);
    expect(e.field).toBe(field);
    expect(e.message.startsWith(`manifest.${field} `)).toBe(true);
    expect(e.message).toMatch(/: \S/); // a piece of advice follows the problem
  });

  it('refuses parts on a frame-by-frame VAE decoder graph', () => {
    const m = parted();
    m.vaeDecoderFrames = structuredClone(converted.vaeDecoderFrames);
    m.vaeDecoderFrames.next.variants.fp32.parts = [2];
    const e = errorOf(m);
    expect(e.field).toBe('vaeDecoderFrames.next.variants.fp32.parts');
    expect(e.message).toMatch(/a frame-by-frame VAE decoder graph runs many times per clip/);
  });

  it('says why only the text encoder may have parts', () => {
    const m = parted();
    m.components.denoiser.variants.fp32.parts = [1, 1];
    expect(errorOf(m).message).toMatch(/only components\.textEncoder may run in parts: the denoiser runs many times per clip, and re-creating its session for every call would be far too slow/);
  });

  it('says what the counts add up to and which file a part wrongly starts at', () => {
    const short = parted();
    short.components.textEncoder.variants.fp32.parts = [2, 2];
    expect(errorOf(short).message).toMatch(/adds up to 4 files, but files lists 5/);
    const data = parted();
    data.components.textEncoder.variants.fp32.parts = [1, 4];
    expect(errorOf(data).message).toMatch(/starts at files\[1\], "text_encoder\.onnx\.data", which is not an ONNX graph/);
  });
});

describe('parts (src/package/parts.ts)', () => {
  const files = [{ path: 'a.onnx', bytes: 1 }, { path: 'a.onnx.data', bytes: 10 }, { path: 'b.onnx', bytes: 2 }, { path: 'b.onnx.data', bytes: 30 }, { path: 'c.onnx', bytes: 5 }];

  it('splits files into parts in order; without parts, one', () => {
    expect(splitParts(files, [2, 2, 1]).map((p) => p.map((f) => f.path))).toEqual([['a.onnx', 'a.onnx.data'], ['b.onnx', 'b.onnx.data'], ['c.onnx']]);
    expect(splitParts(files, undefined)).toEqual([files]);
  });

  it("a session's bytes: the largest part's, or every file's for one graph", () => {
    expect(sessionBytes(files, [2, 2, 1])).toBe(32);
    expect(sessionBytes(files, undefined)).toBe(48);
    expect(sessionBytes(files, [5])).toBe(48);
  });

  it('partsProblem accepts counts that split the files into graphs', () => {
    expect(partsProblem([2, 2, 1], files.map((f) => f.path))).toBeUndefined();
    expect(partsProblem([5], files.map((f) => f.path))).toBeUndefined();
    expect(partsProblem([3, 2], files.map((f) => f.path))).toEqual({ at: 1, problem: expect.stringMatching(/files\[3\], "b\.onnx\.data"/) });
  });
});
