import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileUnavailableError, IntegrityError, SizeMismatchError } from '../../../src/store/errors';
import { NodeFolderStore } from '../../../src/store/node-store';
import type { FileProgress } from '../../../src/store/types';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('NodeFolderStore', () => {
  let dir: string;
  const data = randomBytes(9 << 20); // > one 4 MiB read chunk, so progress arrives several times
  const store = new NodeFolderStore();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vidlet-store-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'model.onnx'), data);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ format: 'vidlet-model' }));
    await writeFile(join(dir, 'tokenizer.json'), '{"x":1}');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the manifest and text files', async () => {
    expect(await store.readManifest(dir)).toEqual({ format: 'vidlet-model' });
    expect(await store.readText(dir, 'tokenizer.json')).toBe('{"x":1}');
  });

  it('returns a file whose sha256 matches, with progress up to its size', async () => {
    const seen: FileProgress[] = [];
    const out = await store.getFile(dir, { path: 'sub/model.onnx', bytes: data.length, sha256: sha(data) }, (p) => seen.push(p));
    expect(Buffer.from(out).equals(data)).toBe(true);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)).toEqual({ path: 'sub/model.onnx', loadedBytes: data.length, totalBytes: data.length, fromCache: false });
  });

  it('rejects a mismatching file, naming the file and both hashes', async () => {
    const wrong = '0'.repeat(64);
    const err = await store.getFile(dir, { path: 'sub/model.onnx', bytes: data.length, sha256: wrong }).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toContain('sub/model.onnx');
    expect(err.message).toContain(wrong);
    expect(err.message).toContain(sha(data));
  });

  it('rejects a file of the wrong size before hashing it', async () => {
    const err = await store.getFile(dir, { path: 'sub/model.onnx', bytes: 10, sha256: sha(data) }).catch((e) => e);
    expect(err).toBeInstanceOf(SizeMismatchError);
    expect(err.message).toContain(`has ${data.length} bytes, but the manifest lists 10`);
  });

  it('names a missing file and refuses paths leaving the folder', async () => {
    const missing = await store.getFile(dir, { path: 'nope.onnx', bytes: 1, sha256: '0'.repeat(64) }).catch((e) => e);
    expect(missing).toBeInstanceOf(FileUnavailableError);
    expect(missing.message).toMatch(/nope\.onnx.*no such file/);
    await expect(store.readText(dir, '../etc/passwd')).rejects.toThrow(/leaves the model folder/);
    await expect(store.readText(dir, '/etc/passwd')).rejects.toThrow(/absolute path/);
    await expect(store.readManifest(join(dir, 'sub'))).rejects.toThrow(/manifest\.json.*no such file/);
  });
});
