/**
 * A plain prompt → a ScenePlan, and how it was read (issue #10), so the page's scene list and the
 * CLI's --prompt show the same split. The first rule that finds two or more scenes wins:
 *
 * 1. labels — "Scene 1: … Scene 2: …" (also "scene 2 -", "Scene two."); the training captions'
 *    own form "scene 1: …. cut to scene 2: …" included. Text before the first label opens scene 1,
 *    or is scene 1 when the first label is "Scene 2".
 * 2. list — lines starting "1." / "2)" / "-" / "*" / "•", or "1. … 2. …" on one line when the
 *    numbers run 1, 2, 3 from the start of the prompt.
 * 3. lines — two or more non-empty lines, one scene each.
 * 4. joiners — "cut to" in any of its forms ("then cut to", ". Hard cut to", "— cut to", …: every
 *    CUT_JOINER of training/vidlet_train/world/catalog.py) always splits. "then", "next",
 *    "after that", "afterwards", "later" and "finally" split only when a new subject follows:
 *    a determiner ("then a blue ring spins", "after that, the box falls") or a background
 *    ("then on a green background …"). So "a ball grows and then shrinks" stays one scene (one
 *    object doing two things), as do "moves left, then right", "next to the box" and "then the
 *    camera pans left" (a camera move belongs to its scene, as in the training captions).
 *    Full stops alone never split: the training captions use them inside one scene.
 * 5. single — otherwise the prompt is one scene, exactly as written.
 *
 * Case, extra spaces and punctuation around markers do not matter. Scenes are never dropped: an
 * empty one ("Scene 2:" with nothing after it) stays in the plan for planProblems to point at.
 */
import { DEFAULT_SCENE_FRAMES, type ScenePlan } from './scenes';

export type SceneRule = 'labels' | 'list' | 'lines' | 'joiners' | 'single';

export interface ParsedScenes {
  plan: ScenePlan;
  rule: SceneRule;
  /** What split the prompt, lower case, in order: "scene 1:", "2.", "then cut to", "then". */
  markers: string[];
  /** One sentence for the page and the CLI: how the prompt became these scenes. */
  description: string;
}

/** Each scene of the result lasts `frames` (the model's default scene length). */
export function parseScenes(prompt: string, frames: number = DEFAULT_SCENE_FRAMES): ParsedScenes {
  const text = prompt.replace(/\r\n?/g, '\n').replace(/[^\S\n]+/gu, ' ');
  const found = byLabels(text) ?? byList(text) ?? byLines(text) ?? byJoiners(text);
  if (found) {
    return { plan: found.texts.map((t) => ({ text: t, frames })), rule: found.rule, markers: found.markers, description: describe(found) };
  }
  return { plan: [{ text: prompt.trim(), frames }], rule: 'single', markers: [], description: describeSingle(text) };
}

interface Split {
  rule: Exclude<SceneRule, 'single'>;
  texts: string[];
  markers: string[];
}

// ------------------------------------------------------------------------------------ cleaning

const SEPARATORS = String.raw`[\s,;:.\-–—…]`;
/** A cut in every form the training captions join scenes with (catalog.py CUT_JOINERS). */
const CUT = String.raw`(?:\band\s+)?(?:\bthen\s+)?(?:\bhard\s+)?\bcuts?\s+to\b`;
const SEQUENCE_WORDS = String.raw`(?:then|next(?!\s+to\b)|after\s+that|afterwards?|later|finally)`;
/** Words that join scenes and carry nothing of either: trimmed off a scene's ends. */
const LEADING = new RegExp(String.raw`^(?:${SEPARATORS}|${CUT}|\band\b|\b${SEQUENCE_WORDS}\b|\b(?:at\s+)?first\b)+`, 'iu');
const TRAILING = new RegExp(String.raw`(?:${SEPARATORS}|${CUT}|\band\b|\bthen\b)+$`, 'iu');

/** A scene's text without the joiners and separators around it ("…, then cut to" → "…"). */
function clean(piece: string): string {
  return piece.replace(/\s+/gu, ' ').replace(LEADING, '').replace(TRAILING, '').trim();
}

// ------------------------------------------------------------------------------------ 1. labels

const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6 };
const LABEL = /\bscene\s*(\d{1,2}|one|two|three|four|five|six)\b\s*(?:[:).]|[-–—](?=\s))?/giu;

function byLabels(text: string): Split | undefined {
  const labels = [...text.matchAll(LABEL)];
  if (labels.length === 0) return undefined;
  const first = labels[0]!;
  const firstNumber = Number(first[1]) || NUMBER_WORDS[first[1]!.toLowerCase()]!;
  const texts = labels.map((m, i) => text.slice(m.index! + m[0].length, labels[i + 1]?.index ?? text.length));
  const before = clean(text.slice(0, first.index));
  const markers = labels.map((m) => m[0].toLowerCase().replace(/\s+/gu, ' ').trim());
  if (before !== '') {
    // "A red star. Cut to scene 2: …": the unlabelled start is scene 1; "Intro. Scene 1: …" opens it.
    if (firstNumber >= 2) texts.unshift(before);
    else texts[0] = `${before} ${texts[0]}`;
  }
  if (texts.length < 2) return undefined; // one "Scene 1:" alone splits nothing; other rules may
  return { rule: 'labels', texts: texts.map(clean), markers };
}

