/**
 * One human vote between two takes, as VideoAlign collects them: per dimension (visual quality,
 * motion quality, text alignment, and overall) take A, take B, a tie, or not voted. A record keeps
 * everything needed to make both takes again (each take's full generation settings, the model's
 * and adapters' sha256) so votes stay usable after the history is cleared, and can be pooled.
 *
 * Votes travel as JSONL, one record per line, so a file cut short or one damaged line costs only
 * that line. The reader is strict per line (a record is taken whole or not at all) and names every
 * bad field; the generation settings are checked by the page's own rules (validateSettings, which
 * reads its limits from src/package/request.ts), so a vote's take is one the engine would make.
 * Pure: no I/O.
 */
import { validateSettings, type GenerationSettings } from '../app/data/generation-settings';
import type { AdapterChoice, CurveSpec } from '../engine/types';
import { BLEND_MODES, isBlendMode } from '../package/request';
import { VARIANTS, isVariant, type Variant } from '../package/variants';
import { OUTCOMES, isOutcome, type Outcome } from './btt';

/** Bump when a field changes meaning or a required one is added; the reader refuses other versions by name. */
export const VOTE_RECORD_VERSION = 1;

/** VideoAlign's three dimensions, plus the overall preference. */
export const VOTE_DIMENSIONS = ['VQ', 'MQ', 'TA', 'overall'] as const;
export type VoteDimension = (typeof VOTE_DIMENSIONS)[number];

export const DIMENSION_NAMES: Record<VoteDimension, string> = {
  VQ: 'visual quality',
  MQ: 'motion quality',
  TA: 'text alignment',
  overall: 'overall',
};

export interface VoteTake {
  /** Exactly what the engine was asked for (seed, steps, sampler, adapters…). */
  settings: GenerationSettings;
  /** sha256 of each adapter's .safetensors the take used, by adapter name (every adapter in settings.adapters). */
  adapterHashes: Record<string, string>;
  /** The history entry the take was voted from, while it exists (not needed to make the take again). */
  historyId?: string;
  /**
   * The reward model's feature vector of this take (TakeScore.features), kept when the takes were
   * scored as they were voted on: the taste head is fitted on these, and the clip itself is not
   * kept, so without them a vote could only be used after making both takes again. Absent when the
   * model has no reward model; then both takes lack it (see readVoteRecord).
   */
  features?: number[];
}

export interface VoteRecord {
  version: typeof VOTE_RECORD_VERSION;
  id: string;
  /** Milliseconds since 1970, as history entries keep it. */
  createdAt: number;
  /** The text the takes were judged against (text alignment); normally both takes' prompt. */
  prompt: string;
  negative: string;
  /** The model both takes came from: its name and the sha256 that pins its weights. */
  model: string;
  modelHash: string;
  variant: Variant;
  a: VoteTake;
  b: VoteTake;
  /** A dimension left out was not voted; at least one is voted. */
  outcomes: Partial<Record<VoteDimension, Outcome>>;
}

/** What is wrong with one field: `field` is a path into the record ("a.settings.steps"). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** Why one line of a JSONL file was not read; `fields` is empty when the line as a whole is unusable. */
export interface LineProblem {
  line: number;
  message: string;
  fields: FieldProblem[];
}

/** A record that is not valid, with every bad field. */
export class VoteRecordError extends Error {
  override name = 'VoteRecordError';
  constructor(readonly problems: FieldProblem[]) {
    super(`This vote cannot be saved: ${problems.map(describeProblem).join('; ')}.`);
  }
}

/** The digest form of the manifest's sha256 fields (src/store/manifest.ts): 64 hexadecimal characters. */
const SHA256 = /^[0-9a-fA-F]{64}$/;
const OUTCOME_WORDS = `${OUTCOMES.map((o) => JSON.stringify(o)).join(', ')} (leave it out when not voted)`;

