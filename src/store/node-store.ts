/**
 * A ModelFileStore over a local folder (Node: CLI, integration tests). Every listed file is
 * size-checked and sha256-verified while it is read, so a corrupt or truncated file is refused
 * with an error naming the file and both hashes (ensureStored, for files needed later, checks the
 * size only; the hash waits for their getFile). Node-only: imports node:fs and node:crypto.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { FileUnavailableError, IntegrityError, SizeMismatchError } from './errors';
import { relPath } from './json-fields';
import type { FileProgress, ModelFileStore, PackageFile } from './types';

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

  async getFile(base: string, file: PackageFile, onProgress?: (p: FileProgress) => void): Promise<Uint8Array> {
    const full = await this.listedSize(base, file);
    const size = file.bytes;

    // Read into one preallocated buffer and hash while reading: one pass, no copy of the whole file.
    const out = new Uint8Array(size);
    const hash = createHash('sha256');
    let loaded = 0;
    const report = () => onProgress?.({ path: file.path, loadedBytes: loaded, totalBytes: size, fromCache: false });
    report();
    try {
      for await (const chunk of createReadStream(full, { highWaterMark: 4 << 20 })) {
        const bytes = chunk as Buffer;
        if (loaded + bytes.length > size) throw new SizeMismatchError(file.path, file.bytes, loaded + bytes.length, base);
        out.set(bytes, loaded);
        hash.update(bytes);
        loaded += bytes.length;
        report();
      }
    } catch (e) {
      if (e instanceof SizeMismatchError) throw e;
      throw new FileUnavailableError(file.path, base, reason(e));
    }
    if (loaded !== size) throw new SizeMismatchError(file.path, file.bytes, loaded, base);
    const actual = hash.digest('hex');
    if (actual !== file.sha256.toLowerCase()) throw new IntegrityError(file.path, file.sha256.toLowerCase(), actual, base);
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

  /** The file's full path, once it exists with the listed size (else the error naming it). */
  private async listedSize(base: string, file: PackageFile): Promise<string> {
    const full = this.resolveIn(base, file.path);
    let size: number;
    try {
      size = (await stat(full)).size;
    } catch (e) {
      throw new FileUnavailableError(file.path, base, reason(e));
    }
    if (size !== file.bytes) throw new SizeMismatchError(file.path, file.bytes, size, base);
    return full;
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
