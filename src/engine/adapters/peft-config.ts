/**
 * The LoRA config diffusers writes into a file it saves (`save_lora_weights`: `__metadata__`
 * key `lora_adapter_metadata`, a JSON object of PEFT LoraConfig fields, each under the
 * component's prefix, "transformer.lora_alpha" …; a model's own `save_lora_adapter` writes them
 * without the prefix). diffusers' `load_lora_weights` builds the
 * LoraConfig from exactly these fields when they are there (diffusers 0.42.1,
 * utils/peft_utils.py `_create_lora_config`), so their alpha, not alpha = r, scales such a file:
 *
 *   rank  r_m = rank_pattern[first key matching m] ?? r                  (LoraConfig default r = 8)
 *   alpha a_m = alpha_pattern[first key matching m] ?? lora_alpha        (default 8)
 *   scale     = a_m / r_m, or a_m / √r_m with use_rslora                  (peft tuners/lora/layer.py)
 *
 * where a key k matches module path m when Python's `re.match(rf"(.*\.)?({k})$", m)` does (peft
 * utils/other.py get_pattern_key). Keys are regular expressions from an untrusted file, so only
 * the plain ones diffusers itself writes (`^blocks.0.attn1.to_q`, `attn2.to_k`: letters, digits,
 * '_', '-', '.', a leading '^', a trailing '$') are evaluated; any other is refused rather than
 * guessed at. DoRA (`use_dora`) needs a magnitude vector the slots do not have: refused.
 */

const KEY = 'lora_adapter_metadata';
/** diffusers' pipeline loaders keep only the transformer's fields (load_lora_adapter(prefix="transformer")). */
const COMPONENT = 'transformer.';
const PLAIN_PATTERN = /^\^?[A-Za-z0-9_.-]+\$?$/;

/** LoraConfig's own defaults (peft tuners/lora/config.py), what diffusers gets for a field the file leaves out. */
const PEFT_DEFAULT_R = 8;
const PEFT_DEFAULT_ALPHA = 8;

export interface PeftConfig {
  /** The rank PEFT would build module `path` with; a file whose tensors disagree does not load in diffusers. */
  rankFor(path: string): number;
  alphaFor(path: string): number;
  /** LoRA scale of module `path` at rank r. */
  scale(path: string, r: number): number;
}

type Fail = (where: string, why: string) => never;

/** The file's diffusers LoRA config, or undefined when `__metadata__` has none. */
export function readPeftConfig(meta: Record<string, string>, fail: Fail): PeftConfig | undefined {
  const raw = meta[KEY];
  if (raw === undefined) return undefined;
  const bad = (why: string): never => fail(KEY, `__metadata__.${KEY} ${why}.`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    return bad(`is not JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) bad('must be a JSON object');
  // A pipeline's file has the fields under "transformer."; a model's own save_lora_adapter writes
  // them bare (read by load_lora_adapter(prefix=None)). Either way one LoraConfig.
  const entries = Object.entries(json as Record<string, unknown>);
  const prefixed = entries.filter(([k]) => k.startsWith(COMPONENT));
  const fields = new Map(prefixed.length > 0 ? prefixed.map(([k, v]) => [k.slice(COMPONENT.length), v]) : entries);
  const number = (key: string, fallback: number, positive: boolean): number => {
    const v = fields.get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) bad(`has ${key} ${JSON.stringify(v)}; it must be a ${positive ? 'positive ' : ''}number`);
    return v as number;
  };
  if (fields.get('use_dora') === true) {
    bad('says use_dora: it is a DoRA adapter, whose magnitude vectors the LoRA slots cannot hold; use a plain LoRA');
  }
  const useRslora = fields.get('use_rslora') === true;
  const r = number('r', PEFT_DEFAULT_R, true);
  const alpha = number('lora_alpha', PEFT_DEFAULT_ALPHA, false);
  const rankPattern = patterns('rank_pattern', fields.get('rank_pattern'), bad);
  const alphaPattern = patterns('alpha_pattern', fields.get('alpha_pattern'), bad);
  const lookup = (table: [RegExp, number][], path: string, fallback: number) => table.find(([re]) => re.test(path))?.[1] ?? fallback;
  return {
    rankFor: (path) => lookup(rankPattern, path, r),
    alphaFor: (path) => lookup(alphaPattern, path, alpha),
    scale(path, rank) {
      const a = this.alphaFor(path);
      return useRslora ? a / Math.sqrt(rank) : a / rank;
    },
  };
}

/** A `{pattern: number}` table as [anchored RegExp, value] in the file's order (PEFT takes the first match). */
function patterns(field: string, v: unknown, bad: (why: string) => never): [RegExp, number][] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'object' || Array.isArray(v)) bad(`has ${field} that is not an object of pattern → number`);
  return Object.entries(v as Record<string, unknown>).map(([key, value]): [RegExp, number] => {
    if (typeof value !== 'number' || !Number.isFinite(value)) bad(`has ${field}[${JSON.stringify(key)}] = ${JSON.stringify(value)}, not a number`);
    if (!PLAIN_PATTERN.test(key)) {
      bad(`has the ${field} key ${JSON.stringify(key)}, a regular expression Vidlet does not evaluate (it takes module paths such as "^blocks.0.attn1.to_q" or "attn2.to_k")`);
    }
    // Python's re.match(rf"(.*\.)?({key})$", path): anchored at the start, '.' any character, as in the key.
    return [new RegExp(`^(?:.*\\.)?(?:${key})$`), value as number];
  });
}
