/**
 * Adapters and the StageBlender table a model package ships (manifest `adapters`, `blender`),
 * read through the model store (so they are sha256-verified and cached like every model file),
 * then validated against the model. The only file of this folder that does I/O.
 */
import type { Manifest, ModelFileStore } from '../../store/types';
import { loadAdapter, type LoadedAdapter } from './adapter';
import { AdapterError } from './errors';
import { parseStageBlender, type StageBlender } from './stage-blender';

/** Loads the shipped adapter `name` (weights verified by the store, description beside it). */
export async function readShippedAdapter(store: ModelFileStore, base: string, manifest: Manifest, name: string): Promise<LoadedAdapter> {
  const entry = manifest.adapters.find((a) => a.name === name);
  if (!entry) {
    const known = manifest.adapters.map((a) => a.name);
    throw new AdapterError(
      name,
      'name',
      `Model "${manifest.name}" ships no adapter "${name}"; ${known.length ? `it has ${known.join(', ')}` : 'it ships no adapters'}. To use your own, drop its .safetensors and .json files.`,
    );
  }
  if (!entry.description) {
    throw new AdapterError(name, 'description', `Model "${manifest.name}" lists adapter "${name}" without its description JSON (manifest adapters[].description); re-export the model.`);
  }
  const weights = await store.getFile(base, { path: entry.file, bytes: entry.bytes, sha256: entry.sha256 });
  let description: unknown;
  const text = await store.readText(base, entry.description);
  try {
    description = JSON.parse(text);
  } catch (e) {
    throw new AdapterError(name, 'description', `${entry.description} is not valid JSON (${(e as Error).message}); re-export the model.`);
  }
  const adapter = loadAdapter({ weights, description, source: entry.file }, { name: manifest.name, lora: manifest.lora });
  if (adapter.description.name !== entry.name || adapter.description.kind !== entry.kind) {
    throw new AdapterError(
      name,
      'description',
      `the manifest lists "${entry.name}" (${entry.kind}) but ${entry.description} describes "${adapter.description.name}" (${adapter.description.kind}); re-export the model.`,
    );
  }
  return adapter;
}

/** The shipped StageBlender table, or undefined when the model has none. */
export async function readShippedBlender(store: ModelFileStore, base: string, manifest: Manifest): Promise<StageBlender | undefined> {
  if (!manifest.blender) return undefined;
  const bytes = await store.getFile(base, manifest.blender);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new AdapterError('blender', manifest.blender.path, `${manifest.blender.path} is not valid JSON (${(e as Error).message}); re-export the model.`);
  }
  return parseStageBlender(json, { name: manifest.name, depth: manifest.lora.depth });
}
