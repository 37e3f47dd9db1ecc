/**
 * The generation loop over fake components (no onnxruntime): batching, text routing, previews,
 * cancellation and the joint latent/motion state.
 */
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../../src/engine/errors';
import { LoraSlots } from '../../../src/engine/lora-slots';
import { runPipeline, type DenoiserBatch, type PipelineComponents } from '../../../src/engine/pipeline';
import type { GenerateRequest } from '../../../src/engine/types';

const L = 4, H = 2;
const cfg = {
  latentDims: [2, 1, 2, 2] as [number, number, number, number],
  motionChannels: 2,
  maxLength: L,
  hiddenSize: H,
  scheduleShift: 1, scheduleSpacing: 'vidlet' as const,
  lora: new LoraSlots({ slots: ['identity'], depth: 2, targets: ['q'], rank: 1, width: 2 }),
};
const req: GenerateRequest = { prompt: 'p', negativePrompt: 'n', seed: 1, steps: 3, guidance: 5, innerGuidance: 3, sampler: 'euler' };

function fakes(calls: DenoiserBatch[], texts: string[][]): PipelineComponents {
  return {
    encodeText: async (t) => {
      texts.push(t);
      // text b is filled with b+1 so routing is visible; mask all ones
      const hidden = new Float32Array(t.length * L * H);
      t.forEach((_, b) => hidden.fill(b + 1, b * L * H, (b + 1) * L * H));
      return { hidden, mask: new Float32Array(t.length * L).fill(1) };
    },
    denoise: async (b) => {
      calls.push({ ...b, latent: b.latent.slice(), motion: b.motion ? b.motion.slice() : null, text: b.text.slice(), motionFlag: b.motionFlag.slice(), timestep: b.timestep.slice() });
      // v = x (so the result is a deterministic function of the noise); motion the same
      return { vLatent: b.latent.slice(), vMotion: b.motion ? b.motion.slice() : null };
    },
    decodePreview: async () => ({ data: new Float32Array(3 * 1 * 1 * 1), dims: [1, 3, 1, 1, 1] }),
    decodeVideo: async (latent) => ({ data: new Float32Array(3 * 4).fill(latent[0]!), dims: [1, 3, 1, 2, 2] }),
  };
}

