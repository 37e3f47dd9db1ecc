/**
 * ModelFileStore for the browser (page or worker): the network behind the IndexedDB cache.
 *
 * getFile: a complete cached copy is returned only after its sha256 re-verifies; a corrupt
 * one is deleted and fetched again, never returned. Otherwise the download resumes from the
 * stored chunks (Range), each finished chunk is stored at once, the whole file is verified,
 * then marked complete. If a resumed file fails verification, the stored prefix may be the
 * damaged part, so it is dropped and the file fetched once more from byte 0.
 * With `verify: 'if-changed'` (ReadOptions), a complete cached copy this store hashed before and
 * whose record is unchanged is returned after the read without a second hash.
 * ensureStored: the same for a file needed only later, but a complete cached copy is not read or
 * hashed (its record and chunk count are looked up); getFile verifies it when it is read.
 * readManifest / readText: network first (so an updated model is seen), falling back to the
 * copy saved in IndexedDB when the network fails — a reload offline still loads the model.
 * A package imported from a local folder (base `vidlet-local://…`, local-import.ts) has no network
 * copy: everything comes from the cache, and a file missing there is an error, never a fetch.
 */
import { ModelCache } from './cache';
import { download, downloadToMemory, type DownloadProgress } from './download';
import { DownloadAbortedError, FileUnavailableError, IntegrityError, SizeMismatchError, StorageFullError } from './errors';
import { relPath } from './json-fields';
import { isLocalBase } from './local-import';
import { verifyFile } from './sha256';
import { pruneOldVersions } from './old-versions';
import { LOAD_MEASURES, measured } from './load-marks';
import type { FileProgress, Manifest, ModelFileStore, PackageFile, ReadOptions } from './types';

export interface BrowserStoreOptions {
  cache?: ModelCache;
  fetch?: typeof fetch;
  /**
   * Cancels downloads in progress (DownloadAbortedError, name 'AbortError', with the bytes of
   * the file kept in the cache); the stored chunks stay, and the next getFile resumes after them.
   */
  signal?: AbortSignal;
  /** Download tuning (tests use short backoffs). */
  retries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Told when something went wrong but loading goes on (corrupt cache copy, cache unusable, offline). */
  onWarning?: (message: string) => void;
}

const MODEL_NAME = /^[a-z0-9-]+$/;
const NOT_STORED = 'this model was added from a folder on this device and is no longer stored in this browser; add the folder again';

export class BrowserModelStore implements ModelFileStore {
  readonly cache: ModelCache;
  private readonly fetchImpl: typeof fetch;
  /** base URL → model name (the cache key prefix), learnt from the manifest. */
  private readonly names = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<Uint8Array>>();
  /**
   * Complete cached copies this store hashed, and the record each was read under (its updatedAt:
   * ModelCache.readStored `written`), for getFile's `verify: 'if-changed'` (ReadOptions). Shared
   * with the withSignal views, so what a load hashed counts for the reads after it.
   */
  private readonly verified: Map<string, number>;
  /** Set when IndexedDB cannot be opened (e.g. some private modes): files are then only downloaded. */
  private cacheBroken = false;

  constructor(private readonly opts: BrowserStoreOptions = {}, verified = new Map<string, number>()) {
    this.cache = opts.cache ?? new ModelCache();
    this.fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.verified = verified;
  }

  /** The same store (same cache) whose downloads stop when `signal` aborts: one per model load. */
  withSignal(signal: AbortSignal): BrowserModelStore {
    const view = new BrowserModelStore({ ...this.opts, cache: this.cache, fetch: this.fetchImpl, signal }, this.verified);
    for (const [base, name] of this.names) view.names.set(base, name);
    return view;
  }

  async readManifest(rawBase: string): Promise<unknown> {
    const base = folderUrl(rawBase);
    const url = resolveUrl(base, 'manifest.json');
    if (isLocalBase(base)) {
      const saved = await this.cache.loadManifest(base).catch(() => undefined);
      if (!saved) throw new FileUnavailableError('manifest.json', base, NOT_STORED);
      this.names.set(base, saved.name);
      return saved.json;
    }
    let networkProblem: string;
    try {
      // no-cache: revalidate, so a re-exported model is noticed; the fallback below covers offline.
      const res = await this.fetchImpl(url, { cache: 'no-cache', signal: this.opts.signal });
      if (res.ok) {
        const text = await res.text();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (e) {
          throw new FileUnavailableError('manifest.json', url, `it is not valid JSON (${(e as Error).message}); is ${base} a Vidlet model folder?`);
        }
        const name = (json as { name?: unknown } | null)?.name;
        if (typeof name === 'string' && MODEL_NAME.test(name)) {
          this.names.set(base, name);
          await this.cache.saveManifest(base, name, json).catch((e) => this.warn(`The manifest could not be kept for offline use: ${(e as Error).message}`));
        }
        return json;
      }
      networkProblem = `HTTP ${res.status} ${res.statusText}`.trim();
    } catch (e) {
      if (e instanceof FileUnavailableError) throw e;
      if (this.opts.signal?.aborted) throw new DownloadAbortedError('manifest.json');
      networkProblem = (e as Error).message || String(e);
    }
    const saved = await this.cache.loadManifest(base).catch(() => undefined);
    if (saved) {
      this.names.set(base, saved.name);
      this.warn(`Could not reach ${url} (${networkProblem}); using the copy saved on ${new Date(saved.savedAt).toISOString()}.`);
      return saved.json;
    }
    throw new FileUnavailableError('manifest.json', url, `${networkProblem}, and no copy is saved in this browser; check the address and the connection`);
  }

