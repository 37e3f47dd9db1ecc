/**
 * `--adapter FILE.safetensors` and `--lora FILE.safetensors[:S]`: the weights, and the description
 * FILE.json beside them when there is one. A LoRA from another trainer comes without one; the
 * engine then names it after the file, and the CLI says that its base model went unchecked.
 */
import { NO_DESCRIPTION_NOTE } from '../engine/adapters/description';
import type { AdapterInfo } from '../engine/types';

export interface AdapterFile {
  weights: Uint8Array;
  /** The parsed FILE.json; undefined when there is none. */
  description?: unknown;
}

/** Reads a file's bytes; rejects with a Node error (its `code` tells a missing file apart). */
export type ReadBytes = (path: string) => Promise<Uint8Array>;

export async function readAdapterFile(file: string, flag: string, read: ReadBytes): Promise<AdapterFile> {
  const weights = await read(file).catch(() => {
    throw new Error(`${flag} ${file}: there is no such file.`);
  });
  const json = file.replace(/\.safetensors$/i, '') + '.json';
  let text: string;
  try {
    text = new TextDecoder().decode(await read(json));
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return { weights };
    throw new Error(`${flag} ${file}: its description ${json} could not be read (${(e as Error).message}).`);
  }
  try {
    return { weights, description: JSON.parse(text) };
  } catch (e) {
    throw new Error(`${flag} ${file}: its description ${json} is not valid JSON (${(e as Error).message}); fix it, or remove it to use the weights without one.`);
  }
}

/** The line the CLI prints for an adapter it added. */
export function addedLine(added: AdapterInfo, file: string, hint = ''): string {
  return `adapter ${added.name} (${added.kind}) added from ${file}${added.noDescription ? ` (${NO_DESCRIPTION_NOTE})` : ''}${hint}`;
}