// ------------------------------------------------------------------------------------ 2. list

const LINE_ITEM = /^\s*(?:(\d{1,2})[.)]|[-*•])\s+/u;
const INLINE_ITEM = /(?:^|\s)(\d{1,2})[.)]\s+/gu;

function byList(text: string): Split | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const firstItem = lines.findIndex((l) => LINE_ITEM.test(l));
  if (lines.filter((l) => LINE_ITEM.test(l)).length >= 2) {
    const preamble = clean(lines.slice(0, firstItem).join(' '));
    const items: string[] = [];
    const markers: string[] = [];
    for (const line of lines.slice(firstItem)) {
      const m = LINE_ITEM.exec(line);
      if (m) {
        items.push(line.slice(m[0].length));
        markers.push(m[0].trim());
      } else {
        items[items.length - 1] += ` ${line}`; // a wrapped item goes on
      }
    }
    if (preamble !== '') items[0] = `${preamble} ${items[0]}`;
    return { rule: 'list', texts: items.map(clean), markers };
  }
  // "1. … 2. … 3. …" on one line: only numbers that run 1, 2, … from the very start, so a stray
  // "2." inside a sentence is not a list.
  const inline = [...text.matchAll(INLINE_ITEM)];
  const run: RegExpMatchArray[] = [];
  for (const m of inline) {
    if (Number(m[1]) === run.length + 1 && (run.length > 0 || text.slice(0, m.index).trim() === '')) run.push(m);
  }
  if (run.length < 2) return undefined;
  const texts = run.map((m, i) => text.slice(m.index! + m[0].length, run[i + 1]?.index ?? text.length));
  return { rule: 'list', texts: texts.map(clean), markers: run.map((m) => m[0].trim()) };
}

// ------------------------------------------------------------------------------------ 3. lines

function byLines(text: string): Split | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return undefined;
  return { rule: 'lines', texts: lines.map(clean), markers: lines.slice(1).map(() => 'line break') };
}

// ------------------------------------------------------------------------------------ 4. joiners

/**
 * What starts a new scene after "then": a determiner (a new subject) or a background phrase;
 * never the camera, whose moves happen inside a scene ("…, then the camera pans left").
 */
const NEW_SUBJECT = String.raw`(?!(?:the\s+|a\s+)?camera\b)(?:(?:a|an|the|one|two|three|another|some|this|these|those|its|their)\b|(?:on|over|against)\s+(?:a|an|the|plain)\b)`;
const SEQUENCE = String.raw`(?:\band\s+)?\b${SEQUENCE_WORDS}\b,?(?=\s+${NEW_SUBJECT})`;
const JOINER = new RegExp(`${CUT}|${SEQUENCE}`, 'giu');

function byJoiners(text: string): Split | undefined {
  const flat = text.replace(/\s+/gu, ' ');
  const texts: string[] = [];
  const markers: string[] = [];
  let from = 0;
  for (const m of flat.matchAll(JOINER)) {
    const before = flat.slice(from, m.index);
    // A joiner at the very start ("Then a ring spins") joins nothing: it is trimmed with the scene.
    if (texts.length === 0 && clean(before) === '') continue;
    texts.push(before);
    markers.push(m[0].toLowerCase().replace(/[,\s]+$/u, ''));
    from = m.index! + m[0].length;
  }
  if (texts.length === 0) return undefined;
  texts.push(flat.slice(from));
  return { rule: 'joiners', texts: texts.map(clean), markers };
}

// ------------------------------------------------------------------------------------ descriptions

function scenes(n: number): string {
  return n === 1 ? '1 scene' : `${n} scenes`;
}

function quoted(items: string[]): string {
  const q = [...new Set(items)].map((s) => `"${s}"`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
}

function describe(s: Split): string {
  switch (s.rule) {
    case 'labels':
      return `${scenes(s.texts.length)}, from the labels ${quoted(s.markers)}.`;
    case 'list':
      return `${scenes(s.texts.length)}, one per item of the list.`;
    case 'lines':
      return `${scenes(s.texts.length)}, one per line.`;
    case 'joiners':
      return `${scenes(s.texts.length)}, split at ${quoted(s.markers)}.`;
  }
}

const KEPT_SEQUENCE = new RegExp(String.raw`\b${SEQUENCE_WORDS}\b\s+(\S+)`, 'iu');

/** Why a single-scene prompt was not split, naming a "then" that was kept inside the scene. */
function describeSingle(text: string): string {
  const kept = KEPT_SEQUENCE.exec(text);
  const why = kept
    ? ` ("${kept[0].trim()}": no new subject such as "a …" or "the …" follows, so it stays inside the scene)`
    : '';
  return `1 scene: no scene labels, list, line breaks or joiners such as "then cut to" or "then a …"${why}.`;
}
