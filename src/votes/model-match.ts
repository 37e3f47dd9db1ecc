/**
 * Whether a vote's takes can be made again with the installed model. The model is matched by its
 * sha256 alone: the name is a label (two builds of "vidlet-tiny" make different clips from one
 * seed, and a renamed package with the same weights makes the same ones). Pure.
 */
import type { VoteRecord } from './vote-record';

/** The model the engine has loaded: its name and the sha256 a vote records as modelHash. */
export interface InstalledModel {
  name: string;
  hash: string;
}

/** Undefined when the installed model is the vote's; otherwise what the user needs to load, in a sentence. */
export function modelMismatch(vote: Pick<VoteRecord, 'model' | 'modelHash'>, installed: InstalledModel | undefined): string | undefined {
  if (installed && installed.hash.toLowerCase() === vote.modelHash.toLowerCase()) return undefined;
  const needed = `model "${vote.model}" (sha256 ${short(vote.modelHash)})`;
  if (!installed) return `This vote was made with ${needed}, and no model is loaded: load that model to make its takes again.`;
  if (installed.name === vote.model) {
    return (
      `This vote was made with another build of "${vote.model}" (sha256 ${short(vote.modelHash)}) than the one installed ` +
      `(sha256 ${short(installed.hash)}), so its takes would not come out the same: install the build whose sha256 starts ${prefix(vote.modelHash)}.`
    );
  }
  return `This vote was made with ${needed}, but the installed model is "${installed.name}": load "${vote.model}" to make its takes again.`;
}

/** Enough of a digest to tell builds apart in a sentence. */
function prefix(hash: string): string {
  return hash.slice(0, 12).toLowerCase();
}

function short(hash: string): string {
  return `${prefix(hash)}…`;
}
