/** The fit rule: a package is refused, with its numbers, when its storage or memory needs exceed this device's. */
import { describe, expect, it } from 'vitest';
import { fitProblems, WASM_MEMORY_BYTES, type FitFacts } from '../../../src/app/data/model-fit';

const GB = 1e9;
const tiny: FitFacts = {
  storeBytes: 40e6,
  estimate: { usage: 1 * GB, quota: 10 * GB, free: 9 * GB },
  backend: 'wasm',
  components: [
    { name: 'textEncoder', variant: 'int8', bytes: 24e6, memoryBytes: 24e6 },
    { name: 'denoiser', variant: 'int8', bytes: 10e6, memoryBytes: 10e6 },
  ],
};

describe('fitProblems', () => {
  it('finds nothing wrong with a small package on a roomy device', () => {
    expect(fitProblems(tiny)).toEqual([]);
  });

  it('refuses a download larger than the free quota, saying both numbers', () => {
    const problems = fitProblems({ ...tiny, storeBytes: 9.5 * GB });
    expect(problems.map((p) => p.kind)).toEqual(['storage']);
    expect(problems[0].message).toContain('9.50 GB of storage');
    expect(problems[0].message).toContain('only 9.00 GB more');
    expect(problems[0].message).toContain('1.00 GB used of 10.0 GB');
  });

  it('exactly the free space fits; no estimate (or no quota) leaves storage unjudged', () => {
    expect(fitProblems({ ...tiny, storeBytes: 9 * GB })).toEqual([]);
    expect(fitProblems({ ...tiny, storeBytes: 1e15, estimate: null })).toEqual([]);
    expect(fitProblems({ ...tiny, storeBytes: 1e15, estimate: { usage: 0, quota: 0, free: 0 } })).toEqual([]);
  });

  it('refuses a component whose weights exceed wasm memory, on WebGPU too, naming it and its variant', () => {
    const big = { ...tiny, backend: 'webgpu' as const, components: [{ name: 'denoiser', variant: 'fp16', bytes: WASM_MEMORY_BYTES + 1, memoryBytes: WASM_MEMORY_BYTES + 1 }] };
    const problems = fitProblems(big);
    expect(problems.map((p) => p.kind)).toEqual(['component-memory']);
    expect(problems[0].message).toMatch(/denoiser \(fp16\) is 4\.29 GB, more than the 4\.29 GB/);
    expect(fitProblems({ ...big, components: [{ name: 'denoiser', variant: 'fp16', bytes: WASM_MEMORY_BYTES, memoryBytes: WASM_MEMORY_BYTES }] })).toEqual([]);
  });

  it('on wasm the components share one heap: their sum is limited; on WebGPU it is not', () => {
    const components = [
      { name: 'textEncoder', variant: 'fp32', bytes: 2.5 * GB, memoryBytes: 2.5 * GB },
      { name: 'denoiser', variant: 'fp32', bytes: 2.5 * GB, memoryBytes: 2.5 * GB },
    ];
    const wasm = fitProblems({ ...tiny, components });
    expect(wasm.map((p) => p.kind)).toEqual(['wasm-memory']);
    expect(wasm[0].message).toContain('5.00 GB');
    expect(fitProblems({ ...tiny, backend: 'webgpu', components })).toEqual([]);
  });

  it('a text encoder in parts needs only its largest part in memory: judged by that, on WebGPU and in the wasm sum', () => {
    // q4 umT5-XXL: 3.9 GB of files, no part over 1 GiB (the converter's --part-bytes)
    const parted = { name: 'textEncoder', variant: 'q4', bytes: 3.9 * GB, memoryBytes: 1.07 * GB, partBytes: 1.07 * GB };
    const denoiser = { name: 'denoiser', variant: 'q4', bytes: 1 * GB, memoryBytes: 1 * GB };
    expect(fitProblems({ ...tiny, backend: 'webgpu', components: [parted, denoiser] })).toEqual([]);
    expect(fitProblems({ ...tiny, components: [parted, denoiser] })).toEqual([]);
    // in one graph the same text encoder could not load anywhere
    const whole = fitProblems({ ...tiny, backend: 'webgpu', components: [{ name: 'textEncoder', variant: 'q4', bytes: 4.3 * GB, memoryBytes: 4.3 * GB }] });
    expect(whole.map((p) => p.kind)).toEqual(['component-memory']);
    // a part that is itself too large is named as such
    const hugePart = fitProblems({ ...tiny, backend: 'webgpu', components: [{ ...parted, bytes: 9 * GB, memoryBytes: 4.5 * GB, partBytes: 4.5 * GB }] });
    expect(hugePart[0]!.message).toMatch(/textEncoder \(q4\) is 4\.50 GB in its largest part, more than/);
  });

  it('a text encoder in parts kept on WebGPU is judged by its largest part, not by all its parts held at once', () => {
    // fp16 umT5-XXL kept on WebGPU: 11 GB held on the GPU, each part its own 1 GB session
    const kept = { name: 'textEncoder', variant: 'fp16', bytes: 11 * GB, memoryBytes: 11 * GB, partBytes: 1.07 * GB };
    expect(fitProblems({ ...tiny, backend: 'webgpu', components: [kept] })).toEqual([]);
  });

  it('refuses a package none of whose sizes can hold one attention step here, even at one pass per step, with the numbers', () => {
    const sizes = [
      { name: 'small', video: { frames: 17, height: 160, width: 288 }, attentionScoresBytes: 2.4e9 },
      { name: 'medium', video: { frames: 33, height: 240, width: 416 }, attentionScoresBytes: 6e9 },
    ];
    const gpu = { backend: 'webgpu' as const, maxBufferSize: 8e9, maxStorageBufferBindingSize: 1e9 };
    const problems = fitProblems({ ...tiny, backend: 'webgpu', attention: { sizes, limits: gpu } });
    expect(problems.map((p) => p.kind)).toEqual(['attention']);
    expect(problems[0]!.message).toMatch(/its smallest, small \(17 frames of 288×160\) needs 1\.20 GB in one buffer .* but this GPU binds at most 1\.00 GB of one buffer \(maxStorageBufferBindingSize\)\. A GPU that allows larger buffers/);
    // the smallest fits at one pass: the page offers it (and disables the other)
    expect(fitProblems({ ...tiny, backend: 'webgpu', attention: { sizes, limits: { ...gpu, maxStorageBufferBindingSize: 1.2e9 } } })).toEqual([]);
    // limits or sizes unknown: not judged
    expect(fitProblems({ ...tiny, backend: 'webgpu', attention: { sizes } })).toEqual([]);
  });

  it('on WebAssembly the scores count beside the weights in its one memory', () => {
    const sizes = [{ name: 'small', video: { frames: 17, height: 160, width: 288 }, attentionScoresBytes: 4e9 }]; // 2 GB at one pass
    const withDenoiser = (bytes: number) => {
      const components = [{ name: 'denoiser', variant: 'int8', bytes, memoryBytes: bytes }, { name: 'textEncoder', variant: 'int8', bytes: 0.1e9, memoryBytes: 0.1e9 }];
      return { ...tiny, components, attention: { sizes, limits: { backend: 'wasm' as const, memoryBytes: WASM_MEMORY_BYTES, weightsBytes: bytes + 0.1e9 } } };
    };
    const refused = fitProblems(withDenoiser(2.2e9));
    expect(refused.map((p) => p.kind)).toEqual(['attention']);
    expect(refused[0]!.message).toMatch(/its one size, small .* needs 2\.00 GB in one buffer .* but the 4\.29 GB WebAssembly memory has only 1\.99 GB left beside the model's 2\.30 GB of weights\. A browser with WebGPU/);
    expect(fitProblems(withDenoiser(2.1e9))).toEqual([]);
  });
});