/** Checks a parsed value; the record it returns holds only the known fields, copied. */
export function readVoteRecord(value: unknown): { record: VoteRecord; problems?: never } | { record?: never; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const bad = (field: string, expected: string, got: unknown) => problems.push({ field, message: `should be ${expected}, got ${shown(got)}` });
  if (!isObject(value)) return { problems: [{ field: '(line)', message: `should be a vote record (a JSON object), got ${shown(value)}` }] };
  const o = value;
  if (o.version !== VOTE_RECORD_VERSION) return { problems: [versionProblem(o.version)] };

  const text = (field: string, nonEmpty = false) => {
    const v = o[field];
    if (typeof v !== 'string' || (nonEmpty && v === '')) bad(field, nonEmpty ? 'a non-empty string' : 'a string', v);
    return v as string;
  };
  const id = text('id', true);
  if (typeof o.createdAt !== 'number' || !Number.isFinite(o.createdAt) || o.createdAt < 0) bad('createdAt', 'a time in milliseconds since 1970', o.createdAt);
  const prompt = text('prompt', true);
  const negative = text('negative');
  const model = text('model', true);
  if (typeof o.modelHash !== 'string' || !SHA256.test(o.modelHash)) bad('modelHash', 'a sha256 digest (64 hexadecimal characters)', o.modelHash);
  if (!isVariant(o.variant)) bad('variant', `one of ${VARIANTS.join(', ')}`, o.variant);
  const a = readTake(o.a, 'a', problems);
  const b = readTake(o.b, 'b', problems);
  // Features compare two takes only when the same reward model gave both: one side alone, or two lengths, is a damaged record.
  if (a && b && (a.features === undefined) !== (b.features === undefined)) {
    const missing = a.features === undefined ? 'a' : 'b';
    bad(`${missing}.features`, `the reward model's features, as take ${missing === 'a' ? 'b' : 'a'} has them (both takes or neither)`, undefined);
  } else if (a?.features && b?.features && a.features.length !== b.features.length) {
    problems.push({ field: 'b.features', message: `should be ${a.features.length} numbers, as many as a.features, got ${b.features.length}` });
  }

  const outcomes: Partial<Record<VoteDimension, Outcome>> = {};
  if (!isObject(o.outcomes)) bad('outcomes', `an object with any of ${VOTE_DIMENSIONS.join(', ')}`, o.outcomes);
  else {
    for (const [key, v] of Object.entries(o.outcomes)) {
      if (!(VOTE_DIMENSIONS as readonly string[]).includes(key)) bad(`outcomes.${key}`, `absent: the dimensions are ${VOTE_DIMENSIONS.join(', ')}`, v);
      else if (!isOutcome(v)) bad(`outcomes.${key}`, OUTCOME_WORDS, v);
      else outcomes[key as VoteDimension] = v;
    }
    // A record with nothing voted says nothing about anyone's taste.
    if (Object.keys(o.outcomes).length === 0) bad('outcomes', `at least one of ${VOTE_DIMENSIONS.join(', ')} voted`, o.outcomes);
  }

  if (problems.length) return { problems };
  return {
    record: {
      version: VOTE_RECORD_VERSION,
      id,
      createdAt: o.createdAt as number,
      prompt,
      negative,
      model,
      modelHash: (o.modelHash as string).toLowerCase(),
      variant: o.variant as Variant,
      a: a!,
      b: b!,
      outcomes,
    },
  };
}

/** The record as one JSONL line (no newline); a record that would not read back is refused. */
export function voteRecordLine(record: VoteRecord): string {
  const read = readVoteRecord(JSON.parse(JSON.stringify(record)));
  if (read.problems) throw new VoteRecordError(read.problems);
  return JSON.stringify(read.record);
}

/** One line per record, each ending in a newline. */
export function votesToJsonl(records: readonly VoteRecord[]): string {
  return records.map((r) => voteRecordLine(r) + '\n').join('');
}

/** Every good record of a JSONL text, and one problem per bad line (numbered from 1). Blank lines are skipped. */
export function parseVotesJsonl(text: string): { records: VoteRecord[]; problems: LineProblem[] } {
  const records: VoteRecord[] = [];
  const problems: LineProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const lastWithText = lines.findLastIndex((l) => l.trim() !== '');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const n = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      // The last line with no newline after it is where a cut-short download or copy ends.
      const cut = i === lastWithText && i === lines.length - 1;
      const why = cut ? 'the file seems cut short here' : 'the line is damaged';
      problems.push({ line: n, fields: [], message: `Line ${n} is not complete JSON (${(e as Error).message}): ${why}. The other lines were read.` });
      return;
    }
    const read = readVoteRecord(value);
    if (read.record) records.push(read.record);
    else problems.push({ line: n, fields: read.problems, message: `Line ${n}: ${read.problems.map(describeProblem).join('; ')}.` });
  });
  return { records, problems };
}

function describeProblem(p: FieldProblem): string {
  return p.field === '(line)' || p.field === 'version' ? p.message : `${p.field} ${p.message}`;
}

function versionProblem(version: unknown): FieldProblem {
  const field = 'version';
  if (typeof version === 'number' && Number.isInteger(version) && version > VOTE_RECORD_VERSION) {
    return { field, message: `it is a vote record of version ${version}, from a newer Vidlet (this one reads version ${VOTE_RECORD_VERSION}): update Vidlet to import it` };
  }
  if (typeof version === 'number' && Number.isInteger(version) && version >= 1) {
    return { field, message: `it is a vote record of version ${version}, which this Vidlet (version ${VOTE_RECORD_VERSION}) cannot read` };
  }
  return { field, message: `it is not a Vidlet vote record: "version" should be ${VOTE_RECORD_VERSION}, got ${shown(version)}` };
}

/**
 * A take's settings: the JSON shapes are checked here (what validateSettings takes for granted),
 * the values by validateSettings itself, so the limits live only in src/package/request.ts.
 */
