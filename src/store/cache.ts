/**
 * The IndexedDB cache of model files (browser; in Node tests through fake-indexeddb).
 *
 * Database 'vidlet-models', object store 'files' (idb-keyval custom store). String keys:
 *   file:<model>/<path>@<sha256>          → FileRecord (bytes, chunk size, chunks stored, complete)
 *   chunk:<model>/<path>@<sha256>#<00000> → Uint8Array, one chunk (≤ 64 MiB, chunks.ts)
 *   manifest:<base URL>                    → SavedManifest (last manifest.json seen at that URL)
 *   text:<model>/<path>                    → string (tokenizer.json etc., not hash-listed)
 * The sha256 in the key means a re-exported file never mixes with an old copy. A chunk and the
 * record that counts it are written in one transaction, so a reload mid-download leaves a
 * record that never counts a chunk that is not there. `complete` is set only after the whole
 * file re-hashed to its sha256 (browser-store.ts), never by the writer alone.
 */
import { createStore, get, promisifyRequest, setMany, type UseStore } from 'idb-keyval';
import { chunkCount, chunkLength, completedChunks, DEFAULT_CHUNK_BYTES, heldBytes, usablePrefix } from './chunks';
import type { DownloadSink } from './download';
import { StorageFullError } from './errors';
import type { PackageFile } from './types';

export interface FileRecord {
  model: string;
  path: string;
  sha256: string;
  bytes: number;
  chunkBytes: number;
  /** Chunks stored, contiguous from chunk 0. */
  chunks: number;
  /** All chunks stored and the whole file verified against sha256. */
  complete: boolean;
  updatedAt: number;
}

export interface SavedManifest {
  base: string;
  name: string;
  json: unknown;
  savedAt: number;
}

export interface CachedModel {
  name: string;
  /** Bytes stored for this model (complete files and partial downloads). */
  bytes: number;
  files: number;
  completeFiles: number;
  /** Base URLs whose manifest is stored (where the model was loaded from). */
  bases: string[];
}

export interface StorageEstimate {
  usage: number;
  quota: number;
  free: number;
}

/**
 * The part of navigator.storage the cache uses (absent in Node). persist() is not here: it is
 * offered to pages only, not to the worker the cache lives in; the page asks for it
 * (src/app/data/storage-persistence.ts).
 */
export interface StorageLike {
  estimate?: () => Promise<{ usage?: number; quota?: number }>;
}

export interface ModelCacheOptions {
  dbName?: string;
  storeName?: string;
  chunkBytes?: number;
  /** Defaults to navigator.storage when present. */
  storage?: StorageLike | null;
  /** An idb-keyval store to use instead of createStore(dbName, storeName) (tests wrap it to inject failures). */
  useStore?: UseStore;
}

const fileKey = (model: string, f: Pick<PackageFile, 'path' | 'sha256'>) => `file:${model}/${f.path}@${f.sha256.toLowerCase()}`;
/** The prefix every chunk key of one file shares (count or delete them by range). */
const chunkPrefix = (model: string, f: Pick<PackageFile, 'path' | 'sha256'>) => `chunk:${model}/${f.path}@${f.sha256.toLowerCase()}#`;
const chunkKey = (model: string, f: Pick<PackageFile, 'path' | 'sha256'>, i: number) =>
  `${chunkPrefix(model, f)}${String(i).padStart(5, '0')}`;
const manifestKey = (base: string) => `manifest:${base}`;
const textKey = (model: string, path: string) => `text:${model}/${path}`;
/** All keys starting with `prefix` ('\uffff' sorts after every character a key here holds). */
const prefixRange = (prefix: string) => IDBKeyRange.bound(prefix, prefix + '\uffff');

export class ModelCache {
  readonly chunkBytes: number;
  private storeFn: UseStore | undefined;
  private readonly dbName: string;
  private readonly storeName: string;
  private readonly storage: StorageLike | null;

