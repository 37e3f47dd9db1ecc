/**
 * A component written as parts (docs/model-package.md "Parts", issue #11): several ONNX graphs run
 * one after another, each session made only while it runs, so that a text encoder larger than one
 * WebAssembly heap (4 GiB: q4 umT5-XXL is ~3.9 GB) still runs in the page. The variant keeps
 * `files` as every part's files in run order and adds `parts`: how many of them belong to each
 * part, each part being its graph followed by its own external data. Stated once here for the
 * parser (src/store/manifest.ts), the engine (src/engine/parts.ts) and the load plan
 * (src/engine/load-plan.ts). Pure: imports only this folder.
 */
import type { ComponentName } from './components';

/**
 * The only component that may have parts. The denoiser and the decoders run many times per clip,
 * and re-creating their sessions for every call would be far too slow; the text encoder runs once
 * per prompt, and the engine's text cache spares repeat prompts even that.
 */
export const PARTED_COMPONENTS: readonly ComponentName[] = ['textEncoder'];

/** A part's first file is its graph. */
export const GRAPH_FILE = /\.onnx$/i;

/**
 * What is wrong with `parts` for a variant listing `paths` (undefined when nothing is): the counts
 * must add up to the files, and each part must start with a graph. `at` is the index into `parts`
 * the problem is about, when it is about one part.
 */
export function partsProblem(parts: readonly number[], paths: readonly string[]): { at?: number; problem: string } | undefined {
  const sum = parts.reduce((a, b) => a + b, 0);
  if (sum !== paths.length) {
    return { problem: `adds up to ${sum} file${sum === 1 ? '' : 's'}, but files lists ${paths.length}; each count is how many of the files, in order, belong to that part` };
  }
  let start = 0;
  for (const [k, n] of parts.entries()) {
    const graph = paths[start]!;
    if (!GRAPH_FILE.test(graph)) {
      return { at: k, problem: `starts at files[${start}], ${JSON.stringify(graph)}, which is not an ONNX graph (.onnx); a part is its graph followed by its own external data` };
    }
    start += n;
  }
  return undefined;
}

/** The files of each part, in run order; a variant without `parts` is one graph, so one part. */
export function splitParts<T>(files: readonly T[], parts: readonly number[] | undefined): T[][] {
  if (!parts) return [files.slice()];
  const out: T[][] = [];
  let start = 0;
  for (const n of parts) {
    out.push(files.slice(start, start + n));
    start += n;
  }
  return out;
}

/**
 * The bytes a variant's session needs in memory at once: all its files for one graph, the largest
 * part's for a variant in parts (each part's session is released before the next is made).
 */
export function sessionBytes(files: readonly { bytes: number }[], parts: readonly number[] | undefined): number {
  const sum = (fs: readonly { bytes: number }[]) => fs.reduce((n, f) => n + f.bytes, 0);
  return Math.max(...splitParts(files, parts).map(sum));
}
