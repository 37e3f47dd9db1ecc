/**
 * Keeping a text encoder in parts loaded (LoadOptions.keepTextEncoder; src/engine/parts-residency.ts):
 * the load plan counts every part's weights as held when they are kept, so WebAssembly memory and
 * the attention rule see the real figure; keeping is refused, with the numbers, where it would take
 * away what the load could do per call; on WebGPU it is done.
 */
import { describe, expect, it } from 'vitest';
import { planLoad, weightsInMemory } from '../../../src/engine/load-plan';
import { describeResidency, partsResidency, type ResidencyFacts } from '../../../src/engine/parts-residency';
import type { BackendInfo } from '../../../src/engine/types';
import { WASM_MEMORY_BYTES } from '../../../src/package/attention-fit';
import { parseManifest } from '../../../src/store/manifest';
import { validManifest } from '../store/manifest-fixture';

const GB = 1e9;
const MB = 1e6;
const file = (path: string, bytes: number, n: number) => ({ path, bytes, sha256: n.toString(16).repeat(64).slice(0, 64) });
const wasm: BackendInfo = { backend: 'wasm', description: 'WebAssembly, 1 thread', reason: '', shaderF16: false, threads: 1 };
const webgpu: BackendInfo = { backend: 'webgpu', description: 'RTX (webgpu)', reason: '', shaderF16: true, threads: 1 };

/** validManifest() with its fp32 text encoder in parts of `bytes` (each a graph of 100 bytes and its data). */
function partedManifest(bytes: number[]) {
  const m = validManifest();
  m.components.textEncoder.variants.fp32 = {
    files: bytes.flatMap((b, k) => [file(`te.part${k}.onnx`, 100, 2 * k + 1), file(`te.part${k}.onnx.data`, b - 100, 2 * k + 2)]),
    parts: bytes.map(() => 2),
  };
  return parseManifest(m);
}

describe('the load plan of a text encoder in parts', () => {
  it('per call (the default) holds its largest part; kept, every part: the difference is what keeping costs', () => {
    const manifest = partedManifest([3000, 9000, 5000]);
    const perCall = planLoad(manifest, wasm, 'fp32');
    const kept = planLoad(manifest, wasm, 'fp32', 'auto', true);
    const te = (p: typeof perCall) => p.components.find((c) => c.name === 'textEncoder')!;
    expect(te(perCall)).toMatchObject({ bytes: 17000, memoryBytes: 9000, partBytes: 9000 });
    expect(te(kept)).toMatchObject({ bytes: 17000, memoryBytes: 17000, partBytes: 9000 });
    expect(weightsInMemory(kept.components) - weightsInMemory(perCall.components)).toBe(17000 - 9000);
    expect(perCall.textEncoderParts).toEqual({ parts: 3, allBytes: 17000, largestPartBytes: 9000, kept: false });
    expect(kept.textEncoderParts).toEqual({ parts: 3, allBytes: 17000, largestPartBytes: 9000, kept: true });
    // the download is every file either way
    expect(kept.bytes).toBe(perCall.bytes);
  });

  it('a text encoder of one graph is always held whole: nothing to keep, and the option changes nothing', () => {
    const manifest = parseManifest(validManifest());
    const plan = planLoad(manifest, wasm, 'fp32', 'auto', true);
    expect(plan.textEncoderParts).toBeUndefined();
    expect(plan).toEqual(planLoad(manifest, wasm, 'fp32'));
    expect(plan.components.every((c) => c.partBytes === undefined)).toBe(true);
  });

  it('on WebAssembly a text encoder whose parts would not fit beside the rest stays per call, saying so with the numbers', () => {
    // 4.78 GB of text encoder in parts of at most 1.07 GB (the converter's --part-bytes)
    const manifest = partedManifest([1070 * MB, 1070 * MB, 1070 * MB, 1070 * MB, 500 * MB]);
    const plan = planLoad(manifest, wasm, 'fp32', 'auto', true);
    expect(plan.textEncoderParts).toMatchObject({ kept: false, allBytes: 4780 * MB });
    expect(plan.textEncoderParts!.note).toBe(
      "The text encoder's 5 parts run one at a time for each new prompt: keeping all 4.78 GB of them would hold 4.78 GB of weights, more than the 4.29 GB WebAssembly memory.",
    );
    expect(plan.components.find((c) => c.name === 'textEncoder')!.memoryBytes).toBe(1070 * MB);
    // WebGPU holds weights in GPU memory, which no browser reports: kept
    expect(planLoad(manifest, webgpu, 'fp32', 'auto', true).textEncoderParts).toMatchObject({ kept: true });
  });
});

describe('partsResidency', () => {
  const facts: ResidencyFacts = { backend: 'wasm', weightsPerCall: 1 * GB, parts: 3, allBytes: 2.5 * GB, largestPartBytes: 1 * GB, sizes: [], maxPasses: 3 };

  it('not asked: per call, with no note', () => {
    expect(partsResidency(facts, false)).toEqual({ parts: 3, allBytes: 2.5 * GB, largestPartBytes: 1 * GB, kept: false });
  });

  it('kept on WebAssembly while the weights fit its memory, to the byte', () => {
    expect(partsResidency(facts, true).kept).toBe(true);
    const exact = WASM_MEMORY_BYTES - (2.5 * GB - 1 * GB);
    expect(partsResidency({ ...facts, weightsPerCall: exact }, true).kept).toBe(true);
    expect(partsResidency({ ...facts, weightsPerCall: exact + 1 }, true)).toMatchObject({ kept: false, note: expect.stringMatching(/more than the 4\.29 GB WebAssembly memory/) });
  });

  it('not kept where it would cost a size its attention room at some guidance pass count; kept where that size never fit', () => {
    // 1 GB per pass: per call 3.29 GB are left (3 passes fit), kept 1.79 GB (only 1)
    const sizes = [{ name: 'large', video: { frames: 17, height: 480, width: 832 }, attentionScoresBytes: 2 * GB }];
    const lost = partsResidency({ ...facts, sizes }, true);
    expect(lost.kept).toBe(false);
    expect(lost.note).toMatch(/leave too little WebAssembly memory for a size that fits without: large \(17 frames of 832×480\) needs 2\.00 GB in one buffer .*2 passes per step/);
    // with at most one pass per step the size still fits kept
    expect(partsResidency({ ...facts, sizes, maxPasses: 1 }, true).kept).toBe(true);
    // a size too large either way is not the keeping's loss
    const huge = [{ ...sizes[0]!, attentionScoresBytes: 20 * GB }];
    expect(partsResidency({ ...facts, sizes: huge }, true).kept).toBe(true);
  });

  it('kept on WebGPU whatever the weights', () => {
    expect(partsResidency({ ...facts, backend: 'webgpu', weightsPerCall: 10 * GB, allBytes: 11 * GB }, true).kept).toBe(true);
  });
});

describe('describeResidency', () => {
  const parts = { parts: 4, allBytes: 3.9 * GB, largestPartBytes: 1.07 * GB };
  it('says what each choice holds, with the numbers', () => {
    expect(describeResidency({ ...parts, kept: true })).toBe("The text encoder's 4 parts stay loaded after their first use: 3.90 GB held, 2.83 GB more than one part at a time.");
    expect(describeResidency({ ...parts, kept: false })).toBe(
      "The text encoder's 4 parts run one at a time for each new prompt (1.07 GB held at most); keeping them loaded would start new prompts sooner and hold 2.83 GB more.",
    );
    expect(describeResidency({ ...parts, kept: false, note: 'why not' })).toBe('why not');
  });
});
