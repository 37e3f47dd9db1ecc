/**
 * The prompt tokenizer against Python `tokenizers` (tests/fixtures/tokenizer-cases.json, written
 * by training/vidlet_train/tokenizer_cases.py on the shipped tokenizer.json with the same
 * truncation/padding), plus unknown-word detection.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PromptTokenizer } from '../../../src/engine/tokenizer';

interface Case {
  text: string;
  ids: number[];
  attentionMask: number[];
  tokens: string[];
  truncated: boolean;
}
const fixture = JSON.parse(readFileSync('tests/fixtures/tokenizer-cases.json', 'utf8')) as {
  tokenizer: string;
  maxLength: number;
  padId: number;
  cases: Case[];
};
const tokenizerJson = JSON.parse(readFileSync(fixture.tokenizer, 'utf8'));

describe('PromptTokenizer vs Python tokenizers', () => {
  const tok = new PromptTokenizer(tokenizerJson, fixture.maxLength);

  it('has enough varied cases, some truncated', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(300);
    expect(fixture.cases.some((c) => c.truncated)).toBe(true);
  });

  it('gives the same ids, mask, tokens and truncation for every case', () => {
    const mismatches: string[] = [];
    for (const c of fixture.cases) {
      const e = tok.encode(c.text);
      const same =
        e.ids.length === fixture.maxLength &&
        JSON.stringify(e.ids) === JSON.stringify(c.ids) &&
        JSON.stringify(e.attentionMask) === JSON.stringify(c.attentionMask) &&
        JSON.stringify(e.tokens) === JSON.stringify(c.tokens) &&
        e.truncated === c.truncated;
      if (!same) mismatches.push(`${JSON.stringify(c.text)}: got ${JSON.stringify(e.ids.slice(0, 12))}… want ${JSON.stringify(c.ids.slice(0, 12))}…`);
    }
    expect(mismatches).toEqual([]);
  });

  it('batches into int64 [B, L] tensors', () => {
    const cases = fixture.cases.slice(5, 8);
    const { inputIds, attentionMask } = tok.encodeBatch(cases.map((c) => c.text));
    expect(inputIds).toBeInstanceOf(BigInt64Array);
    expect(inputIds.length).toBe(3 * fixture.maxLength);
    expect(Array.from(inputIds, Number)).toEqual(cases.flatMap((c) => c.ids));
    expect(Array.from(attentionMask, Number)).toEqual(cases.flatMap((c) => c.attentionMask));
  });
});

describe('unknown words', () => {
  it('reports words that map to [UNK]', () => {
    const tok = new PromptTokenizer(tokenizerJson, 64);
    // MiniLM's WordPiece has no pieces for these scripts' characters → [UNK].
    const unk = tok.unknownWords('a red circle ⟁ moves');
    expect(unk).toContain('⟁');
    expect(unk).not.toContain('red');
  });

  it('reports words a Unigram (T5-style) tokenizer has no piece for, without the "▁" word mark', () => {
    // The converter's tiny Wan fixture tokenizer (convert/vidlet_convert/fixture.py): pieces for a few
    // words and their letters; "z" and "q" have none, so they encode as <unk> (id 2).
    const t5 = JSON.parse(readFileSync('tests/fixtures/t5-unigram-tokenizer.json', 'utf8'));
    const tok = new PromptTokenizer(t5, 16, ['a', 'red', 'ball', 'zebra', 'quiz']);
    expect(tok.encode('a zebra').ids.slice(0, 4)).toContain(2);
    expect(tok.unknownWords('a red zebra quiz ball')).toEqual(['zebra', 'quiz']);
    const outside = new PromptTokenizer(t5, 16, ['a', 'ball']);
    expect(outside.unknownWords('a red ball')).toEqual(['red']);
  });

  it('reports words outside the training vocabulary, once each, never punctuation', () => {
    const tok = new PromptTokenizer(tokenizerJson, 64, ['a', 'red', 'circle', 'moves', 'left']);
    expect(tok.unknownWords('A red circle moves left, a crimson zeppelin moves; zeppelin!')).toEqual(['crimson', 'zeppelin']);
    const a = tok.analyze('a red circle');
    expect(a.unknownWords).toEqual([]);
    expect(a.tokens[0]).toBe('[CLS]');
    expect(a.truncated).toBe(false);
  });
});

describe('construction', () => {
  it('refuses a tokenizer that is not a JSON object, or a maxLength with no room for text', () => {
    expect(() => new PromptTokenizer(null, 64)).toThrow(/tokenizer.json/);
    expect(() => new PromptTokenizer(tokenizerJson, 2)).toThrow(/maxLength/);
  });
});
