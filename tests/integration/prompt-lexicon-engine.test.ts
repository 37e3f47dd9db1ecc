/**
 * The colour lexicon on the real engine and the shipped package (public/models/vidlet-tiny, int8 on
 * wasm, Node): a prompt with colour names gives, bit for bit, the clip of the prompt the lexicon
 * rewrites it to (same seed); the same package without text.lexicon reads the names as written.
 * The text cache is off, so every clip goes through the text encoder. Two steps, one thread.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VidletEngine } from '../../src/engine/engine';
import type { Ort } from '../../src/engine/sessions';
import type { GenerateRequest } from '../../src/engine/types';
import { NodeFolderStore } from '../../src/store/node-store';
import { available, SHIPPED_MODEL } from '../prerequisites';

const MODEL = 'public/models/vidlet-tiny';
const TITLE = 'the colour lexicon on the shipped model (wasm, Node)';
const hash = (d: Uint8ClampedArray) => createHash('sha256').update(d).digest('hex');

const named: GenerateRequest = {
  prompt: 'a tangerine star moves left on an emerald background', negativePrompt: 'a jet black ring',
  seed: 11, steps: 2, guidance: 5, innerGuidance: 3, sampler: 'euler',
};
const rewritten: GenerateRequest = { ...named, prompt: 'an orange star moves left on a green background', negativePrompt: 'a black ring' };

describe.runIf(available(SHIPPED_MODEL, TITLE))(TITLE, () => {
  const engine = new VidletEngine(new NodeFolderStore(), ortWeb as unknown as Ort, { cacheText: false });
  /** The shipped files linked into a folder whose manifest has no text.lexicon. */
  let bare: string;

  beforeAll(async () => {
    bare = mkdtempSync(join(tmpdir(), 'vidlet-no-lexicon-'));
    for (const f of readdirSync(MODEL)) if (f !== 'manifest.json' && f !== 'lexicon.json') symlinkSync(resolve(MODEL, f), join(bare, f));
    const manifest = JSON.parse(readFileSync(`${MODEL}/manifest.json`, 'utf8'));
    expect(manifest.text.lexicon).toBe('lexicon.json');
    delete manifest.text.lexicon;
    writeFileSync(join(bare, 'manifest.json'), JSON.stringify(manifest));
    const info = await engine.loadModel({ base: MODEL }, { numThreads: 1 });
    expect([info.backend.backend, info.variant]).toEqual(['wasm', 'int8']);
  });
  afterAll(() => rmSync(bare, { recursive: true, force: true }));

  it('analyzePrompt reports the colour readings and no longer lists them as unknown', async () => {
    const a = await engine.analyzePrompt(named.prompt);
    expect(a.colourNames).toEqual([{ written: 'tangerine', colour: 'orange' }, { written: 'emerald', colour: 'green' }]);
    expect(a.unknownWords).toEqual([]);
  });

  it('a prompt with colour names gives bit for bit the clip of its rewritten prompt; without the lexicon it does not', async () => {
    const a = await engine.generate(named);
    const b = await engine.generate(rewritten);
    expect(hash(a.video.data)).toBe(hash(b.video.data));
    expect(a.unknownWords).toEqual([]);

    await engine.loadModel({ base: bare }, { numThreads: 1 });
    const analysis = await engine.analyzePrompt(named.prompt);
    expect(analysis.colourNames).toEqual([]);
    expect(analysis.unknownWords).toEqual(expect.arrayContaining(['tangerine', 'emerald']));
    const plain = await engine.generate(rewritten);
    expect(hash(plain.video.data)).toBe(hash(a.video.data)); // the same words, the same clip
    const asWritten = await engine.generate(named);
    expect(hash(asWritten.video.data)).not.toBe(hash(a.video.data));
  });
});
