/**
 * Stores a model package given as files (a folder the user picked or dropped) in the model cache,
 * so the engine then loads it exactly as a downloaded one, offline included. Runs where the cache
 * lives (the engine worker). Every listed file is checked for presence and size before a byte is
 * stored, then hashed while it is stored chunk by chunk and marked complete only when its sha256
 * matches; any failure deletes everything stored for the package, so nothing is half installed.
 *
 * Such a package's base is `vidlet-local://<name>/`: BrowserModelStore never fetches it and reads
 * manifest, text files and weights from the cache alone.
 */
import { sha256 } from '@noble/hashes/sha2';
import type { ModelCache } from './cache';
import { chunkCount, chunkLength } from './chunks';
import { FileUnavailableError, IntegrityError, PackageFilesError } from './errors';
import { allListedFiles } from './check-package';
import { parseManifest } from './manifest';
import { listedBytes, packageFileProblems, packagePaths, requiredTexts } from './package-files';
import { toHex } from './sha256';

const LOCAL_SCHEME = 'vidlet-local:';

export function localBase(name: string): string {
  return `${LOCAL_SCHEME}//${name}/`;
}

export function isLocalBase(base: string): boolean {
  return base.startsWith(LOCAL_SCHEME);
}

/** One file of the package; `path` as the browser gives it (webkitRelativePath, or the name). */
export interface LocalFile {
  path: string;
  file: Blob;
}

export interface ImportProgress {
  path: string;
  storedBytes: number;
  totalBytes: number;
}

export interface ImportedPackage {
  name: string;
  displayName: string;
  base: string;
  /** Bytes stored (every listed file). */
  bytes: number;
}

const SOURCE = 'the chosen folder';

/** Reads and parses manifest.json from the files (ManifestError names a field it cannot use). */
export async function readLocalManifest(files: readonly LocalFile[]): Promise<{ json: unknown; byPath: Map<string, Blob> }> {
  const paths = packagePaths(files.map((f) => f.path));
  const byPath = new Map(paths.map((p, i) => [p, files[i].file]));
  const manifestFile = byPath.get('manifest.json');
  if (!manifestFile) {
    throw new FileUnavailableError('manifest.json', SOURCE, 'there is no manifest.json at the top of the folder; pick the package folder itself (the one holding manifest.json)');
  }
  const text = await manifestFile.text();
  try {
    return { json: JSON.parse(text), byPath };
  } catch (e) {
    throw new FileUnavailableError('manifest.json', SOURCE, `it is not valid JSON (${(e as Error).message})`);
  }
}

/** The cache calls an import makes (ModelCache has them). */
export type ImportTarget = Pick<
  ModelCache,
  'chunkBytes' | 'listModels' | 'estimate' | 'storageFullError' | 'putChunkBytes' | 'markComplete' | 'saveText' | 'saveManifest' | 'deleteModel'
>;

export async function importPackageFiles(
  cache: ImportTarget,
  files: readonly LocalFile[],
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportedPackage> {
  const { json, byPath } = await readLocalManifest(files);
  const manifest = parseManifest(json);
  const problems = packageFileProblems(manifest, new Map([...byPath].map(([p, f]) => [p, f.size])));
  if (problems.length > 0) throw new PackageFilesError(problems);
  if ((await cache.listModels()).some((m) => m.name === manifest.name)) {
    throw new FileUnavailableError('manifest.json', SOURCE, `a model named "${manifest.name}" is already stored in this browser; delete it first, or give this package another "name"`);
  }
  const totalBytes = listedBytes(manifest);
  const estimate = await cache.estimate();
  if (estimate && estimate.quota > 0 && estimate.free < totalBytes) throw await cache.storageFullError(totalBytes, manifest.name);

  const name = manifest.name;
  let storedBytes = 0;
  try {
    for (const { file } of allListedFiles(manifest)) {
      const blob = byPath.get(file.path)!;
      const hash = sha256.create();
      for (let i = 0; i < chunkCount(file.bytes, cache.chunkBytes); i++) {
        const start = i * cache.chunkBytes;
        const chunk = new Uint8Array(await blob.slice(start, start + chunkLength(i, file.bytes, cache.chunkBytes)).arrayBuffer());
        hash.update(chunk);
        await cache.putChunkBytes(name, file, i, chunk);
        storedBytes += chunk.length;
        onProgress?.({ path: file.path, storedBytes, totalBytes });
      }
      const actual = toHex(hash.digest());
      if (actual !== file.sha256) throw new IntegrityError(file.path, file.sha256, actual, SOURCE);
      await cache.markComplete(name, file);
    }
    for (const path of requiredTexts(manifest)) {
      const text = await byPath.get(path)!.text();
      if (path.endsWith('.json')) {
        try {
          JSON.parse(text);
        } catch (e) {
          throw new FileUnavailableError(path, SOURCE, `it is not valid JSON (${(e as Error).message})`);
        }
      }
      await cache.saveText(name, path, text);
    }
    // Last: a stored manifest is what makes the package loadable, so it exists only once all else does.
    await cache.saveManifest(localBase(name), name, json);
  } catch (e) {
    await cache.deleteModel(name).catch(() => {});
    throw e;
  }
  return { name, displayName: manifest.displayName, base: localBase(name), bytes: totalBytes };
}
