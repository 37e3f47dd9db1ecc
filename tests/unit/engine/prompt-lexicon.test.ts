/**
 * The prompt colour lexicon (src/engine/prompt-lexicon.ts) against the shared cases that pytest runs
 * on the Python rule (tests/fixtures/prompt-lexicon-cases.json), its word lists against the Python
 * source, its validation, and the shipped package's lexicon.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../../src/engine/errors';
import { FUNCTION_WORDS, parseLexicon, PREPOSITIONS, rewritePrompt } from '../../../src/engine/prompt-lexicon';

const PYTHON = 'training/vidlet_train/world/prompt_lexicon.py';
const fixture = JSON.parse(readFileSync('tests/fixtures/prompt-lexicon-cases.json', 'utf8')) as {
  lexicon: unknown;
  cases: { prompt: string; text: string; substitutions: [string, string][]; why?: string }[];
};

describe('rewritePrompt on the shared cases', () => {
  const lexicon = parseLexicon(fixture.lexicon, 'prompt-lexicon-cases.json');

  it('has cases', () => expect(fixture.cases.length).toBeGreaterThanOrEqual(15));

  it.each(fixture.cases.map((c) => [c.prompt, c] as const))('%j', (_, c) => {
    const r = rewritePrompt(c.prompt, lexicon);
    expect({ text: r.text, substitutions: r.substitutions.map((s) => [s.written, s.colour]) }, c.why).toEqual({ text: c.text, substitutions: c.substitutions });
  });
});

/** The words of a `NAME = frozenset("..." "...".split())` in the Python source. */
function pythonWords(name: string): string[] {
  const source = readFileSync(PYTHON, 'utf8');
  const body = new RegExp(`^${name} = frozenset\\(([\\s\\S]*?)\\.split\\(\\)\\)`, 'm').exec(source)?.[1];
  if (body === undefined) throw new Error(`${name} not found in ${PYTHON}`);
  return [...body.matchAll(/"([^"]*)"/g)].map((m) => m[1]!).join('').split(/\s+/).filter(Boolean);
}

describe('word lists', () => {
  it('FUNCTION_WORDS and PREPOSITIONS are the Python ones', () => {
    expect([...FUNCTION_WORDS].sort()).toEqual([...new Set(pythonWords('FUNCTION_WORDS'))].sort());
    expect([...PREPOSITIONS].sort()).toEqual([...new Set(pythonWords('PREPOSITIONS'))].sort());
    expect(FUNCTION_WORDS.size).toBeGreaterThan(80); // the parse found the lists
  });
});

describe('parseLexicon', () => {
  const good = { source: 's', rule: 'r', colourWords: { red: 'red' }, names: { scarlet: 'red', 'fire engine red': 'red' } };

  it('reads the two tables', () => {
    const l = parseLexicon(good, 'lexicon.json');
    expect([...l.colourWords]).toEqual([['red', 'red']]);
    expect(l.names.get('fire engine red')).toBe('red');
  });

  it.each([
    ['not an object', []],
    ['null', null],
    ['no names', { colourWords: {} }],
    ['names a list', { colourWords: {}, names: ['scarlet'] }],
    ['a colour not a string', { colourWords: { red: 1 }, names: {} }],
    ['an empty colour', { colourWords: {}, names: { scarlet: '' } }],
    ['an upper-case name', { colourWords: {}, names: { Scarlet: 'red' } }],
    ['a hyphenated name', { colourWords: {}, names: { 'jet-black': 'black' } }],
    ['two spaces', { colourWords: {}, names: { 'jet  black': 'black' } }],
  ])('refuses %s with a ModelFormatError naming the file', (_, json) => {
    let error: unknown;
    try {
      parseLexicon(json, 'lexicon.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as ModelFormatError).message).toMatch(/^lexicon\.json must be/);
    expect((error as ModelFormatError).details.file).toBe('lexicon.json');
  });

  it('looks names up as a table, not through Object.prototype', () => {
    const l = parseLexicon(good, 'lexicon.json');
    expect(rewritePrompt('a constructor star, toString ball', l)).toEqual({ text: 'a constructor star, toString ball', substitutions: [] });
  });
});

describe('the shipped lexicon', () => {
  const lexicon = parseLexicon(JSON.parse(readFileSync('public/models/vidlet-tiny/lexicon.json', 'utf8')), 'lexicon.json');

  it('maps the names the integration test uses', () => {
    const r = rewritePrompt('a tangerine star moves left on an emerald background, a jet black ring', lexicon);
    expect(r.text).toBe('an orange star moves left on a green background, a black ring');
    expect(r.substitutions).toEqual([
      { written: 'tangerine', colour: 'orange' },
      { written: 'emerald', colour: 'green' },
      { written: 'jet black', colour: 'black' },
    ]);
  });
});
