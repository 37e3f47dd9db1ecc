"""Write tests/fixtures/tokenizer-cases.json: varied prompts with the ids and attention mask the
Python `tokenizers` library gives for the shipped tokenizer.json, truncated/padded to maxLength.
The TypeScript tokenizer (src/engine/tokenizer.ts) is tested against it.

python -m vidlet_train.tokenizer_cases --out ../tests/fixtures/tokenizer-cases.json
"""
from __future__ import annotations

import argparse
import json
import os
import random

import tokenizers

from .text_encoder import MAX_LENGTH, Tokenizer
from .world import sample_clip_spec

HAND_WRITTEN = [
    "", " ", "   ", "\t\n", "a", "A", "red", "RED CIRCLE", "Red Circle Moves Left",
    "a red circle moves left on a blue background",
    "a crimson ball slides to the left over plain white",
    "a golden star spins on a purple to pink gradient",
    "a turquoise donut orbits, then the camera pans right.",
    "Scene 1: a green box falls. Scene 2: a violet heart rises!",
    "a red circle; a blue square & a yellow triangle...",
    "what?! no way -- a phone (smartphone) zooms in",
    "\"quoted\" 'single' `back` [brackets] {braces} <angles>",
    "e-mail: promo@vidlet.example, url: https://vidlet.example/a?b=c#d",
    "3 red circles and 12 blue squares", "1234567890", "3.14159 2,500 1/2 50% #1 $9.99",
    "the 2nd scene at 00:05", "x2 speed, 4k, 128x128, 16 frames @ 8fps",
    "café crème", "naïve façade", "Ünïcödé ÀÉÎÕÜ", "a señor's piñata", "Straße groß",
    "Ελληνικά γράμματα", "русский текст про красный круг", "日本語のテキスト", "中文字幕 红色的圆",
    "한국어 문장", "עברית", "العربية", "हिन्दी", "ไทย",
    "🔴 moves left", "a ❤️ heart", "⭐️⭐️⭐️ stars", "🚀 rocket launch 🌕", "👍🏽 thumbs", "🎉🎉🎉",
    "a red circle 🔴 on a blue 🟦 background", "emoji only: 😀😃😄😁😆😅😂🤣",
    "zero\u200bwidth", "non\u00a0breaking space", "soft\u00adhyphen", "tab\tseparated\twords",
    "multiple     spaces    between", "line\nbreaks\nhere", "mixed\r\nline endings",
    "accents: àáâãäå èéêë ìíîï òóôõö ùúûü ñ ç", "ligature ﬁ ﬂ", "fullwidth ＲＥＤ ｃｉｒｃｌｅ",
    "superscript x² and subscript H₂O", "math ∑∫√∞≈≠", "arrows ← → ↑ ↓", "™ © ®",
    "supercalifragilisticexpialidocious", "a zorblax flurbles quixotically", "qwzxv pfft brrr",
    "antidisestablishmentarianism rotates", "xylophone-shaped dodecahedron",
    "a 🦄 unicorn-shaped bottle glides right", "lowercase and UPPERCASE and MiXeD",
    "don't can't won't it's", "rock'n'roll", "hyphen-ated multi-word-compound",
    "under_score snake_case camelCase PascalCase", "a/b\\c|d", "~!@#$%^&*()_+=-`",
    ".", "...", "!!!", "???", "-", "'", "\"", "[CLS]", "[SEP] [PAD] [UNK] [MASK]",
    "##ing suffix pieces", "unbelievably unrecognisable reinterpretations",
]

WORDS = ("red blue green yellow purple pink orange cyan white black gray brown circle square triangle star heart "
         "ring arrow bottle box phone diamond cross moves left right up down spins bounces zooms orbits pulses "
         "background gradient stripes checkered camera pans slowly quickly glowing shiny matte neon pastel the a "
         "of on over and then with logo product launch sale banner").split()


def build_prompts(seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    prompts = list(HAND_WRITTEN)
    # plain captions from the world's own templates (one and two scenes)
    for i in range(120):
        prompts.append(sample_clip_spec(rng, 16, n_scenes=2 if i % 5 == 0 else 1).caption)
    # caption variants: case, punctuation, spacing
    for i in range(50):
        c = sample_clip_spec(rng, 16).caption
        v = rng.choice([c.upper(), c.title(), c + ".", c + "!!", "  " + c + "  ", c.replace(" ", "  "),
                        c.replace("a ", "A "), c + " 🎬", "\"" + c + "\"", c.replace(" on ", ", on ")])
        prompts.append(v)
    # random word salads of varied lengths, some long enough to truncate
    for i in range(50):
        n = rng.choice([3, 8, 20, 40, 61, 62, 63, 64, 80, 200])
        prompts.append(" ".join(rng.choice(WORDS) for _ in range(n)))
    # long prompts that truncate, with accents/emoji near the cut
    base = "a red circle moves left on a blue background and then "
    for k in range(1, 11):
        prompts.append(base * k + "café 🔴 end")
    prompts.append("word " * 500)
    prompts.append("🔴" * 100)
    prompts.append("é" * 300)
    seen, out = set(), []
    for p in prompts:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="../tests/fixtures/tokenizer-cases.json")
    args = ap.parse_args()
    tok = Tokenizer(MAX_LENGTH)
    prompts = build_prompts()
    from tokenizers import Tokenizer as HF
    from .text_encoder import package_dir
    raw_tok = HF.from_file(os.path.join(package_dir(), "tokenizer.json"))
    raw_tok.no_padding(); raw_tok.no_truncation()
    cases = []
    for p in prompts:
        e = tok.tok.encode(p)
        full = raw_tok.encode(p)
        cases.append({"text": p, "ids": e.ids, "attentionMask": e.attention_mask,
                      "tokens": [t for t, m in zip(e.tokens, e.attention_mask) if m],
                      "truncated": len(full.ids) > MAX_LENGTH})
    doc = {"description": "Prompts with the ids/attention mask of Python tokenizers "
                          f"{tokenizers.__version__} on public/models/vidlet-tiny/tokenizer.json with "
                          f"enable_truncation({MAX_LENGTH}) + enable_padding(length={MAX_LENGTH}, pad_id=0). "
                          "Written by training/vidlet_train/tokenizer_cases.py.",
           "tokenizer": "public/models/vidlet-tiny/tokenizer.json", "maxLength": MAX_LENGTH, "padId": 0,
           "cases": cases}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=0)
    print(f"{len(cases)} cases, {sum(c['truncated'] for c in cases)} truncated -> {args.out}")


if __name__ == "__main__":
    main()
