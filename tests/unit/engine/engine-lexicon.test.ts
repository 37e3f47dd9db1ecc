/**
 * VidletEngine with the package's colour lexicon (text.lexicon), over a fake onnxruntime that
 * records the text encoder's input_ids: the prompt, the negative prompt and scene captions reach it
 * rewritten, the text cache keys on the rewritten texts, analyzePrompt reports the readings, and a
 * package without a lexicon is read as written.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import { PromptTokenizer } from '../../../src/engine/tokenizer';
import type { GenerateRequest } from '../../../src/engine/types';
import { cpu, fakeOrt, MODEL, spyOnTextEncoder, storeFor } from './fake-package';

const shipped = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
const tokenizer = new PromptTokenizer(JSON.parse(readFileSync(`${MODEL}/tokenizer.json`, 'utf8')), shipped.text.maxLength);
const req: GenerateRequest = {
  prompt: 'a tangerine star moves left on an emerald background', negativePrompt: 'a jet-black ring',
  seed: 1, steps: 1, guidance: 5, innerGuidance: 3, sampler: 'euler',
};
const ids = (texts: string[]) => Array.from(tokenizer.encodeBatch(texts).inputIds);

/** An engine on `json` whose text-encoder calls push their input_ids onto the returned list. */
async function engineOn(json: unknown): Promise<{ engine: VidletEngine; encoded: bigint[][] }> {
  const encoded: bigint[][] = [];
  const ort = fakeOrt(json, []);
  const spying = spyOnTextEncoder(ort, encoded);
  const engine = new VidletEngine(storeFor(json), spying, { probe: cpu });
  await engine.loadModel({ base: MODEL });
  return { engine, encoded };
}

describe('VidletEngine with a colour lexicon', () => {
  it('the prompt and negative prompt reach the text encoder rewritten; the cache keys on the rewritten text', async () => {
    const { engine, encoded } = await engineOn(shipped);
    const r = await engine.generate(req);
    expect(encoded).toEqual([ids(['an orange star moves left on a green background', 'a black ring'])]);
    expect(r.unknownWords).not.toContain('tangerine');
    await engine.generate({ ...req, prompt: 'an orange star moves left on a green background', negativePrompt: 'a black ring' });
    expect(encoded).toHaveLength(1); // the same text to the encoder: served from the cache
  });

  it('scene captions are rewritten too', async () => {
    const { engine, encoded } = await engineOn(shipped);
    const scenes = [{ text: 'a scarlet ball bounces on tangerine', frames: 8 }, { text: 'a hot pink star spins', frames: 8 }];
    await engine.generate({ ...req, scenes });
    expect(encoded).toEqual([ids([
      'an orange star moves left on a green background', 'a red ball bounces on orange', 'a pink star spins', 'a black ring',
    ])]);
  });

  it('analyzePrompt lists the colour readings, and a name read as a colour is not an unknown word', async () => {
    const { engine } = await engineOn(shipped);
    const a = await engine.analyzePrompt('a Tangerine star on a jet-black zyxwv');
    expect(a.colourNames).toEqual([{ written: 'Tangerine', colour: 'orange' }, { written: 'jet-black', colour: 'black' }]);
    expect(a.unknownWords).toEqual(['zyxwv']);
    expect(a.tokens).toEqual(tokenizer.encode('an orange star on a black zyxwv').tokens); // what the encoder reads
  });

  it('a package without text.lexicon reads prompts as written', async () => {
    const json = JSON.parse(JSON.stringify(shipped));
    delete json.text.lexicon;
    const { engine, encoded } = await engineOn(json);
    await engine.generate(req);
    expect(encoded).toEqual([ids([req.prompt, req.negativePrompt!])]);
    const a = await engine.analyzePrompt('a tangerine star');
    expect(a.colourNames).toEqual([]);
    expect(a.unknownWords).toContain('tangerine');
  });

  it('a malformed lexicon fails the load with a ModelFormatError naming the file', async () => {
    const json = JSON.parse(JSON.stringify(shipped));
    json.text.lexicon = 'vocabulary.json'; // a JSON list, not the lexicon's two tables
    const engine = new VidletEngine(storeFor(json), fakeOrt(json, []), { probe: cpu });
    await expect(engine.loadModel({ base: MODEL })).rejects.toMatchObject({ name: 'ModelFormatError', details: { file: 'vocabulary.json' } });
  });
});