  constructor(opts: ModelCacheOptions = {}) {
    this.dbName = opts.dbName ?? 'vidlet-models';
    this.storeName = opts.storeName ?? 'files';
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const nav = (globalThis as { navigator?: { storage?: StorageLike } }).navigator;
    this.storage = opts.storage === undefined ? (nav?.storage ?? null) : opts.storage;
    this.storeFn = opts.useStore;
  }

  /** Opened on first use, so merely importing this module touches no IndexedDB. */
  private get db(): UseStore {
    return (this.storeFn ??= createStore(this.dbName, this.storeName));
  }

  async getRecord(model: string, file: PackageFile): Promise<FileRecord | undefined> {
    return get<FileRecord>(fileKey(model, file), this.db);
  }

  /**
   * True when `file` is stored whole: its record says complete (set only after the whole file
   * verified) and every chunk it counts is there. Counts keys, reads no chunk: a warm start asks
   * this for files it does not read yet (BrowserModelStore.ensureStored); the bytes themselves are
   * re-hashed when they are read (readStored, then verifyFile).
   */
  async holdsComplete(model: string, file: PackageFile): Promise<boolean> {
    const [rec, count] = await this.db('readonly', (s) =>
      Promise.all([
        promisifyRequest(s.get(fileKey(model, file))) as Promise<FileRecord | undefined>,
        promisifyRequest(s.count(prefixRange(chunkPrefix(model, file)))),
      ]),
    );
    return !!rec && rec.complete && rec.bytes === file.bytes && rec.chunks === chunkCount(rec.bytes, rec.chunkBytes) && count === rec.chunks;
  }

  /**
   * Copies the stored chunks of `file` into `into` (length file.bytes), chunk by chunk so
   * memory stays at one file plus one chunk. Returns the bytes held: file.bytes for a
   * complete record, a chunk boundary for a partial one, 0 when nothing usable is stored.
   * A missing or wrong-length chunk cuts the prefix there and the record is corrected.
   * `written`: for a complete copy, when its record was last written (FileRecord.updatedAt), which
   * tells this copy from any later one (see BrowserModelStore's `verify: 'if-changed'`).
   */
  async readStored(model: string, file: PackageFile, into: Uint8Array): Promise<{ held: number; complete: boolean; written?: number }> {
    const rec = await this.getRecord(model, file);
    if (!rec || rec.bytes !== file.bytes) return { held: 0, complete: false };
    if (!rec.complete && rec.chunkBytes !== this.chunkBytes) {
      // A partial download stored with another chunk size cannot be continued chunk-aligned.
      await this.deleteFile(model, file);
      return { held: 0, complete: false };
    }
    const lengths: (number | undefined)[] = [];
    for (let i = 0; i < rec.chunks; i++) {
      const chunk = await get<Uint8Array>(chunkKey(model, file, i), this.db);
      const ok = chunk instanceof Uint8Array && chunk.length === chunkLength(i, rec.bytes, rec.chunkBytes);
      lengths.push(ok ? chunk.length : undefined);
      if (!ok) break;
      into.set(chunk, i * rec.chunkBytes);
    }
    const usable = usablePrefix(lengths, rec.bytes, rec.chunkBytes);
    const complete = rec.complete && usable === chunkCount(rec.bytes, rec.chunkBytes);
    if (usable !== rec.chunks || complete !== rec.complete) {
      await setMany([[fileKey(model, file), { ...rec, chunks: usable, complete, updatedAt: Date.now() }]], this.db);
    }
    return { held: heldBytes(usable, rec.bytes, rec.chunkBytes), complete, ...(complete ? { written: rec.updatedAt } : {}) };
  }

  /**
   * A download sink that writes `into` and stores each chunk as soon as it is full. `start`
   * must be what readStored returned. Call flush() after the download, then markComplete()
   * once the file verified.
   */
  openWriter(model: string, file: PackageFile, into: Uint8Array, start: number): CacheWriter {
    // start is a chunk boundary, or the file's end when every chunk is stored (last one short).
    const existing = start >= file.bytes ? chunkCount(file.bytes, this.chunkBytes) : Math.floor(start / this.chunkBytes);
    return new CacheWriter(this, model, file, into, start, existing);
  }

