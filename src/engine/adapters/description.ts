/**
 * The JSON description that travels beside an adapter's .safetensors file
 * (docs/adapter-format.md): what the adapter is for, which words call it up, how strongly to
 * apply it and which base model it was trained on. Parsed from untrusted JSON.
 */
import { AdapterError } from './errors';

export const ADAPTER_FORMAT = 'vidlet-adapter';
export const ADAPTER_FORMAT_VERSION = 1;

export type AdapterKind = 'identity' | 'motion' | 'style';
const KINDS: readonly AdapterKind[] = ['identity', 'motion', 'style'];

export interface AdapterDescription {
  format: typeof ADAPTER_FORMAT;
  formatVersion: number;
  /** [a-z0-9-]+, how the CLI (`--lora NAME`) and the page refer to it. */
  name: string;
  kind: AdapterKind;
  /** `manifest.name` of the model it was trained on; the engine refuses it on another model. */
  baseModel: string;
  /** Words that make the prompt ask for what the adapter learned (e.g. the mascot's name). */
  triggerWords: string[];
  /** Strength the trainer found best; the user's strength defaults to it. */
  recommendedStrength: number;
  displayName?: string;
  description?: string;
  license?: string;
  /** How the weights were made (command, seed, steps, wall time), for the model card. */
  training?: Record<string, unknown>;
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** What the page and the CLI say about an adapter added without a description. */
export const NO_DESCRIPTION_NOTE = 'no description: Vidlet cannot check which model it was made for; its layers and shapes fit';

/** Validates an adapter description; `source` (e.g. the file name) is named in errors. */
export function parseAdapterDescription(json: unknown, source = 'adapter description'): AdapterDescription {
  const fail = (field: string, why: string): never => {
    throw new AdapterError(source, field, `${source}: ${field} ${why} (see docs/adapter-format.md).`);
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new AdapterError(source, '', `${source} must be a JSON object (see docs/adapter-format.md).`);
  }
  const o = json as Record<string, unknown>;
  if (o.format !== ADAPTER_FORMAT) fail('format', `must be "${ADAPTER_FORMAT}", but it is ${JSON.stringify(o.format)}`);
  if (o.formatVersion !== ADAPTER_FORMAT_VERSION) {
    fail('formatVersion', `is ${JSON.stringify(o.formatVersion)}, but this Vidlet reads version ${ADAPTER_FORMAT_VERSION}; update Vidlet or re-export the adapter`);
  }
  if (typeof o.name !== 'string' || !NAME_PATTERN.test(o.name)) {
    fail('name', `must be 1–64 characters of a-z, 0-9 and '-', but it is ${JSON.stringify(o.name)}`);
  }
  if (typeof o.kind !== 'string' || !KINDS.includes(o.kind as AdapterKind)) {
    fail('kind', `must be one of ${KINDS.join(', ')}, but it is ${JSON.stringify(o.kind)}`);
  }
  if (typeof o.baseModel !== 'string' || o.baseModel === '') fail('baseModel', 'must name the model the adapter was trained on');
  if (!Array.isArray(o.triggerWords) || !o.triggerWords.every((w) => typeof w === 'string' && w.trim() !== '')) {
    fail('triggerWords', 'must be a list of non-empty strings (it may be empty)');
  }
  const strength = o.recommendedStrength;
  if (typeof strength !== 'number' || !Number.isFinite(strength)) {
    fail('recommendedStrength', `must be a finite number, but it is ${JSON.stringify(strength)}`);
  }
  for (const key of ['displayName', 'description', 'license'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'string') fail(key, 'must be a string when present');
  }
  if (o.training !== undefined && (o.training === null || typeof o.training !== 'object' || Array.isArray(o.training))) {
    fail('training', 'must be an object when present');
  }
  return {
    format: ADAPTER_FORMAT,
    formatVersion: ADAPTER_FORMAT_VERSION,
    name: o.name as string,
    kind: o.kind as AdapterKind,
    baseModel: o.baseModel as string,
    triggerWords: (o.triggerWords as string[]).slice(),
    recommendedStrength: strength as number,
    ...(typeof o.displayName === 'string' ? { displayName: o.displayName } : {}),
    ...(typeof o.description === 'string' ? { description: o.description } : {}),
    ...(typeof o.license === 'string' ? { license: o.license } : {}),
    ...(o.training ? { training: o.training as Record<string, unknown> } : {}),
  };
}

/**
 * The adapter name a file without a description goes by: its stem ('Wan2.1 CausVid_r32.safetensors'
 * → 'wan2-1-causvid-r32'), lower case, every run of other characters one '-', so it is a name the
 * CLI's `--lora NAME` and the page accept.
 */
export function adapterNameFromFile(source: string): string {
  const file = source.slice(Math.max(source.lastIndexOf('/'), source.lastIndexOf('\\')) + 1);
  const stem = file.replace(/\.safetensors$/i, '');
  const name = stem.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '').slice(0, 64).replace(/-+$/, '');
  return name === '' ? 'adapter' : name;
}

/**
 * What stands in for the description of an adapter dropped without one (a LoRA from another
 * trainer): named after the file, a style adapter at strength 1, no trigger words, and claimed
 * for the loaded model, since nothing says otherwise. The loader marks such an adapter
 * (LoadedAdapter.noDescription) so the page and the CLI can say that its base model went unchecked.
 */
export function descriptionFromFile(source: string, baseModel: string): AdapterDescription {
  const name = adapterNameFromFile(source);
  const stem = source.slice(Math.max(source.lastIndexOf('/'), source.lastIndexOf('\\')) + 1).replace(/\.safetensors$/i, '');
  return {
    format: ADAPTER_FORMAT,
    formatVersion: ADAPTER_FORMAT_VERSION,
    name,
    kind: 'style',
    baseModel,
    triggerWords: [],
    recommendedStrength: 1,
    ...(stem !== name && stem !== '' ? { displayName: stem } : {}),
  };
}
