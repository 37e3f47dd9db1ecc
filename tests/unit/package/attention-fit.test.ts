/** The attention rule (src/package/attention-fit.ts): one step's scores against this device's buffer limits, with the numbers. */
import { describe, expect, it } from 'vitest';
import {
  attentionBytes, attentionProblem, bufferLimits, noSizeFits, oneSize, presetThatFits, sizeRefusal, WASM_MEMORY_BYTES, type BufferLimits,
} from '../../../src/package/attention-fit';

const GiB = 1024 ** 3;
// Wan 2.1 1.3B at 33 frames of 416×240: 9 latent frames of 30×52, patch 1×2×2 → 3510 tokens, 12 heads
const N = 9 * 15 * 26;
const wan33 = { name: 'medium', video: { frames: 33, height: 240, width: 416 }, attentionScoresBytes: 2 * 12 * N * N * 4 };
const gpu = (binding: number, buffer = 4 * GiB): BufferLimits => ({ backend: 'webgpu', maxStorageBufferBindingSize: binding, maxBufferSize: buffer });

describe('attentionProblem', () => {
  it('refuses scores over the GPU binding limit, saying both numbers and what to do', () => {
    expect(wan33.attentionScoresBytes).toBe(1_182_729_600);
    expect(attentionProblem(wan33, 2, gpu(1 * GiB))).toBe(
      'medium (33 frames of 416×240) needs 1.18 GB in one buffer for one attention step (its scores, 2 passes per step), ' +
        'but this GPU binds at most 1.07 GB of one buffer (maxStorageBufferBindingSize); choose a smaller size, ' +
        'or fewer guidance passes (guidance 1: one pass per step needs 591 MB)',
    );
  });

  it('passes scores at or under the limit', () => {
    expect(attentionProblem(wan33, 2, gpu(2 * GiB))).toBeUndefined();
    expect(attentionProblem(wan33, 2, gpu(wan33.attentionScoresBytes))).toBeUndefined();
    expect(attentionProblem(wan33, 2, gpu(wan33.attentionScoresBytes - 1))).toMatch(/needs 1\.18 GB in one buffer/);
  });

  it('one pass per step (guidance 1) needs half the bytes written for the CFG pair, three passes half again more', () => {
    expect(attentionBytes(wan33.attentionScoresBytes, 1)).toBe(wan33.attentionScoresBytes / 2);
    expect(attentionBytes(wan33.attentionScoresBytes, 3)).toBe(wan33.attentionScoresBytes * 1.5);
    expect(attentionProblem(wan33, 1, gpu(1 * GiB))).toBeUndefined();
    const tight = gpu(wan33.attentionScoresBytes / 2 - 1);
    expect(attentionProblem(wan33, 1, tight)).toMatch(/needs 591 MB in one buffer for one attention step \(its scores, 1 pass per step\)/);
    // no hint of fewer passes when one pass does not fit either
    expect(attentionProblem(wan33, 2, tight)).toMatch(/choose a smaller size$/);
  });

  it('the smaller of the two WebGPU limits counts, named', () => {
    expect(attentionProblem(wan33, 2, gpu(4 * GiB, 1 * GiB))).toMatch(/but this GPU makes buffers of at most 1\.07 GB \(maxBufferSize\)/);
    expect(attentionProblem(wan33, 2, gpu(1 * GiB, 1 * GiB))).toMatch(/maxStorageBufferBindingSize/);
  });

  it('on WebAssembly the scores must fit in the 4 GiB memory beside the weights', () => {
    const wasm = (weights: number) => bufferLimits('wasm', undefined, weights);
    expect(attentionProblem(wan33, 2, wasm(2.5e9))).toBeUndefined(); // 2.5 + 1.18 < 4.29 GB
    expect(attentionProblem(wan33, 2, wasm(3.5e9))).toBe(
      'medium (33 frames of 416×240) needs 1.18 GB in one buffer for one attention step (its scores, 2 passes per step), ' +
        'but the 4.29 GB WebAssembly memory has only 795 MB left beside the model\'s 3.50 GB of weights; choose a smaller size, ' +
        'or fewer guidance passes (guidance 1: one pass per step needs 591 MB)',
    );
    expect(attentionProblem(wan33, 2, wasm(WASM_MEMORY_BYTES - wan33.attentionScoresBytes))).toBeUndefined();
    expect(attentionProblem(wan33, 2, wasm(WASM_MEMORY_BYTES - wan33.attentionScoresBytes + 1))).toBeDefined();
  });

  it('judges nothing without the size’s bytes or the device’s limits', () => {
    expect(attentionProblem({ ...wan33, attentionScoresBytes: undefined }, 2, gpu(1))).toBeUndefined();
    expect(attentionProblem(wan33, 2, undefined)).toBeUndefined();
    expect(bufferLimits('webgpu', undefined, 1e9)).toBeUndefined();
    expect(bufferLimits('webgpu', { maxBufferSize: 3, maxStorageBufferBindingSize: 2 }, 1e9)).toEqual({ backend: 'webgpu', maxBufferSize: 3, maxStorageBufferBindingSize: 2 });
  });
});