  /** @internal Stores chunk `index` of `file` from `data` and counts it in the record, atomically. */
  async putChunk(model: string, file: PackageFile, index: number, data: Uint8Array, chunkBytes: number): Promise<void> {
    const len = chunkLength(index, file.bytes, chunkBytes);
    // slice(): structured clone of a view would store the view's whole underlying buffer.
    await this.putChunkBytes(model, file, index, data.slice(index * chunkBytes, index * chunkBytes + len), chunkBytes);
  }

  /** Stores `value`, exactly chunk `index` of `file`, and counts it in the record, atomically. */
  async putChunkBytes(model: string, file: PackageFile, index: number, value: Uint8Array, chunkBytes = this.chunkBytes): Promise<void> {
    if (value.length !== chunkLength(index, file.bytes, chunkBytes)) {
      throw new RangeError(`chunk ${index} of ${file.path} has ${value.length} bytes, not ${chunkLength(index, file.bytes, chunkBytes)}`);
    }
    const rec: FileRecord = {
      model, path: file.path, sha256: file.sha256.toLowerCase(), bytes: file.bytes, chunkBytes,
      chunks: index + 1, complete: false, updatedAt: Date.now(),
    };
    try {
      await setMany([[chunkKey(model, file, index), value], [fileKey(model, file), rec]], this.db);
    } catch (e) {
      if (isStorageFull(e)) {
        throw await this.storageFullError(file.bytes - index * chunkBytes, model, file.path);
      }
      throw e;
    }
  }

  async markComplete(model: string, file: PackageFile, chunkBytes = this.chunkBytes): Promise<void> {
    const rec: FileRecord = {
      model, path: file.path, sha256: file.sha256.toLowerCase(), bytes: file.bytes, chunkBytes,
      chunks: chunkCount(file.bytes, chunkBytes), complete: true, updatedAt: Date.now(),
    };
    await setMany([[fileKey(model, file), rec]], this.db);
  }

  /** Deletes a file's record and chunks (a corrupt copy, or a restart from byte 0). */
  async deleteFile(model: string, file: Pick<PackageFile, 'path' | 'sha256'>): Promise<void> {
    const prefix = chunkPrefix(model, file);
    await this.db('readwrite', (s) => {
      s.delete(fileKey(model, file));
      s.delete(prefixRange(prefix));
      return promisifyRequest(s.transaction);
    });
  }