describe('runPipeline', () => {
  it('one batched call per step: [cond, uncond, motion-dropped] with the right text and motion flag', async () => {
    const calls: DenoiserBatch[] = [];
    const texts: string[][] = [];
    const previews: number[] = [];
    const out = await runPipeline(cfg, fakes(calls, texts), req, { onStep: (p) => previews.push(p.step) });
    expect(texts).toEqual([['p', 'n']]); // one text-encoder call with prompt + negative
    expect(calls.length).toBe(3);
    expect(calls.every((c) => c.B === 3)).toBe(true);
    const c = calls[0]!;
    // text of each pass: cond → prompt (1), uncond → negative (2), motion-dropped → prompt (1)
    expect([c.text[0], c.text[L * H], c.text[2 * L * H]]).toEqual([1, 2, 1]);
    expect(Array.from(c.motionFlag)).toEqual([1, 1, 0]);
    expect(Array.from(c.timestep)).toEqual([1, 1, 1]);
    expect(Array.from(calls[1]!.timestep)).toEqual([2 / 3, 2 / 3, 2 / 3].map(Math.fround));
    expect(c.loraScales.length).toBe(3 * 1 * 2);
    expect(previews).toEqual([1, 2, 3]);
    expect(out.batch).toBe(3);
    expect(out.video.frames).toBe(1);
  });

  it('guidance 1 without inner guidance encodes only the prompt and runs B = 1', async () => {
    const calls: DenoiserBatch[] = [];
    const texts: string[][] = [];
    await runPipeline(cfg, fakes(calls, texts), { ...req, guidance: 1, innerGuidance: 0 });
    expect(texts).toEqual([['p']]);
    expect(calls.every((c) => c.B === 1)).toBe(true);
  });

  it('a contrast reading adds a fourth pass, last: the reading\'s text (encoded last), motion flag 1', async () => {
    const calls: DenoiserBatch[] = [];
    const texts: string[][] = [];
    const out = await runPipeline({ ...cfg, contrastReading: 'r' }, fakes(calls, texts), { ...req, contrast: 2 });
    expect(texts).toEqual([['p', 'n', 'r']]);
    expect(calls.every((c) => c.B === 4)).toBe(true);
    const c = calls[0]!;
    // cond → prompt (1), uncond → negative (2), motion-dropped → prompt (1), contrast → reading (3)
    expect([0, 1, 2, 3].map((b) => c.text[b * L * H])).toEqual([1, 2, 1, 3]);
    expect(Array.from(c.motionFlag)).toEqual([1, 1, 0, 1]);
    expect(c.loraScales.length).toBe(4 * 1 * 2);
    expect(out.batch).toBe(4);
    expect(out.passes).toEqual(['cond', 'uncond', 'motionDropped', 'contrast']);

    // without CFG the reading follows the prompt alone
    texts.length = 0;
    calls.length = 0;
    await runPipeline({ ...cfg, contrastReading: 'r' }, fakes(calls, texts), { ...req, steps: 1, guidance: 1, innerGuidance: 0, contrast: 2 });
    expect(texts).toEqual([['p', 'r']]);
    expect([0, 1].map((b) => calls[0]!.text[b * L * H])).toEqual([1, 2]);
  });

  it('no contrast pass without a reading, or at contrast 0', async () => {
    for (const [reading, contrast] of [[null, 2], [undefined, 2], ['r', 0], ['r', undefined]] as const) {
      const texts: string[][] = [];
      const out = await runPipeline({ ...cfg, contrastReading: reading }, fakes([], texts), { ...req, steps: 1, ...(contrast === undefined ? {} : { contrast }) });
      expect([reading, contrast, out.passes, texts]).toEqual([reading, contrast, ['cond', 'uncond', 'motionDropped'], [['p', 'n']]]);
    }
  });

  it('same seed → same result; the joint state steps the motion latent too', async () => {
    const a = await runPipeline(cfg, fakes([], []), req);
    const b = await runPipeline(cfg, fakes([], []), req);
    const c = await runPipeline(cfg, fakes([], []), { ...req, seed: 2 });
    expect(Array.from(a.video.data)).toEqual(Array.from(b.video.data));
    expect(Array.from(a.video.data)).not.toEqual(Array.from(c.video.data));
    // With v = x in every pass, guidance leaves v = x; one Euler step of Δt = 1/3 gives x·(1 − 1/3).
    const calls: DenoiserBatch[] = [];
    await runPipeline(cfg, fakes(calls, []), req);
    const m0 = calls[0]!.motion![0]!;
    expect(calls[1]!.motion![0]).toBeCloseTo(m0 * (1 - 1 / 3), 5);
  });

  it('cancel stops before the next denoiser call with CancelledError', async () => {
    const calls: DenoiserBatch[] = [];
    let cancel = false;
    const p = runPipeline(cfg, fakes(calls, []), { ...req, steps: 10 }, {
      onStep: (s) => { if (s.step === 2) cancel = true; },
      isCancelled: () => cancel,
    });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(calls.length).toBe(2);
  });

  it('decodes the motion latent when asked', async () => {
    const out = await runPipeline(cfg, fakes([], []), { ...req, steps: 1, decodeMotion: true });
    expect(out.motion?.frames).toBe(1);
  });

  it('per-scene: global caption then each scene, negative prompt in every uncond segment, one text_frame_mask per pass', async () => {
    const calls: DenoiserBatch[] = [];
    const texts: string[][] = [];
    const latentCounts: number[] = [];
    const parts = fakes(calls, texts);
    const denoise = parts.denoise;
    parts.denoise = async (b) => {
      latentCounts.push(b.latent.length / b.B);
      calls.push({ ...b, textMask: b.textMask.slice(), textFrameMask: b.textFrameMask?.slice() } as DenoiserBatch);
      const out = await denoise(b);
      calls.splice(calls.length - 1, 1); // keep the copy above, not the fake's own
      return out;
    };
    // two scenes of 1 and 2 latent frames: t = 3
    const sceneCfg = { ...cfg, latentDims: [2, 3, 2, 2] as [number, number, number, number], perScene: { sceneLatents: [1, 2], texts: ['s1', 's2'], globalCaption: true } };
    await runPipeline(sceneCfg, parts, { ...req, steps: 1 });
    expect(texts).toEqual([['p', 's1', 's2', 'n']]); // one encoder call: global, scenes, negative
    const c = calls[0]!;
    const W = 3 * L; // (1 + S)·L tokens
    expect(c.text.length).toBe(3 * W * H);
    expect(c.textMask.length).toBe(3 * W);
    expect(latentCounts[0]).toBe(2 * 3 * 2 * 2);
    const seg = (b: number, s: number) => c.text[(b * 3 + s) * L * H];
    // cond [p, s1, s2] = [1, 2, 3]; uncond: the negative (4) in every segment; motion-dropped as cond
    expect([0, 1, 2].map((s) => seg(0, s))).toEqual([1, 2, 3]);
    expect([0, 1, 2].map((s) => seg(1, s))).toEqual([4, 4, 4]);
    expect([0, 1, 2].map((s) => seg(2, s))).toEqual([1, 2, 3]);
    // frame 0 (scene 1) sees the global caption and scene 1; frames 1–2 the global caption and scene 2; in every pass
    const fm = c.textFrameMask!;
    expect(fm.length).toBe(3 * 3 * W);
    const row = (b: number, f: number) => Array.from({ length: 3 }, (_, s) => fm[(b * 3 + f) * W + s * L]);
    for (const b of [0, 1, 2]) {
      expect(row(b, 0)).toEqual([1, 1, 0]);
      expect(row(b, 1)).toEqual([1, 0, 1]);
      expect(row(b, 2)).toEqual([1, 0, 1]);
    }

    // globalCaption false (manifest scenes.globalCaption): the same text, no frame sees the global segment
    calls.length = 0;
    await runPipeline({ ...sceneCfg, perScene: { ...sceneCfg.perScene, globalCaption: false } }, parts, { ...req, steps: 1 });
    const own = calls[0]!.textFrameMask!;
    expect(calls[0]!.text.length).toBe(3 * W * H);
    expect([0, 1, 2].map((f) => Array.from({ length: 3 }, (_, s) => own[f * W + s * L]))).toEqual([[0, 1, 0], [0, 0, 1], [0, 0, 1]]);
  });

  it('per-scene, one scene: the contrast pass has the reading in the caption\'s place', async () => {
    const calls: DenoiserBatch[] = [];
    const texts: string[][] = [];
    const oneScene = { ...cfg, perScene: { sceneLatents: [1], texts: [], globalCaption: true }, contrastReading: 'r' };
    await runPipeline(oneScene, fakes(calls, texts), { ...req, steps: 1, contrast: 2 });
    expect(texts).toEqual([['p', 'n', 'r']]);
    const c = calls[0]!;
    expect([0, 1, 2, 3].map((b) => c.text[b * L * H])).toEqual([1, 2, 1, 3]);
    expect(Array.from(c.motionFlag)).toEqual([1, 1, 0, 1]);
    expect(c.textFrameMask!.length).toBe(4 * 1 * L);
  });

  it('without perScene the denoiser gets no text_frame_mask and L tokens, as before #10', async () => {
    const calls: DenoiserBatch[] = [];
    await runPipeline(cfg, fakes(calls, []), { ...req, steps: 1 });
    expect(calls[0]!.textFrameMask).toBeUndefined();
    expect(calls[0]!.text.length).toBe(3 * L * H);
  });
});
