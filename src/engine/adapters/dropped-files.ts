/**
 * Files a user drops on the page (or passes to the CLI) → adapter inputs: `X.safetensors` pairs
 * with `X.json` beside it; a lone `X.safetensors` (a LoRA from another trainer) is an adapter
 * without a description; `*.blender.json` is a StageBlender table. Pure: the caller reads the
 * files; what cannot be used comes back as problems to show, so one bad file does not hide the
 * good ones. A lone `X.json` stays a problem: a description without weights does nothing.
 */
import type { AdapterInput } from './adapter';

export interface DroppedFile {
  /** File name, possibly with a folder path ('adapters/pip.json'). */
  name: string;
  bytes: Uint8Array;
}

export interface DroppedAdapters {
  adapters: AdapterInput[];
  /** Parsed JSON of each *.blender.json (validate with parseStageBlender). */
  blenders: { source: string; json: unknown }[];
  /** One sentence per file that could not be used: what is wrong and what to do. */
  problems: string[];
}

const baseName = (path: string) => path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);

export function pairDroppedFiles(files: readonly DroppedFile[]): DroppedAdapters {
  const weights = new Map<string, DroppedFile>();
  const jsons = new Map<string, { file: DroppedFile; json: unknown }>();
  const result: DroppedAdapters = { adapters: [], blenders: [], problems: [] };
  for (const file of files) {
    const name = baseName(file.name);
    const lower = name.toLowerCase();
    if (lower.endsWith('.safetensors')) {
      weights.set(name.slice(0, -'.safetensors'.length), file);
    } else if (lower.endsWith('.json')) {
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.bytes));
      } catch (e) {
        result.problems.push(`${name} is not valid JSON (${(e as Error).message}); re-export it.`);
        continue;
      }
      if (lower.endsWith('.blender.json')) result.blenders.push({ source: name, json });
      else jsons.set(name.slice(0, -'.json'.length), { file, json });
    } else {
      result.problems.push(`${name} is not an adapter file: an adapter is a .safetensors file, with or without a .json description of the same name.`);
    }
  }
  for (const [stem, file] of weights) {
    const description = jsons.get(stem);
    jsons.delete(stem);
    // Without a description the loader names the adapter after the file (descriptionFromFile).
    result.adapters.push({ weights: file.bytes, ...(description ? { description: description.json } : {}), source: baseName(file.name) });
  }
  for (const [stem] of jsons) {
    result.problems.push(`${stem}.json has no ${stem}.safetensors beside it; drop the weights together with the description.`);
  }
  return result;
}
