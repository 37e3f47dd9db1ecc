/**
 * Where @huggingface/tokenizers 0.2 departs from Python `tokenizers` (what the publishers' pipelines
 * run) on the steps of a T5 / umT5 tokenizer.json, each found by convert/tests/test_precompiled_tokenizer.py:
 * - `Precompiled` is NFKC there, the spiece.model charsmap in Python (src/engine/precompiled.ts);
 * - `WhitespaceSplit` and `Strip` use JavaScript's `\s` (without U+0085, with U+FEFF), Python the
 *   Unicode White_Space property (Rust's `char::is_whitespace`): U+0085, which the nmt_nfkc charsmap
 *   keeps, split a word in Python and not here.
 */
import {
  type Normalizer,
  PrecompiledNormalizer,
  type PreTokenizer,
  SequenceNormalizer,
  SequencePreTokenizer,
  StripNormalizer,
  type Tokenizer,
  WhitespaceSplitPreTokenizer,
} from '@huggingface/tokenizers';
import { type PrecompiledConfig, SpmPrecompiledNormalizer } from './precompiled';

class UnicodeWhitespaceSplit extends WhitespaceSplitPreTokenizer {
  override pre_tokenize_text(text: string): string[] {
    return text.split(/\p{White_Space}+/u).filter((w) => w.length > 0);
  }
}

class UnicodeStrip extends StripNormalizer {
  override normalize(text: string): string {
    const { strip_left: left, strip_right: right } = this.config as { strip_left?: boolean; strip_right?: boolean };
    if (left) text = text.replace(/^\p{White_Space}+/u, '');
    if (right) text = text.replace(/\p{White_Space}+$/u, '');
    return text;
  }
}

/** Replaces, in place, the steps of `tok` that differ from Python `tokenizers` by faithful ones. */
export function matchPythonTokenizers(tok: Tokenizer): void {
  tok.normalizer = normalizer(tok.normalizer);
  tok.pre_tokenizer = preTokenizer(tok.pre_tokenizer);
}

function normalizer(n: Normalizer | null): Normalizer | null {
  if (n instanceof PrecompiledNormalizer) return new SpmPrecompiledNormalizer(n.config as PrecompiledConfig);
  if (n instanceof StripNormalizer) return new UnicodeStrip(n.config);
  if (n instanceof SequenceNormalizer) n.normalizers = n.normalizers.map(normalizer);
  return n;
}

function preTokenizer(p: PreTokenizer | null): PreTokenizer | null {
  if (p instanceof WhitespaceSplitPreTokenizer) return new UnicodeWhitespaceSplit();
  if (p instanceof SequencePreTokenizer) p.tokenizers = p.tokenizers.map(preTokenizer);
  return p;
}
