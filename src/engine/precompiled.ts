/**
 * SentencePiece's `Precompiled` normaliser (T5 / umT5 / any spiece.model converted by transformers), as
 * Python `tokenizers` applies it. @huggingface/tokenizers 0.2 ignores the charsmap and runs
 * `String.normalize('NFKC')` plus a few replacements instead, which differs from the charsmap on many
 * characters (measured in convert/tests/test_precompiled_tokenizer.py), so the ids differ from the
 * pipeline's.
 *
 * The charsmap (base64): u32 LE trie size in bytes, a darts-clone double-array trie over UTF-8 keys
 * whose values are byte offsets into the rest, NUL-terminated replacement strings.
 * Python `tokenizers` walks the text by extended grapheme cluster: a cluster under 6 UTF-8 bytes is
 * looked up whole, else (or when it has no entry) each code point is looked up alone. A lookup takes the
 * SHORTEST key that is a prefix of the chunk and replaces the whole chunk with its value: so a short
 * cluster whose first character has an entry loses the rest ("Ａ" + U+0301 → "A"). That is what the
 * pipeline's tokenizer does, so it is reproduced here, not corrected.
 */
import { Normalizer } from '@huggingface/tokenizers';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export interface PrecompiledConfig {
  type: 'Precompiled';
  precompiled_charsmap: string;
}

export class SpmPrecompiledNormalizer extends Normalizer {
  private readonly units: Uint32Array;
  private readonly strings: Uint8Array;
  private readonly graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

  constructor(config: PrecompiledConfig) {
    super(config);
    const bytes = Uint8Array.from(atob(config.precompiled_charsmap ?? ''), (c) => c.charCodeAt(0));
    if (bytes.length === 0) {
      this.units = new Uint32Array(0);
      this.strings = new Uint8Array(0);
      return;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const trieBytes = bytes.length >= 4 ? view.getUint32(0, true) : -1;
    if (trieBytes < 0 || trieBytes % 4 !== 0 || 4 + trieBytes > bytes.length) {
      throw new Error('precompiled_charsmap is malformed (trie size)');
    }
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.strings = bytes.subarray(4 + trieBytes);
  }

  /** The replacement of `chunk`: the value of the shortest trie key that prefixes it, or null. */
  private transform(chunk: string): string | null {
    const u = this.units;
    if (u.length === 0) return null;
    let pos = offset(u[0]!);
    for (const byte of utf8.encode(chunk)) {
      if (byte === 0) return null;
      pos ^= byte;
      const unit = u[pos];
      if (unit === undefined || (unit & 0x800000ff) >>> 0 !== byte) return null;
      pos ^= offset(unit);
      if ((unit >>> 8) & 1) {
        const start = (u[pos] ?? 0) & 0x7fffffff;
        let end = start;
        while (end < this.strings.length && this.strings[end] !== 0) end++;
        return utf8Decoder.decode(this.strings.subarray(start, end));
      }
    }
    return null;
  }

  override normalize(text: string): string {
    let out = '';
    for (const { segment } of this.graphemes.segment(text)) {
      if (utf8.encode(segment).length < 6) {
        const whole = this.transform(segment);
        if (whole !== null) {
          out += whole;
          continue;
        }
      }
      for (const ch of segment) out += this.transform(ch) ?? ch;
    }
    return out;
  }
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}
