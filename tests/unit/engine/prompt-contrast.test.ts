/**
 * The prompt's contrast reading (src/engine/prompt-contrast.ts) against the shared cases that pytest
 * runs on the Python rule (tests/fixtures/prompt-contrast-cases.json), its validation, and the shipped
 * package's contrast.json.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../../src/engine/errors';
import { contrastPrompt, parseContrastTable } from '../../../src/engine/prompt-contrast';

const fixture = JSON.parse(readFileSync('tests/fixtures/prompt-contrast-cases.json', 'utf8')) as {
  table: unknown;
  cases: { text: string; reading: string | null }[];
};

describe('contrastPrompt on the shared cases', () => {
  const table = parseContrastTable(fixture.table, 'prompt-contrast-cases.json');

  it('has cases', () => expect(fixture.cases.length).toBeGreaterThanOrEqual(15));

  it.each(fixture.cases.map((c) => [c.text, c] as const))('%j', (_, c) => {
    expect(contrastPrompt(c.text, table)).toBe(c.reading);
  });

  it('gives the same reading on every call (the cached pattern keeps no state between calls)', () => {
    for (let i = 0; i < 3; i++) expect(contrastPrompt('a red heart and a star', table)).toBe('a red shape and a shape');
  });
});

describe('parseContrastTable', () => {
  const good = { rule: 'r', neutral: 'shape', words: ['gift box', 'heart'] };

  it('reads the neutral noun and the words, ignoring other fields', () => {
    const t = parseContrastTable(good, 'contrast.json');
    expect(t.neutral).toBe('shape');
    expect(t.words).toEqual(['gift box', 'heart']);
  });

  it('writes the neutral noun as given, "$" included', () => {
    const t = parseContrastTable({ neutral: '$&', words: ['heart'] }, 'contrast.json');
    expect(contrastPrompt('a heart', t)).toBe('a $&');
  });

  it.each([
    ['not an object', []],
    ['null', null],
    ['no neutral', { words: ['heart'] }],
    ['an empty neutral', { neutral: ' ', words: ['heart'] }],
    ['a neutral not a string', { neutral: 1, words: ['heart'] }],
    ['no words', { neutral: 'shape' }],
    ['words an object', { neutral: 'shape', words: { heart: 1 } }],
    ['an empty list', { neutral: 'shape', words: [] }],
    ['a word not a string', { neutral: 'shape', words: [1] }],
    ['an upper-case word', { neutral: 'shape', words: ['Heart'] }],
    ['a hyphenated word', { neutral: 'shape', words: ['gift-box'] }],
    ['two spaces', { neutral: 'shape', words: ['gift  box'] }],
    ['an empty word', { neutral: 'shape', words: [''] }],
    ['a word with other characters', { neutral: 'shape', words: ['a.b'] }],
  ])('refuses %s with a ModelFormatError naming the file', (_, json) => {
    let error: unknown;
    try {
      parseContrastTable(json, 'contrast.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as ModelFormatError).message).toMatch(/^contrast\.json must be/);
    expect((error as ModelFormatError).details.file).toBe('contrast.json');
  });
});

describe('the shipped contrast.json', () => {
  const table = parseContrastTable(JSON.parse(readFileSync('public/models/vidlet-tiny/contrast.json', 'utf8')), 'contrast.json');

  it('reads a shape noun as the neutral noun, and leaves a prompt without one alone', () => {
    expect(contrastPrompt('A red heart bounces on yellow', table)).toBe('A red shape bounces on yellow');
    expect(contrastPrompt('a mobile phone glides past a starburst', table)).toBe('a shape glides past a shape');
    expect(contrastPrompt('something red moves left', table)).toBeNull();
  });
});