  async listModels(): Promise<CachedModel[]> {
    // Both requests issued at once, inside the transaction's first task.
    const [records, manifests] = await this.db('readonly', (s) =>
      Promise.all([
        promisifyRequest(s.getAll(prefixRange('file:'))) as Promise<FileRecord[]>,
        promisifyRequest(s.getAll(prefixRange('manifest:'))) as Promise<SavedManifest[]>,
      ]),
    );
    const models = new Map<string, CachedModel>();
    const entry = (name: string) => {
      let m = models.get(name);
      if (!m) models.set(name, (m = { name, bytes: 0, files: 0, completeFiles: 0, bases: [] }));
      return m;
    };
    for (const r of records) {
      const m = entry(r.model);
      m.files++;
      if (r.complete) m.completeFiles++;
      m.bytes += heldBytes(r.chunks, r.bytes, r.chunkBytes);
    }
    for (const s of manifests) entry(s.name).bases.push(s.base);
    return [...models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Deletes every file, chunk and stored manifest of model `name`. */
  async deleteModel(name: string): Promise<void> {
    const manifests = await this.db('readonly', (s) => promisifyRequest(s.getAll(prefixRange('manifest:')))) as SavedManifest[];
    await this.db('readwrite', (s) => {
      s.delete(prefixRange(`file:${name}/`));
      s.delete(prefixRange(`chunk:${name}/`));
      s.delete(prefixRange(`text:${name}/`));
      for (const m of manifests) if (m.name === name) s.delete(manifestKey(m.base));
      return promisifyRequest(s.transaction);
    });
  }

  /** Deletes stored files of `name` that `keep` does not list (old exports after an update). */
  async pruneModel(name: string, keep: readonly PackageFile[]): Promise<number> {
    const wanted = new Set(keep.map((f) => fileKey(name, f)));
    const records = await this.db('readonly', (s) => promisifyRequest(s.getAll(prefixRange(`file:${name}/`)))) as FileRecord[];
    const stale = records.filter((r) => !wanted.has(fileKey(name, r)));
    for (const r of stale) await this.deleteFile(name, r);
    return stale.length;
  }

  async saveManifest(base: string, name: string, json: unknown): Promise<void> {
    const value: SavedManifest = { base, name, json, savedAt: Date.now() };
    await setMany([[manifestKey(base), value]], this.db);
  }

  async loadManifest(base: string): Promise<SavedManifest | undefined> {
    return get<SavedManifest>(manifestKey(base), this.db);
  }

  /** Small auxiliary files (tokenizer.json, vocabulary.json), kept so an offline reload works. */
  async saveText(model: string, path: string, text: string): Promise<void> {
    await setMany([[textKey(model, path), text]], this.db);
  }

  async loadText(model: string, path: string): Promise<string | undefined> {
    return get<string>(textKey(model, path), this.db);
  }

  async estimate(): Promise<StorageEstimate | null> {
    if (!this.storage?.estimate) return null;
    try {
      const { usage = 0, quota = 0 } = await this.storage.estimate();
      return { usage, quota, free: Math.max(0, quota - usage) };
    } catch {
      return null;
    }
  }

  /** @internal */
  async storageFullError(neededBytes: number, currentModel: string, path?: string): Promise<StorageFullError> {
    const est = await this.estimate();
    let deletable: { name: string; bytes: number }[] = [];
    try {
      deletable = (await this.listModels()).filter((m) => m.name !== currentModel).map((m) => ({ name: m.name, bytes: m.bytes }));
    } catch {
      // listing is advice only; the error must still be thrown
    }
    return new StorageFullError(neededBytes, est ? est.free : null, deletable, path);
  }
}

/** IndexedDB's ways of saying "no room": QuotaExceededError, and Chromium's blob write failure. */
export function isStorageFull(e: unknown): boolean {
  const err = e as { name?: string; message?: string } | null;
  if (!err) return false;
  if (err.name === 'QuotaExceededError') return true;
  return err.name === 'DataError' && /failed to write blobs/i.test(err.message ?? '');
}

/** DownloadSink that fills `into` and stores every completed chunk (see ModelCache.openWriter). */
export class CacheWriter implements DownloadSink {
  private position: number;
  private stored: number;
  readonly chunkBytes: number;

  constructor(
    private readonly cache: ModelCache,
    private readonly model: string,
    private readonly file: PackageFile,
    private readonly into: Uint8Array,
    start: number,
    storedChunks: number,
  ) {
    this.position = start;
    this.stored = storedChunks;
    this.chunkBytes = cache.chunkBytes;
  }

  get held(): number {
    return this.position;
  }

  /** Bytes in the chunks stored so far: what a download cut now would resume from. */
  get storedBytes(): number {
    return heldBytes(this.stored, this.file.bytes, this.chunkBytes);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.position + bytes.length > this.into.length) {
      throw new RangeError(`${this.file.path}: more bytes than the ${this.into.length} the manifest lists`);
    }
    this.into.set(bytes, this.position);
    this.position += bytes.length;
    for (const i of completedChunks(this.position, this.stored, this.file.bytes, this.chunkBytes)) {
      await this.cache.putChunk(this.model, this.file, i, this.into, this.chunkBytes);
      this.stored = i + 1;
    }
  }

  async restart(): Promise<void> {
    await this.cache.deleteFile(this.model, this.file);
    this.position = 0;
    this.stored = 0;
  }

  /** Stores the last (short) chunk once every byte is in. */
  async flush(): Promise<void> {
    if (this.position !== this.file.bytes) return;
    for (const i of completedChunks(this.position, this.stored, this.file.bytes, this.chunkBytes)) {
      await this.cache.putChunk(this.model, this.file, i, this.into, this.chunkBytes);
      this.stored = i + 1;
    }
  }
}