describe('presetThatFits', () => {
  const small = { name: 'small', video: { frames: 17, height: 160, width: 288 }, attentionScoresBytes: 100e6 };
  const wide = { name: 'wide', video: { frames: 17, height: 240, width: 416 }, attentionScoresBytes: 400e6 };
  const big = { name: 'big', video: { frames: 33, height: 240, width: 416 }, attentionScoresBytes: 1.2e9 };
  const presets = [small, big, wide];

  it('keeps the preferred preset when it fits', () => {
    expect(presetThatFits(presets, 'big', 2, gpu(2 * GiB))).toBe('big');
  });

  it('takes the largest clip that fits when the preferred does not', () => {
    expect(presetThatFits(presets, 'big', 2, gpu(500e6))).toBe('wide');
    expect(presetThatFits(presets, 'big', 2, gpu(200e6))).toBe('small');
    expect(presetThatFits(presets, 'big', 1, gpu(700e6))).toBe('big'); // one pass: 600 MB
  });

  it('keeps the preferred when nothing fits (the refusal then names it), or nothing is known', () => {
    expect(presetThatFits(presets, 'big', 2, gpu(10e6))).toBe('big');
    expect(presetThatFits(presets, 'big', 2, undefined)).toBe('big');
  });
});

describe('noSizeFits', () => {
  const small = { name: 'small', video: { frames: 17, height: 160, width: 288 }, attentionScoresBytes: 2.4e9 };
  const big = { name: 'big', video: { frames: 33, height: 240, width: 416 }, attentionScoresBytes: 9e9 };

  it('names the size needing least, at one pass per step, when none fits', () => {
    expect(noSizeFits([big, small], gpu(1 * GiB))).toBe(
      'No size it offers fits this device, even with one pass per step (guidance 1): its smallest, small (17 frames of 288×160) needs 1.20 GB in one buffer ' +
        'for one attention step (its scores, 1 pass per step), but this GPU binds at most 1.07 GB of one buffer (maxStorageBufferBindingSize).',
    );
    expect(noSizeFits([big], gpu(1 * GiB))).toMatch(/^No size it offers fits this device, even with one pass per step \(guidance 1\): its one size, big /);
  });

  it('finds nothing when one size fits at one pass (the page then offers that), or anything is unknown', () => {
    expect(noSizeFits([big, small], gpu(1.2e9))).toBeUndefined();
    expect(noSizeFits([big, { ...small, attentionScoresBytes: undefined }], gpu(1))).toBeUndefined();
    expect(noSizeFits([big, small], undefined)).toBeUndefined();
    expect(noSizeFits([], gpu(1))).toBeUndefined();
  });
});

describe('oneSize: a package without presets, judged by the figure in its manifest’s video', () => {
  const video = { frames: 33, height: 240, width: 416, fps: 16, attentionScoresBytes: wan33.attentionScoresBytes };

  it('is the manifest’s video named by the package, whose sentences read as a one-preset package’s but offer no smaller size', () => {
    expect(oneSize('wan-1-3b', video)).toEqual({ name: 'wan-1-3b', video: { frames: 33, height: 240, width: 416 }, only: true, attentionScoresBytes: 1_182_729_600 });
    expect(attentionProblem(oneSize('wan-1-3b', video), 2, gpu(1 * GiB))).toBe(
      attentionProblem({ ...wan33, name: 'wan-1-3b' }, 2, gpu(1 * GiB))!.replace('choose a smaller size', "it is the package's only size, so a smaller clip needs the model converted at a smaller size"),
    );
    expect(noSizeFits([oneSize('wan-1-3b', video)], gpu(0.5 * GiB))).toMatch(/: its one size, wan-1-3b \(33 frames of 416×240\) needs 591 MB in one buffer/);
  });

  it('is not judged without the figure (a package converted before it was written)', () => {
    const { attentionScoresBytes: _, ...older } = video;
    expect('attentionScoresBytes' in oneSize('wan-1-3b', older)).toBe(false);
    expect(attentionProblem(oneSize('wan-1-3b', older), 2, gpu(1))).toBeUndefined();
  });

  it('the engine’s refusal leads with the request’s field only where the package has presets', () => {
    expect(sizeRefusal('medium', 'medium (33 frames of 416×240) needs …')).toBe('preset medium (33 frames of 416×240) needs ….');
    expect(sizeRefusal(undefined, 'wan-1-3b (33 frames of 416×240) needs …')).toBe('wan-1-3b (33 frames of 416×240) needs ….');
  });
});
