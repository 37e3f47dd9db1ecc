/**
 * A model package given as a set of files (a picked or dropped folder) rather than a URL: which
 * path each file has inside the package, and whether every file the manifest names is there with
 * its listed size. Pure; the worker's import (local-import.ts) reads and hashes the bytes.
 */
import { allListedFiles } from './check-package';
import type { Manifest } from './types';

/**
 * Paths relative to the package folder. A picked folder gives `webkitRelativePath`s that all start
 * with the folder's own name ("wan-1.3b/manifest.json"); that one shared first folder is dropped.
 */
export function packagePaths(paths: readonly string[]): string[] {
  const parts = paths.map((p) => p.replace(/\\/g, '/').replace(/^\/+/, ''));
  const first = parts[0]?.split('/')[0];
  const shared = first !== undefined && parts.every((p) => p.startsWith(`${first}/`));
  return shared ? parts.map((p) => p.slice(first.length + 1)) : parts;
}

/** Text files the engine reads by path (not hash-listed): tokenizer, vocabulary, colour lexicon, contrast nouns, adapter descriptions. */
export function requiredTexts(m: Manifest): string[] {
  const out = [m.text.tokenizer];
  if (m.text.vocabulary) out.push(m.text.vocabulary);
  if (m.text.lexicon) out.push(m.text.lexicon);
  if (m.text.contrast) out.push(m.text.contrast);
  for (const a of m.adapters) if (a.description) out.push(a.description);
  return [...new Set(out)];
}

export interface FileProblem {
  path: string;
  problem: string;
}

/** Every listed file and required text file that is missing, or has another size than listed. */
export function packageFileProblems(m: Manifest, present: ReadonlyMap<string, number>): FileProblem[] {
  const problems: FileProblem[] = [];
  for (const { file, listedAt } of allListedFiles(m)) {
    const size = present.get(file.path);
    if (size === undefined) problems.push({ path: file.path, problem: `is missing (the manifest lists it at ${listedAt})` });
    else if (size !== file.bytes) problems.push({ path: file.path, problem: `has ${size} bytes, but the manifest lists ${file.bytes}` });
  }
  for (const path of requiredTexts(m)) {
    if (!present.has(path)) problems.push({ path, problem: 'is missing (the manifest names it)' });
  }
  return problems;
}

/** Bytes the package's listed files take in storage (every variant: a folder is stored whole). */
export function listedBytes(m: Manifest): number {
  return allListedFiles(m).reduce((n, f) => n + f.file.bytes, 0);
}
