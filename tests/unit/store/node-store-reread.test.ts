/**
 * NodeFolderStore.getFile with `verify: 'if-changed'` (ReadOptions, src/store/types.ts): a file this
 * store hashed is read again without hashing while the file system shows it unchanged (same inode,
 * size, mtime, ctime); a file written since — in place, or replaced by a rename, even with the
 * same bytes — is hashed again, so a changed file is still refused. Hashes are counted by spying
 * on node:crypto's createHash, which the store makes one of per hashed read.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

const hashes = vi.hoisted(() => ({ made: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, createHash: (...a: Parameters<typeof real.createHash>) => (hashes.made++, real.createHash(...a)) };
});

const { createHash } = await import('node:crypto');
const { NodeFolderStore } = await import('../../../src/store/node-store');

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const again = { verify: 'if-changed' } as const;

describe("NodeFolderStore: verify 'if-changed'", () => {
  let dir: string;
  const data = randomBytes(5 << 20); // more than one 4 MiB read
  const file = { path: 'part.onnx.data', bytes: data.length, sha256: '' };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vidlet-reread-'));
    file.sha256 = sha(data);
  });
  beforeEach(async () => {
    await writeFile(join(dir, file.path), data);
    hashes.made = 0;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const read = async (store: InstanceType<typeof NodeFolderStore>, options?: { verify: 'always' | 'if-changed' }) => {
    const before = hashes.made;
    const out = await store.getFile(dir, file, undefined, options);
    expect(Buffer.from(out).equals(data)).toBe(true);
    return hashes.made - before;
  };

  it('hashes the first read, not the reads after it; a plain read, or another store, hashes', async () => {
    const store = new NodeFolderStore();
    expect(await read(store, again)).toBe(1);
    expect(await read(store, again)).toBe(0);
    expect(await read(store, again)).toBe(0);
    expect(await read(store)).toBe(1); // 'always', the default
    expect(await read(new NodeFolderStore(), again)).toBe(1); // what one store hashed is its own
  });

  it('a file written since, even to the same bytes with its mtime set back, is hashed again', async () => {
    const store = new NodeFolderStore();
    expect(await read(store, again)).toBe(1);
    const path = join(dir, file.path);
    const { mtime } = await import('node:fs/promises').then((fs) => fs.stat(path));
    await writeFile(path, data);
    await utimes(path, mtime, mtime); // the ctime still moves
    expect(await read(store, again)).toBe(1);
    expect(await read(store, again)).toBe(0);
    // Replaced by a rename (how an exporter writes atomically): another inode.
    await writeFile(`${path}.new`, data);
    await rename(`${path}.new`, path);
    expect(await read(store, again)).toBe(1);
  });

  it('a file changed after it was hashed is refused, however it is read', async () => {
    const store = new NodeFolderStore();
    expect(await read(store, again)).toBe(1);
    const bad = Buffer.from(data);
    bad[123_456] ^= 0xff; // same size: only the hash can tell
    await writeFile(join(dir, file.path), bad);
    await expect(store.getFile(dir, file, undefined, again)).rejects.toMatchObject({ name: 'IntegrityError' });
    // and not trusted afterwards either
    await expect(store.getFile(dir, file, undefined, again)).rejects.toMatchObject({ name: 'IntegrityError' });
    await writeFile(join(dir, file.path), data);
    expect(await read(store, again)).toBe(1);
  });
});
