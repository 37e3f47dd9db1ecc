/**
 * A ModelFileStore over a local folder (Node: CLI, integration tests). Every listed file is
 * size-checked and sha256-verified while it is read, so a corrupt or truncated file is refused
 * with an error naming the file and both hashes (ensureStored, for files needed later, checks the
 * size only; the hash waits for their getFile). A read with `verify: 'if-changed'` of a file this
 * store hashed before, unchanged since as far as the file system tells, is not hashed again
 * (ReadOptions in types.ts). Node-only: imports node:fs and node:crypto.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { FileUnavailableError, IntegrityError, SizeMismatchError } from './errors';
import { relPath } from './json-fields';
import type { FileProgress, ModelFileStore, PackageFile, ReadOptions } from './types';

/** Bytes per read: progress arrives this often, and each read is one slice of the output buffer. */
const READ_BYTES = 4 << 20;

export class NodeFolderStore implements ModelFileStore {
  async readManifest(base: string): Promise<unknown> {
    const file = this.resolveIn(base, 'manifest.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new FileUnavailableError('manifest.json', base, `${reason(e)}; is ${base} a Vidlet model folder?`);
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new FileUnavailableError('manifest.json', base, `it is not valid JSON (${(e as Error).message}); re-export the model`);
    }
  }

  async readText(base: string, path: string): Promise<string> {
    const file = this.resolveIn(base, path);
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      throw new FileUnavailableError(path, base, reason(e));
    }
  }

  /**
   * What this store hashed, by full path: the sha256 it matched and the file's identity when it was
   * read (device, inode, size, mtime and ctime in ns), for getFile's `verify: 'if-changed'`. Any
   * write through the file system changes the mtime or the ctime (ctime cannot be set back by
   * utimes); a file replaced by a rename has another inode. Taken before the read, so a write
   * during the read that the hash missed still differs at the next one.
   */
  private readonly verified = new Map<string, { sha256: string; id: string }>();

  async getFile(base: string, file: PackageFile, onProgress?: (p: FileProgress) => void, options: ReadOptions = {}): Promise<Uint8Array> {
    const { full, id: before } = await this.listedSize(base, file);
    const size = file.bytes;
    const sha256 = file.sha256.toLowerCase();
    const known = this.verified.get(full);
    const trusted = options.verify === 'if-changed' && known?.sha256 === sha256 && known.id === before;

    // Read straight into one preallocated buffer and hash each slice as it lands: one pass, no copy.
    const out = new Uint8Array(size);
    const hash = trusted ? null : createHash('sha256');
    let loaded = 0;
    const report = () => onProgress?.({ path: file.path, loadedBytes: loaded, totalBytes: size, fromCache: false });
    report();
    let handle;
    try {
      handle = await open(full, 'r');
      for (;;) {
        const want = Math.min(READ_BYTES, size - loaded);
        // One byte past the listed size, to notice a file that grew since its size was checked.
        const { bytesRead } = want > 0 ? await handle.read(out, loaded, want, loaded) : await handle.read(new Uint8Array(1), 0, 1, loaded);
        if (bytesRead === 0) break;
        if (want === 0) throw new SizeMismatchError(file.path, file.bytes, loaded + bytesRead, base);
        hash?.update(out.subarray(loaded, loaded + bytesRead));
        loaded += bytesRead;
        report();
      }
    } catch (e) {
      if (e instanceof SizeMismatchError) throw e;
      throw new FileUnavailableError(file.path, base, reason(e));
    } finally {
      await handle?.close();
    }
    if (loaded !== size) throw new SizeMismatchError(file.path, file.bytes, loaded, base);
    // Unhashed bytes stand only if nothing wrote the file while they were read; else they are hashed now.
    const after = hash ? undefined : await this.listedSize(base, file).then((f) => f.id, () => undefined);
    const actual = hash ? hash.digest('hex') : after === before ? sha256 : createHash('sha256').update(out).digest('hex');
    if (actual !== sha256) {
      this.verified.delete(full);
      throw new IntegrityError(file.path, sha256, actual, base);
    }
    this.verified.set(full, { sha256, id: before });
    return out;
  }

  /**
   * ModelFileStore.ensureStored: the folder already holds what it holds, so only its size is checked
   * (a missing or truncated file is still named at load); getFile hashes the bytes when it reads them.
   */
  async ensureStored(base: string, file: PackageFile, onProgress?: (p: FileProgress) => void): Promise<void> {
    await this.listedSize(base, file);
    onProgress?.({ path: file.path, loadedBytes: file.bytes, totalBytes: file.bytes, fromCache: false });
  }

  /**
   * The file's full path, once it exists with the listed size (else the error naming it), and its
   * identity for `verified`: device, inode, size, mtime and ctime (ns).
   */
  private async listedSize(base: string, file: PackageFile): Promise<{ full: string; id: string }> {
    const full = this.resolveIn(base, file.path);
    let s;
    try {
      s = await stat(full, { bigint: true });
    } catch (e) {
      throw new FileUnavailableError(file.path, base, reason(e));
    }
    if (s.size !== BigInt(file.bytes)) throw new SizeMismatchError(file.path, file.bytes, Number(s.size), base);
    return { full, id: `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` };
  }

  /** Joins a manifest path onto the folder, refusing anything that would leave it. */
  private resolveIn(base: string, path: string): string {
    try {
      relPath(path, 'path'); // same rules as the manifest: no '..', no absolute paths, no URLs
    } catch (e) {
      throw new FileUnavailableError(path, base, (e as Error).message.replace(/^manifest\.path /, 'the path '));
    }
    const root = resolve(base);
    const full = resolve(root, path);
    if (!full.startsWith(root + sep)) throw new FileUnavailableError(path, base, 'the path leaves the model folder');
    return full;
  }
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return 'no such file';
  if (err?.code === 'EACCES') return 'permission denied';
  return err?.message ?? String(e);
}
