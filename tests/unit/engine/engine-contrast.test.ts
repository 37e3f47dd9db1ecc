/**
 * VidletEngine with the package's object nouns (text.contrast), over a fake onnxruntime that records
 * the text encoder's input_ids and the denoiser's batch: a prompt naming an object noun gets a
 * contrast pass whose text is the reading of the prompt after the colour lexicon, encoded in the same
 * batch; a prompt without one, contrast 0, a scene plan or a package without contrast.json get none;
 * prepareText encodes the same batch; the table and the request are checked.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkRequest, VidletEngine } from '../../../src/engine/engine';
import { PromptTokenizer } from '../../../src/engine/tokenizer';
import type { GenerateRequest } from '../../../src/engine/types';
import { cpu, fakeOrt, MODEL, spyOnTextEncoder, storeFor } from './fake-package';

const shipped = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
const tokenizer = new PromptTokenizer(JSON.parse(readFileSync(`${MODEL}/tokenizer.json`, 'utf8')), shipped.text.maxLength);
const req: GenerateRequest = {
  prompt: 'a tangerine heart moves left on an emerald background', negativePrompt: 'blurry',
  seed: 1, steps: 1, guidance: 5, innerGuidance: 3, contrast: 2, sampler: 'euler',
};
const READ = 'an orange heart moves left on a green background'; // the prompt after the colour lexicon
const ids = (texts: string[]) => Array.from(tokenizer.encodeBatch(texts).inputIds);

/** An engine on `json` whose text-encoder calls push their input_ids onto `encoded`; `batches()`: each denoiser call's batch. */
async function engineOn(json: unknown): Promise<{ engine: VidletEngine; encoded: bigint[][]; batches: () => number[] }> {
  const encoded: bigint[][] = [];
  const feeds: Record<string, number[]>[] = [];
  const ort = fakeOrt(json, feeds);
  const spying = spyOnTextEncoder(ort, encoded);
  const engine = new VidletEngine(storeFor(json), spying, { probe: cpu });
  await engine.loadModel({ base: MODEL });
  return { engine, encoded, batches: () => feeds.map((f) => f.latent![0]!) };
}

describe('VidletEngine with contrast guidance', () => {
  it('a prompt naming an object noun gets a fourth pass, its reading encoded last in the same batch', async () => {
    const { engine, encoded, batches } = await engineOn(shipped);
    const r = await engine.generate(req);
    expect(encoded).toEqual([ids([READ, 'blurry', 'an orange shape moves left on a green background'])]);
    expect(r.batch).toBe(4);
    expect(r.passes).toEqual(['cond', 'uncond', 'motionDropped', 'contrast']);
    expect(batches()).toEqual([4]);
  });

  it('the package says it has object nouns, and its default (0) is off', async () => {
    const { engine } = await engineOn(shipped);
    const info = await engine.loadModel({ base: MODEL });
    expect(info.hasContrast).toBe(true);
    expect(info.defaults.contrast).toBe(shipped.schedule.defaultContrast);
  });

  it('no contrast pass for a prompt without an object noun, at contrast 0 or absent', async () => {
    const { engine, encoded, batches } = await engineOn(shipped);
    const plain = await engine.generate({ ...req, prompt: 'something orange moves left' });
    expect(plain.passes).toEqual(['cond', 'uncond', 'motionDropped']);
    expect(encoded[0]).toEqual(ids(['something orange moves left', 'blurry']));
    expect((await engine.generate({ ...req, contrast: 0 })).batch).toBe(3);
    const { contrast: _, ...without } = req;
    expect((await engine.generate(without)).batch).toBe(3);
    expect(batches()).toEqual([3, 3, 3]);
  });

  it('a scene plan gets no contrast pass', async () => {
    const { engine, batches } = await engineOn(shipped);
    const scenes = [{ text: 'a red heart bounces', frames: 8 }, { text: 'a blue star spins', frames: 8 }];
    const r = await engine.generate({ ...req, prompt: 'a red heart bounces Then cut to a blue star spins', scenes });
    expect(r.passes).not.toContain('contrast');
    expect(batches()).toEqual([3]);
  });

  it('prepareText encodes the batch generate then finds in the cache', async () => {
    const { engine, encoded } = await engineOn(shipped);
    await engine.prepareText(req);
    expect(encoded).toHaveLength(1);
    await engine.generate(req);
    expect(encoded).toHaveLength(1);
  });

  it('analyzePrompt gives the reading Shape emphasis would use, or null when it would do nothing', async () => {
    const { engine } = await engineOn(shipped);
    expect((await engine.analyzePrompt(req.prompt)).contrastReading).toBe('an orange shape moves left on a green background');
    expect((await engine.analyzePrompt('something orange moves left')).contrastReading).toBeNull();
    const json = JSON.parse(JSON.stringify(shipped));
    delete json.text.contrast;
    expect((await (await engineOn(json)).engine.analyzePrompt(req.prompt)).contrastReading).toBeNull();
  });

  it('a package without text.contrast never plans the pass', async () => {
    const json = JSON.parse(JSON.stringify(shipped));
    delete json.text.contrast;
    const { engine, encoded } = await engineOn(json);
    const r = await engine.generate(req);
    expect(r.batch).toBe(3);
    expect(encoded).toEqual([ids([READ, 'blurry'])]);
    expect((await engine.loadModel({ base: MODEL })).hasContrast).toBe(false);
  });

  it('a malformed contrast table fails the load with a ModelFormatError naming the file', async () => {
    const json = JSON.parse(JSON.stringify(shipped));
    json.text.contrast = 'vocabulary.json'; // a JSON list, not {"neutral", "words"}
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, []), { probe: cpu });
    await expect(engine.loadModel({ base: MODEL })).rejects.toMatchObject({ name: 'ModelFormatError', details: { file: 'vocabulary.json' } });
  });

  it('refuses a contrast outside 0–30 by name; absent is allowed', () => {
    expect(() => checkRequest({ ...req, contrast: -1 })).toThrow(expect.objectContaining({ name: 'InvalidRequestError', details: { field: 'contrast' } }));
    expect(() => checkRequest({ ...req, contrast: 31 })).toThrow(/contrast must be a number from 0 to 30/);
    expect(() => checkRequest({ ...req, contrast: Number.NaN })).toThrow(/contrast/);
    const { contrast: _, ...without } = req;
    expect(() => checkRequest(without)).not.toThrow();
  });
});