  async readText(rawBase: string, path: string): Promise<string> {
    const base = folderUrl(rawBase);
    const url = resolveUrl(base, path);
    const name = await this.modelName(base);
    if (isLocalBase(base)) {
      const saved = await this.cache.loadText(name, path).catch(() => undefined);
      if (saved === undefined) throw new FileUnavailableError(path, base, NOT_STORED);
      return saved;
    }
    let problem: string;
    try {
      const res = await this.fetchImpl(url, { cache: 'no-cache', signal: this.opts.signal });
      if (res.ok) {
        const text = await res.text();
        await this.cache.saveText(name, path, text).catch(() => {});
        return text;
      }
      problem = `HTTP ${res.status} ${res.statusText}`.trim();
    } catch (e) {
      if (this.opts.signal?.aborted) throw new DownloadAbortedError(path);
      problem = (e as Error).message || String(e);
    }
    const saved = await this.cache.loadText(name, path).catch(() => undefined);
    if (saved !== undefined) return saved;
    throw new FileUnavailableError(path, url, `${problem}, and no copy is saved in this browser`);
  }

  getFile(rawBase: string, file: PackageFile, onProgress?: (p: FileProgress) => void, options: ReadOptions = {}): Promise<Uint8Array> {
    const base = folderUrl(rawBase);
    const verify = options.verify ?? 'always';
    // A read that hashes is not answered by one that may not.
    const key = `${base}|${file.path}|${file.sha256}|${verify}`;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.load(base, file, onProgress, verify).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  /**
   * ModelFileStore.ensureStored: a file complete in IndexedDB is only looked up (its record and the
   * count of its chunks, no bytes read or hashed); anything else goes through getFile (downloaded
   * and verified now, so it is there offline later). Without a usable cache nothing can be kept,
   * so nothing is fetched either: getFile downloads the file when it is first read.
   */
  async ensureStored(rawBase: string, file: PackageFile, onProgress?: (p: FileProgress) => void): Promise<void> {
    const base = folderUrl(rawBase);
    if (this.cacheBroken) return;
    const held = await this.cache.holdsComplete(await this.modelName(base), file).catch(() => false);
    if (held) {
      onProgress?.({ path: file.path, loadedBytes: file.bytes, totalBytes: file.bytes, fromCache: true });
      return;
    }
    await this.getFile(base, file, onProgress);
  }

  private async load(base: string, file: PackageFile, onProgress?: (p: FileProgress) => void, verify: ReadOptions['verify'] = 'always'): Promise<Uint8Array> {
    const url = resolveUrl(base, file.path);
    const report = (loadedBytes: number, fromCache: boolean, d?: DownloadProgress) =>
      onProgress?.({
        path: file.path, loadedBytes, totalBytes: file.bytes, fromCache,
        ...(d ? { bytesPerSecond: d.bytesPerSecond, secondsLeft: d.secondsLeft } : {}),
      });
    const downloadOpts = {
      totalBytes: file.bytes, signal: this.opts.signal,
      retries: this.opts.retries, backoffBaseMs: this.opts.backoffBaseMs, backoffMaxMs: this.opts.backoffMaxMs,
      fetch: this.fetchImpl,
      onProgress: (d: DownloadProgress) => report(d.loadedBytes, false, d),
    };

    if (this.cacheBroken) {
      if (isLocalBase(base)) throw new FileUnavailableError(file.path, base, NOT_STORED);
      const data = await measured(LOAD_MEASURES.download, () => downloadToMemory(url, downloadOpts), { file: file.path, bytes: file.bytes });
      await measured(LOAD_MEASURES.sha256, () => verifyFile(file, data, url), { file: file.path, bytes: file.bytes });
      return data;
    }

    const name = await this.modelName(base);
    const into = new Uint8Array(file.bytes);
    // #13: where a warm start's time goes (src/engine/load-marks.ts).
    const which = { file: file.path, bytes: file.bytes };
    let held: number;
    try {
      const stored = await measured(LOAD_MEASURES.cacheRead, () => this.cache.readStored(name, file, into), which);
      held = stored.held;
      if (stored.complete) {
        report(file.bytes, true);
        const copy = `${name}|${file.path}|${file.sha256.toLowerCase()}`;
        // The copy this store hashed before, and its record the same after the read: only a new
        // copy (deleted and fetched again, here or in another tab) writes a new record.
        if (verify === 'if-changed' && stored.written !== undefined && this.verified.get(copy) === stored.written) {
          const now = await this.cache.getRecord(name, file).catch(() => undefined);
          if (now?.complete && now.updatedAt === stored.written) return into;
        }
        try {
          await measured(LOAD_MEASURES.sha256, () => verifyFile(file, into, 'the browser cache'), which);
          if (stored.written !== undefined) this.verified.set(copy, stored.written);
          return into;
        } catch (e) {
          if (!(e instanceof IntegrityError || e instanceof SizeMismatchError)) throw e;
          this.warn(`The cached copy of ${file.path} is corrupt (${e.message}); downloading it again.`);
          await this.cache.deleteFile(name, file);
          held = 0;
        }
      }
    } catch (e) {
      if (e instanceof StorageFullError) throw e;
      // IndexedDB unusable here: keep working without the cache rather than failing the load.
      this.cacheBroken = true;
      this.warn(`The browser cache cannot be used (${(e as Error).message}); the model will be downloaded on every visit.`);
      return this.load(base, file, onProgress, verify);
    }

    if (isLocalBase(base)) throw new FileUnavailableError(file.path, base, NOT_STORED);
    // Fail before downloading, not after hundreds of MiB, when the browser already says there is no room.
    await this.ensureRoom(name, file.bytes - held, file.path);

    for (let fresh = held === 0; ; fresh = true) {
      const writer = this.cache.openWriter(name, file, into, held);
      if (held < file.bytes) {
        let restarted: boolean;
        try {
          ({ restarted } = await measured(LOAD_MEASURES.download, () => download(url, { ...downloadOpts, start: held, sink: writer }), which));
        } catch (e) {
          // Cancelled: the finished chunks stay stored; say how much, so the UI can tell the user.
          if (e instanceof DownloadAbortedError) throw new DownloadAbortedError(file.path, writer.storedBytes, file.bytes);
          throw e;
        }
        if (restarted) fresh = true;
      }
      await writer.flush();
      try {
        await measured(LOAD_MEASURES.sha256, () => verifyFile(file, into, url), which);
      } catch (e) {
        await this.cache.deleteFile(name, file);
        if (fresh || !(e instanceof IntegrityError || e instanceof SizeMismatchError)) throw e;
        this.warn(`${file.path} did not verify after resuming from the cache; downloading it again from the start.`);
        held = 0;
        continue;
      }
      await this.cache.markComplete(name, file, writer.chunkBytes);
      report(file.bytes, false);
      return into;
    }
  }

  /**
   * After `manifest` loaded from `base` (the engine tells the store): deletes the files of earlier
   * versions of its model, which nothing reads any more (old-versions.ts). Housekeeping only: a
   * failure is a warning, never an error of the load.
   */
  async packageLoaded(rawBase: string, manifest: Manifest): Promise<void> {
    if (this.cacheBroken) return;
    try {
      await pruneOldVersions(this.cache, manifest);
    } catch (e) {
      this.warn(`Files of earlier versions of ${manifest.name} could not be deleted from the browser cache (${(e as Error).message}); they take space until the model is deleted.`);
    }
  }

  private async ensureRoom(model: string, neededBytes: number, path?: string): Promise<void> {
    if (this.cacheBroken || neededBytes <= 0) return;
    const est = await this.cache.estimate();
    if (est && est.quota > 0 && est.free < neededBytes) throw await this.cache.storageFullError(neededBytes, model, path);
  }

  /** The cache key prefix for `base`: the manifest's name (read it if this store has not yet). */
  private async modelName(base: string): Promise<string> {
    const known = this.names.get(base);
    if (known) return known;
    const saved = await this.cache.loadManifest(base).catch(() => undefined);
    if (saved) {
      this.names.set(base, saved.name);
      return saved.name;
    }
    await this.readManifest(base);
    const name = this.names.get(base);
    if (!name) throw new FileUnavailableError('manifest.json', resolveUrl(base, 'manifest.json'), 'its "name" is missing or not [a-z0-9-]+, so files cannot be cached under it; validate the manifest first');
    return name;
  }

  private warn(message: string): void {
    this.opts.onWarning?.(message);
  }
}

/**
 * `path` (a manifest path, checked by the same rules as parseManifest) under the folder URL
 * `base`. A relative base ('/models/vidlet-tiny/') is taken relative to the page or worker.
 */
export function resolveUrl(base: string, path: string): string {
  try {
    relPath(path, 'path');
  } catch (e) {
    throw new FileUnavailableError(path, base, (e as Error).message.replace(/^manifest\.path /, 'the path '));
  }
  return new URL(path, folderUrl(base)).href;
}

/**
 * The absolute folder URL of `base`, with a trailing '/': the one form used as a cache key, so
 * '/models/tiny' and 'http://host/models/tiny/' name the same saved manifest.
 */
export function folderUrl(base: string): string {
  const folder = base.endsWith('/') ? base : base + '/';
  const origin = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(folder, origin).href;
  } catch {
    throw new FileUnavailableError('manifest.json', base, 'this is not a URL (outside a web page the model address must be absolute, e.g. http://host/models/vidlet-tiny/; for a local folder use NodeFolderStore)');
  }
}

/** The name src/worker/engine-worker.ts imports; same class. */
export { BrowserModelStore as BrowserModelFileStore };
