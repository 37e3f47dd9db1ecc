/**
 * Two takes and a vote → a VoteRecord (src/votes/vote-record.ts) that can make both takes again:
 * the prompt and negative prompt, each take's full settings (seed, steps, guidance, sampler,
 * adapters, blend), the model's name + sha256 + variant, the sha256 of every adapter each take
 * used (as the engine reported it when it made the take), and the reward model's features of both
 * takes when they were scored (what the taste head is fitted on).
 * The record is read back through readVoteRecord before it is returned, so a vote the store or an
 * export would refuse fails here, at Save, with the field named. Pure.
 */
import { VoteRecordError, readVoteRecord, type VoteDimension, type VoteRecord, type VoteTake } from '../../votes/vote-record';
import type { Outcome } from '../../votes/btt';
import type { Variant } from '../../package/variants';
import { sha256Hex } from '../../store/sha256';
import type { GenerationSettings } from './generation-settings';

/** A finished take as the compare view holds it (a history entry has these fields). */
export interface TakeForVote {
  id: string;
  settings: GenerationSettings;
  model: string;
  variant: string;
  /** sha256 of each adapter the take used, by name, as the engine reported it when it made the take (HistorySummary.adapterHashes). */
  adapterHashes?: Record<string, string>;
}

/** The model both takes came from; `hash` is the sha256 of its manifest.json (see src/votes/README.md). */
export interface VoteModel {
  name: string;
  hash: string;
  variant: Variant;
}

export interface TakeVoteInput {
  id: string;
  createdAt: number;
  a: TakeForVote;
  b: TakeForVote;
  model: VoteModel;
  outcomes: Partial<Record<VoteDimension, Outcome>>;
  /** The reward model's features of take A and take B (TakeScore.features) when the takes were scored; the taste head is fitted on them. */
  features?: { a: readonly number[]; b: readonly number[] };
}

export function takeVoteRecord(input: TakeVoteInput): VoteRecord {
  const { a, b, model } = input;
  // A vote measures one model's clips: takes of two models (or variants) are not one comparison.
  for (const t of [a, b]) {
    if (t.model !== model.name || t.variant !== model.variant) {
      throw new Error(`Take ${t.id} was made with ${t.model} (${t.variant}), not the loaded ${model.name} (${model.variant}): vote on takes of one model.`);
    }
  }
  if (a.settings.prompt !== b.settings.prompt || (a.settings.negativePrompt ?? '') !== (b.settings.negativePrompt ?? '')) {
    throw new Error('The two takes have different prompts: a vote compares takes of one prompt.');
  }
  const record: VoteRecord = {
    version: 1,
    id: input.id,
    createdAt: input.createdAt,
    prompt: a.settings.prompt,
    negative: a.settings.negativePrompt ?? '',
    model: model.name,
    modelHash: model.hash,
    variant: model.variant,
    a: voteTake(a, input.features?.a),
    b: voteTake(b, input.features?.b),
    outcomes: { ...input.outcomes },
  };
  const read = readVoteRecord(JSON.parse(JSON.stringify(record)));
  if (read.problems) throw new VoteRecordError(read.problems);
  return read.record;
}

function voteTake(t: TakeForVote, features: readonly number[] | undefined): VoteTake {
  const adapterHashes: Record<string, string> = {};
  for (const { name } of t.settings.adapters ?? []) {
    const hash = t.adapterHashes?.[name];
    // Without the digest of the weights the take was made with, it could not be made again exactly.
    if (hash === undefined) {
      throw new Error(
        `Take ${t.id} used adapter "${name}", but the sha256 of its weights was not recorded when the take was made ` +
          '(a take from an older Vidlet), so the vote could not make it again: compare new takes to vote on them.',
      );
    }
    adapterHashes[name] = hash;
  }
  return { settings: structuredClone(t.settings), adapterHashes, historyId: t.id, ...(features ? { features: [...features] } : {}) };
}

/**
 * The model's hash as votes record it: the sha256 of the package's manifest.json, which lists
 * every file's sha256 and so pins every variant's weights (src/votes/README.md). Hashed like the
 * model files (src/store/sha256.ts), so it works where crypto.subtle is missing (plain http).
 */
export async function manifestHash(base: string, fetcher: typeof fetch = fetch): Promise<string> {
  const url = new URL('manifest.json', base);
  const response = await fetcher(url);
  if (!response.ok) throw new Error(`Could not read ${url.pathname} (HTTP ${response.status}) to know which model made the takes.`);
  return sha256Hex(new Uint8Array(await response.arrayBuffer()));
}
