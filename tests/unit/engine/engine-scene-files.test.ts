/**
 * The scene denoiser's files at load and at first use (#13 warm start): a load reads and hashes
 * only the files of the sessions it makes; the scene denoiser's are only made sure of
 * (ModelFileStore.ensureStored), and read — sha256-checked by the store — when its session is
 * first made. So a corrupt scene file still fails with the store's own message, naming the file
 * and both hashes, before its session is made or run, and plain prompts keep working.
 *
 * A real NodeFolderStore over a temporary copy of the shipped package whose graph files are fake
 * (each holds its own path, with the manifest's bytes and sha256 rewritten to match), run by the
 * fake onnxruntime of fake-package.ts.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VidletEngine } from '../../../src/engine/engine';
import type { Ort } from '../../../src/engine/sessions';
import type { GenerateRequest } from '../../../src/engine/types';
import { NodeFolderStore } from '../../../src/store/node-store';
import type { FileProgress, PackageFile } from '../../../src/store/types';
import { cpu, fakeOrt, MODEL } from './fake-package';

const req: GenerateRequest = { prompt: 'a red ball bounces on white', seed: 1, steps: 1, guidance: 5, innerGuidance: 3, sampler: 'euler' };
const plan = [{ text: 'a red ball bounces on white', frames: 8 }, { text: 'a blue star spins on yellow', frames: 16 }];
const isScene = (path: string) => path.startsWith('scene_denoiser');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Component { variants: Record<string, { files: PackageFile[] }> }

/** The shipped package with fake graph files (each file's bytes are its path), in a temporary folder. */
function fakeFolder(): { dir: string; manifest: { components: Record<string, Component>; video: { frames: number } } } {
  const dir = mkdtempSync(join(tmpdir(), 'vidlet-scene-files-'));
  for (const f of ['tokenizer.json', 'vocabulary.json', 'lexicon.json', 'contrast.json', 'adapters']) cpSync(join(MODEL, f), join(dir, f), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(MODEL, 'manifest.json'), 'utf8'));
  for (const c of Object.values(manifest.components as Record<string, Component>)) {
    for (const v of Object.values(c.variants)) {
      for (const f of v.files) {
        const bytes = new TextEncoder().encode(f.path);
        writeFileSync(join(dir, f.path), bytes);
        Object.assign(f, { bytes: bytes.length, sha256: sha(bytes) });
      }
    }
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { dir, manifest };
}

/** The store, recording which files were read (getFile) and which only made sure of (ensureStored). */
function recordingStore() {
  const read: string[] = [];
  const ensured: string[] = [];
  const store = new NodeFolderStore();
  const getFile = store.getFile.bind(store);
  const ensureStored = store.ensureStored.bind(store);
  store.getFile = (b: string, f: PackageFile, p?: (x: FileProgress) => void) => (read.push(f.path), getFile(b, f, p));
  store.ensureStored = (b: string, f: PackageFile, p?: (x: FileProgress) => void) => (ensured.push(f.path), ensureStored(b, f, p));
  return { store, read, ensured };
}

/** The fake onnxruntime, recording the graph file of each session made. */
function countingOrt(manifest: unknown) {
  const created: string[] = [];
  const ort = fakeOrt(manifest, []);
  const create = ort.InferenceSession.create.bind(ort.InferenceSession) as (bytes: Uint8Array, o?: unknown) => Promise<unknown>;
  const counting = {
    ...ort,
    InferenceSession: { create: async (bytes: Uint8Array, o?: unknown) => (created.push(new TextDecoder().decode(bytes)), create(bytes, o)) },
  } as unknown as Ort;
  return { ort: counting, created };
}

describe('VidletEngine: the scene denoiser files are checked when first read, not at load', () => {
  let dir: string;
  let manifest: ReturnType<typeof fakeFolder>['manifest'];
  beforeEach(() => ({ dir, manifest } = fakeFolder()));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a load reads only the files of the sessions it makes; the first scene plan reads the scene file, once', async () => {
    const { store, read, ensured } = recordingStore();
    const { ort, created } = countingOrt(manifest);
    const engine = new VidletEngine(store, ort, { probe: cpu });
    const progress: number[] = [];
    const info = await engine.loadModel({ base: dir }, {}, (p) => void progress.push(p.loadedBytes));
    expect(read.some(isScene)).toBe(false);
    expect(ensured).toHaveLength(1);
    expect(isScene(ensured[0]!)).toBe(true);
    expect(read.filter((p) => p.endsWith('.onnx'))).toHaveLength(4); // text encoder, denoiser, preview decoder, VAE decoder (and the adapters' blender table)
    expect(Math.max(...progress)).toBe(info.bytes); // the load's progress still counts the scene file

    await engine.generate(req);
    expect(read.some(isScene)).toBe(false);
    await engine.generate({ ...req, scenes: plan });
    await engine.generate({ ...req, scenes: plan, seed: 2 });
    expect(read.filter(isScene)).toEqual(ensured);
    expect(created.filter(isScene)).toEqual(ensured);
  });

  it('a corrupt scene file: the load stands, the first scene plan fails with the store\'s message before the session is made, plain prompts work', async () => {
    const { store } = recordingStore();
    const { ort, created } = countingOrt(manifest);
    const engine = new VidletEngine(store, ort, { probe: cpu });
    const info = await engine.loadModel({ base: dir });
    const file = manifest.components.sceneDenoiser!.variants[info.variant]!.files[0]!;
    const good = readFileSync(join(dir, file.path));
    const bad = Buffer.from(good);
    bad[0] ^= 0x20; // same size: only the hash can tell
    writeFileSync(join(dir, file.path), bad);

    const err = await engine.generate({ ...req, scenes: plan }).then(() => null, (e: Error) => e);
    // The message the store gives for that file (the one a load gave when it read it there).
    const direct = await new NodeFolderStore().getFile(dir, file).then(() => null, (e: Error) => e);
    expect(direct).toMatchObject({ name: 'IntegrityError' });
    expect(err).toMatchObject({ name: 'IntegrityError', message: direct!.message });
    expect(err!.message).toContain(`${file.path} from ${dir} is corrupt: its sha256 is ${sha(bad)}, but the manifest lists ${file.sha256}`);
    expect(created.some(isScene)).toBe(false); // never made, never run

    expect((await engine.generate(req)).video.frames).toBe(manifest.video.frames);
    writeFileSync(join(dir, file.path), good); // repaired: the next scene plan works
    expect((await engine.generate({ ...req, scenes: plan })).scenes).toEqual({ asked: 2, conditioned: 2 });
    expect(created.filter(isScene)).toHaveLength(1);
  });

  it('a missing or truncated scene file is still refused at load, naming it', async () => {
    const { store } = recordingStore();
    const { ort } = countingOrt(manifest);
    const variant = (await new VidletEngine(new NodeFolderStore(), countingOrt(manifest).ort, { probe: cpu }).loadModel({ base: dir })).variant;
    const file = manifest.components.sceneDenoiser!.variants[variant]!.files[0]!;
    writeFileSync(join(dir, file.path), 'short');
    await expect(new VidletEngine(store, ort, { probe: cpu }).loadModel({ base: dir })).rejects.toMatchObject({
      name: 'SizeMismatchError', message: expect.stringContaining(file.path),
    });
    rmSync(join(dir, file.path));
    await expect(new VidletEngine(store, ort, { probe: cpu }).loadModel({ base: dir })).rejects.toMatchObject({
      name: 'FileUnavailableError', message: expect.stringContaining(file.path),
    });
  });
});
