"""The engine's tokenizer (src/engine/tokenizer.ts through `npx tsx tests/engine_tokenize.ts`) on a real
SentencePiece Unigram model with umT5's nmt_nfkc normalisation (vidlet_convert/spm_fixture.py; umT5's own
spiece.model cannot be downloaded here), in both T5 tokenizer.json layouts, gives exactly the ids and
attention mask of
* transformers' call as WanPipeline makes it, on the tokenizer.json a converted package ships
  (package.write_tokenizer);
* Python `tokenizers` on the publisher's tokenizer.json itself (the `Precompiled`, `Strip`, `Replace`,
  `WhitespaceSplit` and `Metaspace` steps as written),
for hand-written prompts on what the charsmap rewrites and random strings from those Unicode ranges."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time

import pytest

from vidlet_convert.package import write_tokenizer
from vidlet_convert.spm_fixture import normalizer_types, random_text, tokenizer_folders, train_spiece

HERE = os.path.dirname(__file__)
REPO = os.path.dirname(os.path.dirname(HERE))
L = 64
N_RANDOM = 400
HAND = [
    "", " ", "   ", "a red ball jumps on the beach", "A Red CAT  runs", "shoe product shot, fast!",
    "Cinematic drone shot of a neon city at night, 4K, HDR", "SALE! 50% off — summer collection ☀️ #ad",
    "ＡＢＣ１２３ ｆｕｌｌ－ｗｉｄｔｈ ＲＥＤ", "Ｈｅｌｌｏ，　ｗｏｒｌｄ！～", "ﬁne ﬂowers ﬀ ﬃ ﬄ ﬅ", "① ⑳ ™ ½ ¾ ㎏ ㎞ ℃ Ⅻ ⅷ ㍻",
    "x² H₂O 𝐁𝐨𝐥𝐝 𝓈𝒸𝓇𝒾𝓅𝓉 ⓐⓑⓒ ⒜ ⑴", "a\u00a0red\u2009ball\u3000jumps\u202fon\u2007the\u205fbeach\u1680",
    "tab\there\nnewline\r\nend\x0bvt\x0cff", "many     spaces   here", "  leading", "trailing  ", "\t\n lead and trail \n\t",
    "cafe\u0301 café CAFE\u0301 Ａ\u0301 n\u0303 ñ a\u0308\u0301", "Straße GROSS ß ẞ", "İstanbul ıi İ̇", "Καλημέρα κόσμε ΐ ϓ",
    "Привет, мир й и\u0306", "東京の夜景 红色的圆 한국어 문장 ᄀ ᅡ ᆨ", "ｶﾀｶﾅ ｶﾞｷﾞ ﾊﾟﾋﾟ ｰ ｯ ﾞﾟ", "ガギ ハ\u309a カ\u3099",
    "👩\u200d👩\u200d👧 ❤️ ☺︎ 👍🏽 🇯🇵 🏳️\u200d🌈 1️⃣", "zero\u200bwidth\u200cjoin\u200dx\ufeffy\u2060z\u00adw",
    "ctrl\x01\x07\x1b\x7f\x85\x9fchars", "next\x85line \x85", "bidi\u200e\u200f\u202a\u202e\u2066x", "～ wave ~ 〜",
    "‥ … ‼ ⁇ ′″ ‐ ‑ ‒ – —", "Ǆ ǅ ǆ Ĳ ŉ ſ", "ﷺ ﻻ ﺍ", "हिन्दी क्षत्रिय", "ไทย ภาษา", "\ufffd\ufffc\uffff",
    "camera pans left " * 12, "x" * 300, "ｶﾞ" * 80, "a\u00a0" * 70,
]


def require_tools():
    """A missing tool fails the test (never a skip): the comparison is the test."""
    if shutil.which("npx") is None or not os.path.isdir(os.path.join(REPO, "node_modules", "tsx")):
        pytest.fail("needs npx and the project's node_modules (tsx, @huggingface/tokenizers): run `npm install` "
                    "at the repository root")
    try:
        import sentencepiece  # noqa: F401
    except ImportError:
        pytest.fail("needs sentencepiece (convert/requirements.txt): run convert/setup.sh")


def prompts() -> list[str]:
    rng = random.Random(7)
    return HAND + [random_text(rng, rng.randint(1, 80)) for _ in range(N_RANDOM)]


@pytest.fixture(scope="module")
def tokenizers_made(tmp_path_factory):
    """{layout: (publisher's tokenizer folder, package dir, raw dir)}: a spiece.model trained with nmt_nfkc on
    20,000 generated lines, its two tokenizer folders, and for each a package dir (write_tokenizer) and a
    dir with the publisher's tokenizer.json unchanged, both with a manifest for engine_tokenize.ts."""
    require_tools()
    tmp = str(tmp_path_factory.mktemp("spm"))
    rng = random.Random(1)
    corpus = [random_text(rng, rng.randint(5, 60)) for _ in range(20000)] + HAND[3:8]
    train_spiece(tmp, corpus, 8000, normalization_rule_name="nmt_nfkc")
    made = {}
    for name, folder in tokenizer_folders(tmp, tmp).items():
        pkg, raw = os.path.join(tmp, name + "-pkg"), os.path.join(tmp, name + "-raw")
        for d in (pkg, raw):
            os.makedirs(d)
            with open(os.path.join(d, "manifest.json"), "w") as f:
                json.dump({"text": {"tokenizer": "tokenizer.json", "maxLength": L}}, f)
        write_tokenizer(os.path.join(folder, "tokenizer.json"), os.path.join(pkg, "tokenizer.json"),
                        pad_id=0, pad_token="<pad>")
        shutil.copy(os.path.join(folder, "tokenizer.json"), raw)
        made[name] = (folder, pkg, raw)
    return made


def engine(pkg: str, texts: list[str], tmp_path) -> list[dict]:
    path = tmp_path / f"prompts-{os.path.basename(pkg)}.json"
    path.write_text(json.dumps(texts))
    res = subprocess.run(["npx", "tsx", os.path.join(HERE, "engine_tokenize.ts"), pkg, str(path)], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout)


def differences(texts, got, want_ids, want_masks, normalize) -> list[str]:
    return [f"{t!r} (normalised {normalize(t)!r}): engine {g['ids'][:16]}…, Python {w[:16]}…"
            for t, g, w, m in zip(texts, got, want_ids, want_masks) if g["ids"] != w or g["mask"] != m]


@pytest.mark.parametrize("layout", ["transformers", "converter"])
def test_engine_tokenizer_matches_python_on_precompiled(tokenizers_made, layout, tmp_path):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    folder, pkg, raw = tokenizers_made[layout]
    texts = prompts()
    published = json.load(open(os.path.join(raw, "tokenizer.json"), encoding="utf-8"))
    shipped = json.load(open(os.path.join(pkg, "tokenizer.json"), encoding="utf-8"))
    # without the charsmap this would test NFKC, not the Precompiled normaliser
    assert "Precompiled" in normalizer_types(published) and "Precompiled" in normalizer_types(shipped)
    assert ("Strip" in normalizer_types(published)) == (layout == "converter")  # the two layouts really differ
    ref = AutoTokenizer.from_pretrained(folder)
    assert "Precompiled" in normalizer_types(json.loads(ref.backend_tokenizer.to_str()))
    started = time.time()
    got_pkg, got_raw = engine(pkg, texts, tmp_path), engine(raw, texts, tmp_path)
    engine_s = time.time() - started

    # WanPipeline._get_t5_prompt_embeds' call
    want = ref(texts, padding="max_length", max_length=L, truncation=True, add_special_tokens=True,
               return_attention_mask=True)
    bad = differences(texts, got_pkg, want["input_ids"], want["attention_mask"],
                      ref.backend_tokenizer.normalizer.normalize_str)
    assert not bad, f"{len(bad)} of {len(texts)} prompts differ from transformers:\n" + "\n".join(bad[:10])

    same_file = Tokenizer.from_file(os.path.join(raw, "tokenizer.json"))
    same_file.enable_truncation(L)
    same_file.enable_padding(length=L, pad_id=0, pad_token="<pad>")
    enc = same_file.encode_batch(texts)
    bad = differences(texts, got_raw, [e.ids for e in enc], [e.attention_mask for e in enc],
                      same_file.normalizer.normalize_str)
    assert not bad, (f"{len(bad)} of {len(texts)} prompts differ from Python tokenizers on the same file:\n"
                     + "\n".join(bad[:10]))

    # the prompts exercise the charsmap and the length limit, and the vocabulary tells the results apart
    rewritten = sum(ref.backend_tokenizer.normalizer.normalize_str(t) != t for t in texts)
    full = sum(all(mask) for mask in want["attention_mask"])
    distinct = len({tuple(ids) for ids in want["input_ids"]})
    print(f"\n{layout}: {len(texts)} prompts identical ({rewritten} rewritten by the charsmap, {full} filling "
          f"L={L}, {distinct} distinct id rows; vocabulary {ref.backend_tokenizer.get_vocab_size()}); "
          f"engine {engine_s:.1f} s for both files")
    assert rewritten >= N_RANDOM // 2 and full >= 4 and distinct >= len(texts) - 5