function readTake(v: unknown, field: string, problems: FieldProblem[]): VoteTake | undefined {
  const before = problems.length;
  const bad = (f: string, expected: string, got: unknown) => problems.push({ field: f, message: `should be ${expected}, got ${shown(got)}` });
  if (!isObject(v)) {
    bad(field, 'a take: an object with settings and adapterHashes', v);
    return undefined;
  }
  const at = `${field}.settings`;
  const s = v.settings;
  if (!isObject(s)) {
    bad(at, 'the generation settings (an object)', s);
    return undefined;
  }
  if (typeof s.prompt !== 'string') bad(`${at}.prompt`, 'a string', s.prompt);
  if (s.negativePrompt !== undefined && typeof s.negativePrompt !== 'string') bad(`${at}.negativePrompt`, 'a string', s.negativePrompt);
  if (s.blend !== undefined && !isBlendMode(s.blend)) bad(`${at}.blend`, `one of ${BLEND_MODES.join(', ')}`, s.blend);
  const adapters = s.adapters === undefined ? undefined : readAdapters(s.adapters, `${at}.adapters`, bad);

  const hashes: Record<string, string> = {};
  if (!isObject(v.adapterHashes)) bad(`${field}.adapterHashes`, 'an object of sha256 digests by adapter name', v.adapterHashes);
  else {
    for (const [name, hash] of Object.entries(v.adapterHashes)) {
      if (typeof hash !== 'string' || !SHA256.test(hash)) bad(`${field}.adapterHashes.${name}`, 'a sha256 digest (64 hexadecimal characters)', hash);
      else hashes[name] = hash.toLowerCase();
    }
    for (const a of adapters ?? []) {
      if (!(a.name in v.adapterHashes)) bad(`${field}.adapterHashes.${a.name}`, `the sha256 of adapter "${a.name}", which the take used`, undefined);
    }
  }
  if (v.historyId !== undefined && typeof v.historyId !== 'string') bad(`${field}.historyId`, 'a string', v.historyId);
  const features = v.features;
  if (features !== undefined && !(Array.isArray(features) && features.length > 0 && features.every((x) => typeof x === 'number' && Number.isFinite(x)))) {
    bad(`${field}.features`, "the reward model's features: a non-empty list of finite numbers", features);
  }
  if (problems.length > before) return undefined;

  const settings: GenerationSettings = {
    prompt: s.prompt as string,
    ...(s.negativePrompt !== undefined ? { negativePrompt: s.negativePrompt as string } : {}),
    seed: s.seed as number,
    steps: s.steps as number,
    guidance: s.guidance as number,
    innerGuidance: s.innerGuidance as number,
    ...(s.contrast !== undefined ? { contrast: s.contrast as number } : {}),
    sampler: s.sampler as GenerationSettings['sampler'],
    ...(adapters ? { adapters } : {}),
    ...(s.blend !== undefined ? { blend: s.blend as GenerationSettings['blend'] } : {}),
  };
  for (const p of validateSettings(settings)) {
    const f = `${at}.${p.field}`;
    problems.push({ field: f, message: p.field === 'adapters' ? `— ${p.message}` : `— ${p.message.replace(/\.$/, '')}, got ${shown(s[p.field])}` });
  }
  if (problems.length > before) return undefined;
  return {
    settings,
    adapterHashes: hashes,
    ...(v.historyId !== undefined ? { historyId: v.historyId as string } : {}),
    ...(features !== undefined ? { features: [...(features as number[])] } : {}),
  };
}

/** The list's JSON shapes (names, curve arrays); strengths and curve points are validateSettings' to judge. */
function readAdapters(v: unknown, field: string, bad: (f: string, expected: string, got: unknown) => void): AdapterChoice[] | undefined {
  if (!Array.isArray(v)) {
    bad(field, 'a list of adapters', v);
    return undefined;
  }
  const out: AdapterChoice[] = [];
  v.forEach((raw, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(raw)) return bad(f, 'an object with a name', raw);
    if (typeof raw.name !== 'string' || raw.name === '') return bad(`${f}.name`, "an adapter's name", raw.name);
    const choice: AdapterChoice = { name: raw.name };
    if (raw.strength !== undefined) choice.strength = raw.strength as number;
    const c = raw.schedule;
    if (c !== undefined) {
      if (!isObject(c)) return bad(`${f}.schedule`, 'a curve (an object with points)', c);
      if (c.multipliers !== undefined && !Array.isArray(c.multipliers)) return bad(`${f}.schedule.multipliers`, 'a list of numbers', c.multipliers);
      if (c.groups !== undefined && !(Array.isArray(c.groups) && c.groups.every((g) => Array.isArray(g) && g.every(Number.isInteger)))) {
        return bad(`${f}.schedule.groups`, 'a list of lists of block indices', c.groups);
      }
      choice.schedule = JSON.parse(JSON.stringify(c)) as CurveSpec;
    }
    out.push(choice);
  });
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v);
  return String(v);
}
