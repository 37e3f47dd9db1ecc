/**
 * The prompt tokenizer: @huggingface/tokenizers over the package's tokenizer.json, with the
 * padding/truncation the text encoder was exported for (manifest.text.maxLength) done here, as
 * Python `tokenizers` does with enable_truncation(L) + enable_padding(length=L):
 * the content is cut to L − (number of special tokens) before [CLS]/[SEP] are added, then padded
 * with the pad id (attention mask 0). The library ignores tokenizer.json's own truncation and
 * padding blocks (they say 128 for MiniLM), so we never depend on them.
 *
 * Unknown words: the words of the normalized, pre-tokenized prompt that map to [UNK], or, when the
 * package ships vocabulary.json (the words of the training captions), words not in it. They are
 * shown to the user, never dropped.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFormatError } from './errors';
import { matchPythonTokenizers } from './tokenizer-parity';
import type { PromptAnalysis } from './types';

export interface EncodedPrompt {
  /** Exactly maxLength ids. */
  ids: number[];
  attentionMask: number[];
  /** Tokens before padding (with special tokens). */
  tokens: string[];
  truncated: boolean;
}

export class PromptTokenizer {
  private readonly tok: Tokenizer;
  private readonly padId: number;
  private readonly unkId: number | undefined;
  private readonly vocabulary: Set<string> | null;
  private readonly specialPrefix: number[];
  private readonly specialSuffix: number[];

  constructor(tokenizerJson: unknown, readonly maxLength: number, vocabulary?: readonly string[]) {
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null) {
      throw new ModelFormatError('tokenizer.json is not a JSON object: re-export the model package.', { file: 'tokenizer.json' });
    }
    try {
      this.tok = new Tokenizer(tokenizerJson, {});
      // Added tokens with `normalized: true` were already matched through the library's own
      // normaliser by the constructor (T5 / umT5 have none).
      matchPythonTokenizers(this.tok);
    } catch (e) {
      throw new ModelFormatError(`tokenizer.json could not be read by @huggingface/tokenizers (${(e as Error).message}): re-export the model package.`, { file: 'tokenizer.json' });
    }
    if (!Number.isInteger(maxLength) || maxLength < 2) throw new ModelFormatError(`manifest.text.maxLength ${maxLength} is too small.`, { field: 'text.maxLength' });
    const json = tokenizerJson as { padding?: { pad_id?: number } | null };
    this.padId = json.padding?.pad_id ?? this.tok.token_to_id('[PAD]') ?? 0;
    this.unkId = this.tok.model?.unk_token_id;
    this.vocabulary = vocabulary ? new Set(vocabulary.map((w) => w.toLowerCase())) : null;
    // The special tokens the post-processor adds around a single sequence ([CLS] … [SEP] for BERT):
    // found by encoding a probe with and without them.
    const probe = 'a';
    const bare = this.tok.encode(probe, { add_special_tokens: false }).ids;
    const full = this.tok.encode(probe, { add_special_tokens: true }).ids;
    const at = indexOfRun(full, bare);
    this.specialPrefix = at < 0 ? [] : full.slice(0, at);
    this.specialSuffix = at < 0 ? [] : full.slice(at + bare.length);
    if (this.specialPrefix.length + this.specialSuffix.length >= maxLength) {
      throw new ModelFormatError(`manifest.text.maxLength ${maxLength} leaves no room for text after the special tokens.`, { field: 'text.maxLength' });
    }
  }

  encode(text: string): EncodedPrompt {
    const content = this.tok.encode(text, { add_special_tokens: false });
    const room = this.maxLength - this.specialPrefix.length - this.specialSuffix.length;
    const truncated = content.ids.length > room;
    const body = content.ids.slice(0, room);
    const ids = [...this.specialPrefix, ...body, ...this.specialSuffix];
    const tokens = [
      ...this.specialPrefix.map((id) => this.tok.id_to_token(id) ?? ''),
      ...content.tokens.slice(0, room),
      ...this.specialSuffix.map((id) => this.tok.id_to_token(id) ?? ''),
    ];
    const attentionMask = ids.map(() => 1);
    while (ids.length < this.maxLength) {
      ids.push(this.padId);
      attentionMask.push(0);
    }
    return { ids, attentionMask, tokens, truncated };
  }

  /** input_ids and attention_mask [B, L] as int64, ready for the text encoder. */
  encodeBatch(texts: readonly string[]): { inputIds: BigInt64Array; attentionMask: BigInt64Array; encoded: EncodedPrompt[] } {
    const L = this.maxLength;
    const inputIds = new BigInt64Array(texts.length * L);
    const attentionMask = new BigInt64Array(texts.length * L);
    const encoded = texts.map((t) => this.encode(t));
    encoded.forEach((e, b) => {
      for (let i = 0; i < L; i++) {
        inputIds[b * L + i] = BigInt(e.ids[i]!);
        attentionMask[b * L + i] = BigInt(e.attentionMask[i]!);
      }
    });
    return { inputIds, attentionMask, encoded };
  }

  /** Words as the tokenizer sees them (normalized: lower-cased, accents stripped for BERT). */
  words(text: string): string[] {
    const normalized = this.tok.normalizer ? this.tok.normalizer.normalize(text) : text;
    const words = this.tok.pre_tokenizer ? this.tok.pre_tokenizer.pre_tokenize(normalized) : normalized.split(/\s+/);
    // @huggingface/tokenizers' Metaspace (T5/umT5) returns the whole prompt as one string with "▁"
    // for spaces, ignoring its `split: true`: split at each "▁", keeping the mark on the word as the
    // model's pieces have it ("▁red").
    const split = words.flatMap((w) => (w.includes('\u2581') ? w.split(/(?=\u2581)/u) : [w]));
    return split.filter((w) => w.length > 0 && w !== '\u2581');
  }

  /** Words that are [UNK] to the tokenizer or outside the training vocabulary, each once, in order. */
  unknownWords(text: string): string[] {
    const out: string[] = [];
    for (const word of this.words(text)) {
      // SentencePiece-style pre-tokenizers (Metaspace: T5/umT5) mark a word start with "▁": not shown.
      const shown = word.replace(/^\u2581+/u, '');
      if (shown.length === 0 || out.includes(shown)) continue;
      const pieces = this.tok.model ? this.tok.model.encode([word]) : [word];
      // Any word the tokenizer turns into [UNK] is reported (symbols such as ⟁ or emoji included).
      // A Unigram model (T5) returns a piece it has no id for as the piece itself, which encodes as
      // the unknown id: so a piece without an id counts as unknown too.
      const isUnk = this.unkId !== undefined && pieces.some((p) => (this.tok.token_to_id(p) ?? this.unkId) === this.unkId);
      // Punctuation alone is never "outside the vocabulary" (the vocabulary lists words only).
      const isWordLike = /[\p{L}\p{N}\p{So}]/u.test(shown);
      const outsideVocabulary = isWordLike && this.vocabulary !== null && !this.vocabulary.has(shown);
      if (isUnk || outsideVocabulary) out.push(shown);
    }
    return out;
  }

  /** The analysis of `text` as given (the engine adds the colour lexicon's readings). */
  analyze(text: string): Omit<PromptAnalysis, 'colourNames' | 'contrastReading'> {
    const e = this.encode(text);
    return { tokens: e.tokens, unknownWords: this.unknownWords(text), truncated: e.truncated };
  }
}

function indexOfRun(haystack: number[], needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
