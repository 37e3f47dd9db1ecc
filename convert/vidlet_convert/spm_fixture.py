"""Real SentencePiece Unigram models and their T5-style tokenizer.json, for testing the engine's tokenizer
on a `Precompiled` normaliser (umT5's spiece.model cannot be downloaded here).

`train_spiece` trains on generated text; `tokenizer_folders` turns the spiece.model into a tokenizer folder
the two ways T5 / umT5 files are made: transformers' own T5Tokenizer from spiece.model (Precompiled alone,
WhitespaceSplit + Metaspace), and convert_slow_tokenizer's T5Converter, the converter behind transformers 4's
T5TokenizerFast (in transformers 5.25: Precompiled, Strip, Replace in a Sequence; Metaspace alone).

python -m vidlet_convert.spm_fixture OUT.json  writes the TypeScript suite's fixture
(tests/fixtures/precompiled-tokenizer-cases.json): a tiny model with hand-written charsmap rules, each
layout's tokenizer.json and Python `tokenizers`' normalised text and ids for varied prompts.
"""
from __future__ import annotations

import json
import os
import random
import sys
import tempfile

# Code point ranges whose characters NFKC / nmt_nfkc rewrite, drop or treat as spaces, plus scripts and
# emoji whose grapheme clusters span several code points.
RANGES = [(0x20, 0x7E), (0x00, 0x1F), (0x7F, 0x9F), (0xA0, 0xFF), (0x100, 0x17F), (0x300, 0x36F), (0x370, 0x3FF),
          (0x400, 0x4FF), (0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x2000, 0x206F),
          (0x2070, 0x209F), (0x2100, 0x218F), (0x2460, 0x24FF), (0x2E80, 0x2FDF), (0x3000, 0x30FF), (0x3130, 0x318F),
          (0x3300, 0x33FF), (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xF900, 0xFAFF), (0xFB00, 0xFDFF), (0xFE00, 0xFE0F),
          (0xFE30, 0xFEFF), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF), (0x1F100, 0x1F1FF), (0x1F300, 0x1FAFF),
          (0x1F3FB, 0x1F3FF), (0x200C, 0x200D), (0xE0020, 0xE007F)]


def random_text(rng: random.Random, n: int, ranges=RANGES) -> str:
    """n code points, a third from ASCII letters and spaces (word-like runs), the rest from `ranges`."""
    out = []
    for _ in range(n):
        if rng.random() < 0.3:
            out.append(rng.choice("abcdefghijklmnopqrstuvwxyz     "))
        else:
            lo, hi = rng.choice(ranges)
            out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def train_spiece(out_dir: str, lines: list[str], vocab_size: int, **normalization) -> str:
    """spiece.model in out_dir, T5's special ids (pad 0, eos 1, unk 2, no bos); `normalization`:
    normalization_rule_name="nmt_nfkc" (SentencePiece's default, umT5's) or normalization_rule_tsv=PATH."""
    import sentencepiece as spm

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_prefix=os.path.join(out_dir, "spiece"), vocab_size=vocab_size,
        model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0,
        hard_vocab_limit=False, num_threads=1, minloglevel=2, **normalization)
    return os.path.join(out_dir, "spiece.model")


def tokenizer_folders(spiece_dir: str, out_dir: str) -> dict[str, str]:
    """{"transformers": folder, "converter": folder}, each with tokenizer.json and tokenizer_config.json
    (tokenizer_class T5Tokenizer, as the publishers' folders)."""
    from transformers import T5Tokenizer
    from transformers.convert_slow_tokenizer import T5Converter

    own = T5Tokenizer.from_pretrained(spiece_dir)
    folders = {"transformers": os.path.join(out_dir, "transformers"), "converter": os.path.join(out_dir, "converter")}
    own.save_pretrained(folders["transformers"])
    # T5Converter reads the slow tokenizer's spiece.model; add_prefix_space as T5's slow tokenizer had it
    own.vocab_file = os.path.join(spiece_dir, "spiece.model")
    own.add_prefix_space = True
    T5Tokenizer(tokenizer_object=T5Converter(own).converted()).save_pretrained(folders["converter"])
    return folders


def normalizer_types(tokenizer_json: dict) -> list[str]:
    """The normaliser's step types, Sequences flattened."""
    def walk(n):
        if not n:
            return []
        return [t for m in n["normalizers"] for t in walk(m)] if n["type"] == "Sequence" else [n["type"]]
    return walk(tokenizer_json.get("normalizer"))


# Hand-written charsmap rules (source → target code points) for the TypeScript fixture: the cases where
# the charsmap walk differs from NFKC (half-width katakana + voiced mark: one grapheme of 6 UTF-8 bytes,
# mapped code point by code point; full-width A + combining acute: a grapheme under 6 bytes whose first
# code point has a rule, replaced whole), a removed control, spaces, and a rule NFKC never applies (A → a).
RULES = [("FF76", "30AB"), ("FF9E", "3099"), ("FF76 FF9E", "30AC"), ("FF21", "41"), ("65 301", "E9"),
         ("FB01", "66 69"), ("A0", "20"), ("3000", "20"), ("7", ""), ("41", "61")]
CASES = ["", "abc", "ｶﾞ ｶ ﾞ", "Ａ\u0301 Ａ e\u0301 é", "ﬁne", "a\u00a0b\u3000c", "bell\x07ring", "ABC Abc",
         "next\x85line", "bom\ufeffhere", "  lead and trail\x85 ", "\x85", "\ufeff", "a  b   c"]
MAX_LENGTH = 24


def write_cases(out: str) -> None:
    from tokenizers import Tokenizer

    rng = random.Random(0)
    letters = "abcdefgカガ゙éfi ｶﾞＡ\u0301\u00a0\u3000\x07\x85\ufeff"
    corpus = ["".join(rng.choice(letters) for _ in range(30)) for _ in range(2000)]
    prompts = CASES + [random_text(rng, rng.randint(1, 30), [(ord(c), ord(c)) for c in letters]) for _ in range(100)]
    layouts = {}
    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tmp, "rules.tsv")
        with open(rules, "w", encoding="utf-8") as f:
            f.writelines(f"{s}\t{t}\n" for s, t in RULES)
        train_spiece(tmp, corpus, 60, normalization_rule_tsv=rules)
        for name, folder in tokenizer_folders(tmp, tmp).items():
            # the file as written (a converted package holds the pipeline's rebuilt one, package.py)
            path = os.path.join(folder, "tokenizer.json")
            ref = Tokenizer.from_file(path)
            ref.enable_truncation(MAX_LENGTH)
            ref.enable_padding(length=MAX_LENGTH, pad_id=0, pad_token="<pad>")
            cases = [{"text": p, "normalized": ref.normalizer.normalize_str(p), "ids": e.ids,
                      "attentionMask": e.attention_mask} for p, e in zip(prompts, ref.encode_batch(prompts))]
            layouts[name] = {"tokenizer": json.load(open(path, encoding="utf-8")), "cases": cases}
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"maxLength": MAX_LENGTH, "rules": RULES, "layouts": layouts}, f, ensure_ascii=False)


if __name__ == "__main__":
    write_cases(sys.argv[1])
