/** NaN/Infinity in a component's output fails the generation at the step it appears, with a typed error. */
import { describe, expect, it } from 'vitest';
import { deserializeEngineError, GenerationError, InferenceError, serializeEngineError } from '../../../src/engine/errors';
import { assertFinite, firstNonFinite } from '../../../src/engine/health';
import { LoraSlots } from '../../../src/engine/lora-slots';
import { runPipeline, type PipelineComponents } from '../../../src/engine/pipeline';

describe('health checks', () => {
  it('finds the first NaN or ±Infinity', () => {
    expect(firstNonFinite(Float32Array.from([0, -1, 3.4e38]))).toBe(-1);
    expect(firstNonFinite(Float32Array.from([0, NaN, Infinity]))).toBe(1);
    expect(firstNonFinite(Float32Array.from([0, 1, -Infinity]))).toBe(2);
    expect(firstNonFinite(new Float32Array(0))).toBe(-1);
  });

  it('assertFinite throws a GenerationError naming the component and step', () => {
    expect(() => assertFinite(Float32Array.from([1, 2]), 'denoiser')).not.toThrow();
    let err: unknown;
    try {
      assertFinite(Float32Array.from([1, NaN]), 'denoiser', { step: 4, steps: 20 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GenerationError);
    expect((err as Error).message).toMatch(/denoiser produced NaN .* at step 4 of 20.*fp32/);
    // Survives the worker boundary as the same class, with its details.
    const back = deserializeEngineError(serializeEngineError(err)) as GenerationError;
    expect(back).toBeInstanceOf(GenerationError);
    expect(back.details).toMatchObject({ component: 'denoiser', step: 4, index: 1 });
    expect(new InferenceError('x')).toBeInstanceOf(GenerationError);
  });

  it('the pipeline stops at the step whose denoiser output is not finite', async () => {
    let calls = 0;
    const parts: PipelineComponents = {
      encodeText: async (t) => ({ hidden: new Float32Array(t.length * 2 * 2), mask: new Float32Array(t.length * 2).fill(1) }),
      denoise: async (b) => {
        calls++;
        const v = new Float32Array(b.latent.length).fill(0.1);
        if (calls === 2) v[3] = Infinity;
        return { vLatent: v, vMotion: null };
      },
      decodePreview: async () => ({ data: new Float32Array(3), dims: [1, 3, 1, 1, 1] }),
      decodeVideo: async () => ({ data: new Float32Array(3), dims: [1, 3, 1, 1, 1] }),
    };
    const cfg = {
      latentDims: [1, 1, 2, 2] as [number, number, number, number], motionChannels: null, maxLength: 2, hiddenSize: 2, scheduleShift: 1, scheduleSpacing: 'vidlet' as const,
      lora: new LoraSlots({ slots: ['identity'], depth: 1, targets: ['q'], rank: 1, width: 1 }),
    };
    const steps: number[] = [];
    const p = runPipeline(cfg, parts, { prompt: 'p', seed: 1, steps: 4, guidance: 1, innerGuidance: 0, sampler: 'euler' }, { onStep: (s) => steps.push(s.step) });
    await expect(p).rejects.toMatchObject({ name: 'GenerationError', details: { step: 2 } });
    expect(steps).toEqual([1]);
    expect(calls).toBe(2);
  });
});
