import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkPackage } from '../../../src/store/check-package';
import { ManifestError } from '../../../src/store/errors';
import { NodeFolderStore } from '../../../src/store/node-store';
import { validManifest } from './manifest-fixture';

/** Writes the fixture manifest's files with random contents and the matching sizes and hashes. */
async function writePackage(dir: string): Promise<Record<string, any>> {
  const m = validManifest();
  const put = async (entry: { bytes: number; sha256: string }, path: string) => {
    const data = randomBytes(1000 + Math.floor(Math.random() * 1000));
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), data);
    entry.bytes = data.length;
    entry.sha256 = createHash('sha256').update(data).digest('hex');
  };
  for (const c of Object.values<any>(m.components)) {
    for (const v of Object.values<any>(c.variants)) for (const f of v.files) await put(f, f.path);
  }
  for (const a of m.adapters) {
    await put(a, a.file);
    await writeFile(join(dir, a.description), '{"kind":"motion"}');
  }
  await put(m.blender, m.blender.file);
  await writeFile(join(dir, 'tokenizer.json'), '{"model":{}}');
  await writeFile(join(dir, 'vocabulary.json'), '["a"]');
  await writeFile(join(dir, 'MODEL_CARD.md'), '# card');
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  return m;
}

describe('checkPackage', () => {
  let dir: string;
  let m: Record<string, any>;
  const store = new NodeFolderStore();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vidlet-pkg-'));
    m = await writePackage(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('verifies every listed file and auxiliary file of a good package', async () => {
    const r = await checkPackage(store, dir);
    expect(r.files.filter((f) => f.error)).toEqual([]);
    expect(r.ok).toBe(true);
    // 7 ONNX/data files + adapter + blender, then tokenizer, vocabulary, card, adapter description
    expect(r.files.map((f) => f.path)).toContain('denoiser.onnx.data');
    expect(r.files).toHaveLength(13);
  });

  it('names a corrupt file and where the manifest lists it', async () => {
    const path = m.components.denoiser.variants.fp16.files[0].path;
    await writeFile(join(dir, path), randomBytes(m.components.denoiser.variants.fp16.files[0].bytes));
    const r = await checkPackage(store, dir);
    expect(r.ok).toBe(false);
    const bad = r.files.filter((f) => f.error);
    expect(bad.map((f) => [f.path, f.listedAt])).toEqual([[path, 'components.denoiser.variants.fp16']]);
    expect(bad[0].error).toMatch(/is corrupt: its sha256 is [0-9a-f]{64}, but the manifest lists/);
  });

  it('fails on a tokenizer that is not JSON, and on an invalid manifest', async () => {
    await writeFile(join(dir, 'tokenizer.json'), 'not json');
    expect((await checkPackage(store, dir)).files.find((f) => f.path === 'tokenizer.json')?.error).toMatch(/JSON/);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...m, formatVersion: 3 }));
    await expect(checkPackage(store, dir)).rejects.toBeInstanceOf(ManifestError);
  });
});

describe('checkPackage with a colour lexicon (text.lexicon)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vidlet-pkg-lexicon-'));
    const m = await writePackage(dir);
    m.text.lexicon = 'lexicon.json';
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads it like the vocabulary: missing or not JSON is named with its field', async () => {
    const store = new NodeFolderStore();
    const lexicon = async () => (await checkPackage(store, dir)).files.find((f) => f.path === 'lexicon.json');
    expect(await lexicon()).toMatchObject({ listedAt: 'text.lexicon', error: expect.any(String) });
    await writeFile(join(dir, 'lexicon.json'), '{"colourWords": {');
    expect((await lexicon())?.error).toMatch(/JSON/);
    await writeFile(join(dir, 'lexicon.json'), '{"colourWords": {}, "names": {}}');
    const r = await checkPackage(store, dir);
    expect(r.files.find((f) => f.path === 'lexicon.json')).toEqual({ path: 'lexicon.json', bytes: 32, listedAt: 'text.lexicon' });
    expect(r.ok).toBe(true);
  });
});

describe('checkPackage with contrast nouns (text.contrast)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vidlet-pkg-contrast-'));
    const m = await writePackage(dir);
    m.text.contrast = 'contrast.json';
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads them like the lexicon: missing is named with its field', async () => {
    const store = new NodeFolderStore();
    const contrast = async () => (await checkPackage(store, dir)).files.find((f) => f.path === 'contrast.json');
    expect(await contrast()).toMatchObject({ listedAt: 'text.contrast', error: expect.any(String) });
    await writeFile(join(dir, 'contrast.json'), '{"neutral": "shape", "words": ["heart"]}');
    expect(await contrast()).toEqual({ path: 'contrast.json', bytes: 40, listedAt: 'text.contrast' });
  });
});
