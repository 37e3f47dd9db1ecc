/**
 * The prompt's contrast reading (the package's `text.contrast`, contrast.json): the prompt with its
 * object nouns replaced by one neutral noun ("a red heart bounces" -> "a red shape bounces").
 * Contrast guidance (guidance.ts) adds w3·(v(prompt) − v(reading)) to the guided velocity, which
 * amplifies what the object noun alone adds: the embedded model hears colour and motion words far
 * more than shape words.
 *
 * The same rule as training/vidlet_train/world/prompt_contrast.py; tests/fixtures/prompt-contrast-cases.json
 * holds the cases both must agree on. A word's edge is any character that is not a Unicode letter or
 * digit (JavaScript's \b sees only ASCII, so neither side uses it); the words of a phrase are separated
 * by spaces, tabs or one hyphen; case is matched in ASCII only; longer words and phrases are tried first.
 */
import { ModelFormatError } from './errors';

export interface ContrastTable {
  /** The noun every object noun is replaced by. */
  neutral: string;
  /** Object nouns and phrases, lower case, words joined by one space. */
  words: readonly string[];
  /** Any of `words` as a whole word or phrase, any case: built once per table. */
  pattern: RegExp;
}

/** Not after / before a letter or digit of any script (Python's (?<![^\W_]) and (?![^\W_])). */
const EDGE_BEFORE = '(?<![\\p{L}\\p{N}])';
const EDGE_AFTER = '(?![\\p{L}\\p{N}])';
/** What may separate the words of a phrase in a prompt ("gift box", "gift-box"). */
const JOIN = '(?:[ \\t]+|-)';

/** Checks contrast.json's shape and builds its pattern; `file` names it in the error. */
export function parseContrastTable(json: unknown, file: string): ContrastTable {
  const bad = (why: string) =>
    new ModelFormatError(`${file} must be {"neutral": word, "words": [lower-case words]}: ${why}. Re-export the model package.`, { file });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('it is not a JSON object');
  const { neutral, words } = json as Record<string, unknown>;
  if (typeof neutral !== 'string' || neutral.trim() === '') throw bad('"neutral" is missing or not a word');
  if (!Array.isArray(words)) throw bad('"words" is missing or not a list');
  // An empty list would make the pattern match the empty string between any two words.
  if (words.length === 0) throw bad('"words" is empty');
  for (const w of words) {
    if (typeof w !== 'string' || !/^[a-z]+( [a-z]+)*$/.test(w)) throw bad(`"words" has ${JSON.stringify(w)}, not lower-case words joined by one space`);
  }
  return { neutral, words: words.slice() as string[], pattern: contrastPattern(words as string[]) };
}

/** Any of `words` as a whole word or phrase, longest first (ties in text order, as Python sorts), in any case. */
function contrastPattern(words: readonly string[]): RegExp {
  const ordered = [...words].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
  const alternatives = ordered.map((w) => w.split(' ').map(anyCase).join(JOIN));
  return new RegExp(`${EDGE_BEFORE}(?:${alternatives.join('|')})${EDGE_AFTER}`, 'gu');
}

/**
 * [hH][eE]…: ASCII case only (the words are checked lower-case ASCII). The /i flag folds other
 * letters differently from Python's re.IGNORECASE ("ı"), so neither side uses it.
 */
function anyCase(word: string): string {
  return [...word].map((c) => (/[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : escapeRegExp(c))).join('');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `text` with each object noun replaced by the table's neutral noun; null when it names none. */
export function contrastPrompt(text: string, table: ContrastTable): string | null {
  let matched = false;
  // A function, so that "$" in the neutral noun is not read as a replacement pattern.
  const out = text.replace(table.pattern, () => {
    matched = true;
    return table.neutral;
  });
  return matched ? out : null;
}
