/**
 * What a model update leaves in the browser's cache. Files are stored under their sha256
 * (cache.ts), so a re-exported package's files are stored beside the old ones, and once the
 * new manifest is saved for a base nothing reads the old ones again: without this they would
 * hold the user's disk until the whole model is deleted by hand.
 */
import { allListedFiles } from './check-package';
import type { ModelCache } from './cache';
import { parseManifest } from './manifest';
import type { Manifest, PackageFile } from './types';

export type PruneTarget = Pick<ModelCache, 'listModels' | 'loadManifest' | 'pruneModel'>;

/**
 * Deletes the stored files of `current`'s model (complete or partial) that neither `current` nor
 * the saved manifest of any base the model was loaded from lists, and returns how many. The same
 * model name served from two addresses at different versions keeps both versions' files. A saved
 * manifest of that name that does not parse deletes nothing: what it needs cannot be told.
 */
export async function pruneOldVersions(cache: PruneTarget, current: Manifest): Promise<number> {
  const keep: PackageFile[] = listed(current);
  const model = (await cache.listModels()).find((m) => m.name === current.name);
  if (!model) return 0;
  for (const base of model.bases) {
    const saved = await cache.loadManifest(base);
    if (!saved || saved.name !== current.name) continue;
    try {
      keep.push(...listed(parseManifest(saved.json)));
    } catch {
      return 0;
    }
  }
  return cache.pruneModel(current.name, keep);
}

function listed(m: Manifest): PackageFile[] {
  return allListedFiles(m).map((f) => f.file);
}
