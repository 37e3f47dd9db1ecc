/**
 * The prompt colour lexicon (the package's `text.lexicon`, lexicon.json): colour names the model
 * never learnt ("tangerine", "jet-black", "reddish") replaced by the world colour word they look
 * like, before the prompt reaches the text encoder. The text encoder places many unseen names near
 * the right colour, but not reliably; the table knows them exactly.
 *
 * The same rule as training/vidlet_train/world/prompt_lexicon.py `rewrite` (which evaluates the
 * model the way the engine prompts it); tests/fixtures/prompt-lexicon-cases.json holds the cases
 * both must agree on. Its position rules exist because a list of colour names is also a list of
 * ordinary words ("water", "canvas", "snow"): a one-word name is a colour only where a colour stands.
 */
import { ModelFormatError } from './errors';
import type { ColourReading } from './types';

export interface PromptLexicon {
  /** The world's own colour words -> colour: never rewritten; what "-ish" words and names are checked against. */
  colourWords: ReadonlyMap<string, string>;
  /** Colour name (lower case, words joined by one space) -> world colour. */
  names: ReadonlyMap<string, string>;
}

/** Words a one-word name never modifies (identical to the Python FUNCTION_WORDS). */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  ('a an the one this that these those some any each every my your our his her its their ' +
    'to of in on at by for from into onto with within without over under above below behind beside ' +
    'across through around along toward towards up down off out away back left right ' +
    'and or but nor so then than as while when where which who that is are was were be been being ' +
    'it they he she we you i me us them there here not no very too just').split(' '),
);

/** After these a name stands for a colour ("on tangerine"); identical to the Python PREPOSITIONS. */
export const PREPOSITIONS: ReadonlySet<string> = new Set(
  'on against over onto with of in into across atop upon before behind under beneath'.split(' '),
);

const WORD = /[A-Za-z]+/g;
/** What may separate the words of one name: spaces/tabs or one hyphen ("jet-black"; " - " is a dash). */
const JOIN = /^(?:[ \t]+|-)$/;

/** Checks lexicon.json's shape; `file` names it in the error. */
export function parseLexicon(json: unknown, file: string): PromptLexicon {
  const bad = (why: string) =>
    new ModelFormatError(`${file} must be {"colourWords": {word: colour}, "names": {name: colour}}: ${why}. Re-export the model package.`, { file });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('it is not a JSON object');
  const table = (field: 'colourWords' | 'names'): Map<string, string> => {
    const v = (json as Record<string, unknown>)[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`"${field}" is missing or not an object`);
    const out = new Map<string, string>();
    for (const [k, c] of Object.entries(v)) {
      if (typeof c !== 'string' || c === '') throw bad(`"${field}"."${k}" is not a colour word`);
      if (!/^[a-z]+( [a-z]+)*$/.test(k)) throw bad(`"${field}" has "${k}", not lower-case words joined by one space`);
      out.set(k, c);
    }
    return out;
  };
  return { colourWords: table('colourWords'), names: table('names') };
}

/** "reddish" -> red, "bluish" -> blue, "purplish" -> purple, "greyish" -> gray (undefined otherwise). */
function ish(word: string, colourWords: ReadonlyMap<string, string>): string | undefined {
  if (!word.endsWith('ish') || word.length < 6) return undefined;
  const stem = word.slice(0, -3);
  for (const base of [stem, stem + 'e', stem.at(-1) === stem.at(-2) ? stem.slice(0, -1) : '']) {
    const colour = colourWords.get(base);
    if (colour !== undefined) return colour;
  }
  return undefined;
}

/** The prompt with colour names replaced by world colour words, and each replacement as written. */
/** "a"/"an" as `word` needs it ("a orange" is a phrase no caption has), capitalised as written (the encoder is uncased). */
function article(written: string, word: string): string {
  const right = 'aeiou'.includes(word[0]!) ? 'an' : 'a';
  return written[0] !== written[0]!.toLowerCase() ? right[0]!.toUpperCase() + right.slice(1) : right;
}

export function rewritePrompt(text: string, lexicon: PromptLexicon): { text: string; substitutions: ColourReading[] } {
  const { colourWords, names } = lexicon;
  const words = [...text.matchAll(WORD)].map((m) => ({ start: m.index, end: m.index + m[0].length, word: m[0].toLowerCase() }));
  // joined[i]: word i and word i + 1 may belong to one name
  const joined = words.map((w, i) => i + 1 < words.length && JOIN.test(text.slice(w.end, words[i + 1]!.start)));

  /** [how many words, colour] of a colour name starting at word i. */
  const match = (i: number): [number, string] | undefined => {
    const w = words[i]!.word;
    if (colourWords.has(w)) return undefined;
    for (const n of [3, 2]) {
      if (i + n <= words.length && joined.slice(i, i + n - 1).every(Boolean)) {
        const colour = names.get(words.slice(i, i + n).map((x) => x.word).join(' '));
        if (colour !== undefined) return [n, colour];
      }
    }
    const fromIsh = ish(w, colourWords); // before the list, which also has "greyish" (a pale grey)
    if (fromIsh !== undefined) return [1, fromIsh];
    const colour = names.get(w);
    if (colour === undefined) return undefined;
    const prev = i > 0 && joined[i - 1] ? words[i - 1]!.word : undefined;
    const next = joined[i] ? words[i + 1]!.word : undefined;
    if (next !== undefined && colourWords.has(next)) return [2, colourWords.get(next)!]; // "lemon-yellow": the world's word says it
    if (prev !== undefined && (colourWords.has(prev) || names.has(prev))) return undefined; // "a cyan water bottle": the colour came first
    if ((next !== undefined && !FUNCTION_WORDS.has(next)) || (prev !== undefined && PREPOSITIONS.has(prev))) return [1, colour];
    return undefined;
  };

  const edits: { start: number; end: number; text: string }[] = []; // in order
  const substitutions: ColourReading[] = [];
  for (let i = 0; i < words.length; ) {
    const hit = match(i);
    if (!hit) {
      i += 1;
      continue;
    }
    const [n, colour] = hit;
    const start = words[i]!.start;
    const end = words[i + n - 1]!.end;
    const before = words[i - 1];
    if (before && (before.word === 'a' || before.word === 'an') && /^\s+$/.test(text.slice(before.end, start)) && (edits.at(-1)?.end ?? 0) <= before.start) {
      edits.push({ start: before.start, end: before.end, text: article(text.slice(before.start, before.end), colour) });
    }
    edits.push({ start, end, text: colour });
    substitutions.push({ written: text.slice(start, end), colour });
    i += n;
  }
  const out: string[] = [];
  let pos = 0;
  for (const e of edits) {
    out.push(text.slice(pos, e.start), e.text);
    pos = e.end;
  }
  out.push(text.slice(pos));
  return { text: out.join(''), substitutions };
}
