/**
 * The prompt tokenizer on a SentencePiece `Precompiled` normaliser (T5 / umT5), against Python
 * `tokenizers` (tests/fixtures/precompiled-tokenizer-cases.json, written by
 * `python -m vidlet_convert.spm_fixture` from a real spiece.model with hand-written charsmap rules, in
 * both T5 tokenizer.json layouts). The full nmt_nfkc charsmap is checked by
 * convert/tests/test_precompiled_tokenizer.py.
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { PromptTokenizer } from '../../../src/engine/tokenizer';
import { matchPythonTokenizers } from '../../../src/engine/tokenizer-parity';

interface Case {
  text: string;
  normalized: string;
  ids: number[];
  attentionMask: number[];
}
const fixture = JSON.parse(readFileSync('tests/fixtures/precompiled-tokenizer-cases.json', 'utf8')) as {
  maxLength: number;
  layouts: Record<string, { tokenizer: unknown; cases: Case[] }>;
};

describe.each(Object.entries(fixture.layouts))('Precompiled tokenizer.json (%s layout) vs Python tokenizers', (_, layout) => {
  it('normalises every case as Python does', () => {
    const tok = new Tokenizer(layout.tokenizer as object, {});
    matchPythonTokenizers(tok);
    const wrong = layout.cases.filter((c) => tok.normalizer!.normalize(c.text) !== c.normalized);
    expect(wrong.map((c) => `${JSON.stringify(c.text)} → ${JSON.stringify(tok.normalizer!.normalize(c.text))}, want ${JSON.stringify(c.normalized)}`)).toEqual([]);
  });

  it('gives the same ids and mask for every case', () => {
    const tok = new PromptTokenizer(layout.tokenizer, fixture.maxLength);
    const wrong = layout.cases.filter((c) => {
      const e = tok.encode(c.text);
      return JSON.stringify(e.ids) !== JSON.stringify(c.ids) || JSON.stringify(e.attentionMask) !== JSON.stringify(c.attentionMask);
    });
    expect(wrong.map((c) => `${JSON.stringify(c.text)}: got ${JSON.stringify(tok.encode(c.text).ids)}, want ${JSON.stringify(c.ids)}`)).toEqual([]);
  });

  it('has cases the charsmap rewrites, some truncated', () => {
    expect(layout.cases.length).toBeGreaterThanOrEqual(100);
    expect(layout.cases.filter((c) => c.normalized !== c.text).length).toBeGreaterThanOrEqual(50);
    expect(layout.cases.some((c) => c.attentionMask.every((m) => m === 1))).toBe(true);
  });
});
