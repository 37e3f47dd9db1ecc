/**
 * Checks a whole model package through any ModelFileStore: the manifest validates, every listed
 * file of every variant (plus adapters and blender) has its size and sha256, and the auxiliary
 * text files named by the manifest are readable (tokenizer.json must parse as JSON). Training's
 * export and CI can run it on public/models/vidlet-tiny before shipping (check-package-cli.ts).
 */
import { parseManifest } from './manifest';
import type { Manifest, ModelFileStore, PackageFile } from './types';

export interface FileCheck {
  path: string;
  bytes: number;
  /** Where the manifest lists it, e.g. 'components.denoiser.variants.int8'. */
  listedAt: string;
  error?: string;
}

export interface PackageCheck {
  manifest: Manifest;
  files: FileCheck[];
  ok: boolean;
  /** Bytes of all listed files (each path once). */
  totalBytes: number;
}

/** Every hash-listed file of the package, each path once, with where it is listed. */
export function allListedFiles(m: Manifest): { file: PackageFile; listedAt: string }[] {
  const out = new Map<string, { file: PackageFile; listedAt: string }>();
  for (const [name, component] of Object.entries(m.components)) {
    if (!component) continue;
    for (const [variant, v] of Object.entries(component.variants)) {
      for (const f of v?.files ?? []) if (!out.has(f.path)) out.set(f.path, { file: f, listedAt: `components.${name}.variants.${variant}` });
    }
  }
  // The frame-by-frame VAE pair (src/package/vae-decode.ts): the engine may load it instead of components.vaeDecoder.
  for (const part of ['first', 'next'] as const) {
    for (const [variant, v] of Object.entries(m.vaeDecoderFrames?.[part].variants ?? {})) {
      for (const f of v?.files ?? []) if (!out.has(f.path)) out.set(f.path, { file: f, listedAt: `vaeDecoderFrames.${part}.variants.${variant}` });
    }
  }
  m.adapters.forEach((a, i) => {
    if (!out.has(a.file)) out.set(a.file, { file: { path: a.file, bytes: a.bytes, sha256: a.sha256 }, listedAt: `adapters[${i}]` });
  });
  if (m.blender && !out.has(m.blender.path)) out.set(m.blender.path, { file: m.blender, listedAt: 'blender' });
  return [...out.values()];
}

export async function checkPackage(store: ModelFileStore, base: string): Promise<PackageCheck> {
  const manifest = parseManifest(await store.readManifest(base)); // throws ManifestError naming the field
  const files: FileCheck[] = [];
  for (const { file, listedAt } of allListedFiles(manifest)) {
    const check: FileCheck = { path: file.path, bytes: file.bytes, listedAt };
    try {
      await store.getFile(base, file);
    } catch (e) {
      check.error = (e as Error).message;
    }
    files.push(check);
  }
  const texts: [string, string][] = [['text.tokenizer', manifest.text.tokenizer]];
  if (manifest.text.vocabulary) texts.push(['text.vocabulary', manifest.text.vocabulary]);
  if (manifest.text.lexicon) texts.push(['text.lexicon', manifest.text.lexicon]);
  if (manifest.text.contrast) texts.push(['text.contrast', manifest.text.contrast]);
  if (manifest.modelCard) texts.push(['modelCard', manifest.modelCard]);
  manifest.adapters.forEach((a, i) => a.description && texts.push([`adapters[${i}].description`, a.description]));
  for (const [listedAt, path] of texts) {
    const check: FileCheck = { path, bytes: 0, listedAt };
    try {
      const text = await store.readText(base, path);
      check.bytes = new TextEncoder().encode(text).length;
      if (path.endsWith('.json')) JSON.parse(text);
    } catch (e) {
      check.error = (e as Error).message;
    }
    files.push(check);
  }
  const totalBytes = allListedFiles(manifest).reduce((n, f) => n + f.file.bytes, 0);
  return { manifest, files, ok: files.every((f) => !f.error), totalBytes };
}
