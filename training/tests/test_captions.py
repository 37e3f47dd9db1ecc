"""Training captions (template + rich) and the held-out paraphrase set: the rich generator stays
truthful and within the text encoder's 64 tokens, never uses a held-out word, and the paraphrase
prompts (tests/fixtures/eval-paraphrases.json) are what vidlet_train.paraphrases writes, each with a
held-out word, none in the template wording, with correct judge fields."""
import io
import json
import os
import random
import re
import zipfile

import numpy as np
import pytest

from vidlet_train.world import recaption, sample_clip_spec, training_vocabulary
from vidlet_train.world.captions import any_colour_words, caption_scenes, colour_words, shape_words
from vidlet_train.world.catalog import (ARTICLES, BACKGROUNDS, COLOURS, MOTIONS, OPENERS, RICH_CAMERA, RICH_MOTIONS,
                                        SHAPES)
from vidlet_train.world.sample import direction_of

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures")
WORD = re.compile(r"[a-z0-9]+")


def _load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def _heldout() -> set[str]:
    d = _load("paraphrase-heldout-words.json")
    return {w for k, ws in d.items() if k != "description" for w in ws}


def _words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def _captions(n: int, seed: int, **kw) -> list:
    rng = random.Random(seed)
    return [sample_clip_spec(rng, 16, n_scenes=2 if rng.random() < 0.15 else 1, two_object_prob=0.25, **kw)
            for _ in range(n)]


def test_heldout_list_is_single_lowercase_words_outside_the_training_vocabulary():
    held = _heldout()
    assert len(held) >= 40
    assert all(re.fullmatch(r"[a-z]+", w) for w in held), sorted(w for w in held if not re.fullmatch(r"[a-z]+", w))
    vocab = set(training_vocabulary())
    assert not held & vocab, sorted(held & vocab)


def test_rich_captions_never_use_heldout_words_and_stay_in_the_vocabulary():
    held, vocab = _heldout(), set(training_vocabulary())
    specs = _captions(20000, 11, template_prob=0.0) + _captions(2000, 12)
    for s in specs:
        for text in [s.caption] + s.scene_captions:
            w = _words(text)
            assert not w & held, (text, sorted(w & held))
            assert w <= vocab, (text, sorted(w - vocab))


def test_vocabulary_keeps_the_template_words():
    shipped = os.path.join(os.path.dirname(__file__), "..", "..", "public", "models", "vidlet-tiny", "vocabulary.json")
    vocab = set(training_vocabulary())
    if os.path.exists(shipped):
        old = json.load(open(shipped))
        old = old["words"] if isinstance(old, dict) else old
        assert set(old) <= vocab, sorted(set(old) - vocab)
    assert {"zips", "leftward", "bg", "slowly", "cut"} <= vocab


def test_captions_fit_the_text_encoder():
    from vidlet_train.text_encoder import MAX_LENGTH, Tokenizer
    tok = Tokenizer().tok
    tok.no_truncation()
    tok.no_padding()
    rng = random.Random(5)
    texts = []
    for i in range(3000):  # the long cases over-represented: two scenes, two objects
        s = sample_clip_spec(rng, 16, n_scenes=2 if i % 3 == 0 else 1, two_object_prob=0.5)
        texts += [s.caption, recaption(rng, s)]
    lengths = [len(e.ids) for e in tok.encode_batch(texts)]  # [CLS] ... [SEP]
    worst = int(np.argmax(lengths))
    assert lengths[worst] <= MAX_LENGTH, (lengths[worst], texts[worst])


def test_template_style_is_the_original_wording():
    # the first captions of random.Random(0) under the original generator (before rich captions)
    rng = random.Random(0)
    got = [sample_clip_spec(rng, n_scenes=2, style="template").caption for _ in range(2)]
    assert got == [
        "a promo clip of a black bottle slides in from the top over a crimson and blue checkerboard Then cut to "
        "one blue package floats upward over a white and yellow gradient background",
        "an animation of over plain black, the blue phone falls Then cut to over a white and pink gradient "
        "background, the orange bottle moves right"]
    # and the held-out template prompts still come out of the judge's generator unchanged
    from vidlet_train.judge import eval_prompts
    assert eval_prompts(200) == _load("eval-prompts.json")


def _template_regex() -> re.Pattern:
    """The template wording of one object on a solid background (judge.eval_prompts, style="template")."""
    alt = lambda xs: "(?:" + "|".join(re.escape(x) for x in sorted(set(xs), key=len, reverse=True)) + ")"  # noqa: E731
    colour = alt([w for _, syn in COLOURS.values() for w in syn])
    subject = rf"{alt(ARTICLES)} {colour} {alt([w for ws in SHAPES.values() for w in ws])} " \
              rf"{alt([p for ps in MOTIONS.values() for p in ps])}"
    bg = "(?:" + "|".join(re.escape(p).replace(re.escape("{c}"), colour) for p in BACKGROUNDS["solid"]) + ")"
    opener = alt([o for o in OPENERS if o])
    return re.compile(rf"(?:{opener})?(?:{subject} {bg}|{bg}, {subject})", re.I)


def test_template_regex_matches_template_captions():
    rx = _template_regex()
    from vidlet_train.judge import eval_prompts
    assert all(rx.fullmatch(p["prompt"]) for p in eval_prompts(300, seed=1))


def test_rich_captions_are_truthful_and_varied():
    rng = random.Random(3)
    punctuation, openings = set(), set()
    cased = {"upper": 0, "lower": 0}
    for _ in range(3000):
        s = sample_clip_spec(rng, 16, n_scenes=2 if rng.random() < 0.2 else 1, template_prob=0.0)
        text = s.caption.lower()
        words = _words(text)
        assert len(s.scene_captions) == len(s.scenes)
        if len(s.scenes) > 1:
            assert "cut to" in text
        for scene, piece in zip(s.scenes, s.scene_captions):
            piece = piece.lower()
            padded = " " + " ".join(WORD.findall(piece)) + " "
            for o in scene.objects:
                assert any(f" {w} " in padded for w in any_colour_words(o.colour)), (piece, o)
                assert any(f" {w} " in padded for w in shape_words(o.shape)), (piece, o)
                verbs = {v for e in RICH_MOTIONS[o.motion] for v in e[:2]}
                assert any(f" {v} " in padded for v in verbs), (piece, o)
            assert any(f" {w} " in padded for w in any_colour_words(scene.bg_colour)), (piece, scene.bg_colour)
            if scene.background != "solid":
                assert any(f" {w} " in padded for w in any_colour_words(scene.bg_colour2)), (piece, scene.bg_colour2)
                kind = {"gradient": "gradient", "stripes": "stripe", "checker": "checker"}[scene.background]
                assert kind in piece, (piece, scene.background)
            if scene.camera != "none":
                assert "camera" in piece and any(c[0].split()[-1] in piece for c in RICH_CAMERA[scene.camera])
            else:
                assert "camera" not in piece
        punctuation.add(re.sub(r"[^,.:;!\-]", "", text))
        openings.add(text.split()[0])
        cased["upper"] += s.caption.isupper()
        cased["lower"] += s.caption == text
        assert not re.search(r"\ba [aeiou]", text), text  # "an orange", never "a orange"
        assert words
    assert len(punctuation) > 200 and len(openings) > 80, (len(punctuation), len(openings))
    assert cased["upper"] > 50 and cased["lower"] > 500, cased


def test_rich_is_the_default_with_some_template_wording():
    rx = _template_regex()
    rng = random.Random(8)
    caps = []
    while len(caps) < 2000:
        s = sample_clip_spec(rng)
        if len(s.scenes[0].objects) == 1 and s.scenes[0].background == "solid":
            caps.append(s.caption)
    share = sum(bool(rx.fullmatch(c)) for c in caps) / len(caps)
    assert 0.25 < share < 0.4, share
    with pytest.raises(ValueError):
        caption_scenes(rng, sample_clip_spec(rng).scenes, style="fancy")


def test_recaption_rewords_the_same_clip():
    rng = random.Random(4)
    s = sample_clip_spec(rng, n_scenes=2)
    texts = {recaption(rng, s) for _ in range(30)}
    assert len(texts) > 20 and all("cut to" in t.lower() for t in texts)


# ------------------------------------------------------------------------------ paraphrases


def test_paraphrase_fixture_is_what_the_generator_writes():
    from vidlet_train.paraphrases import paraphrase_prompts
    assert _load("eval-paraphrases.json") == paraphrase_prompts()


def test_paraphrases_fields_and_balance():
    prompts = _load("eval-paraphrases.json")
    template = _load("eval-prompts.json")
    assert len(prompts) >= 120
    assert [set(p) for p in prompts] == [set(template[0])] * len(prompts)
    assert len({p["id"] for p in prompts}) == len(prompts)
    assert not {p["id"] for p in prompts} & {p["id"] for p in template}
    assert len({p["prompt"].lower() for p in prompts}) == len(prompts)
    for p in prompts:
        assert p["colour"] in COLOURS and p["background"] in COLOURS and p["colour"] != p["background"]
        assert p["shape"] in SHAPES and p["motion"] in MOTIONS
        assert p["direction"] == direction_of(p["motion"])
        assert isinstance(p["seed"], int)
    assert {p["motion"] for p in prompts} == set(MOTIONS)
    assert {p["colour"] for p in prompts} == set(COLOURS)
    assert {p["shape"] for p in prompts} == set(SHAPES)
    assert {p["background"] for p in prompts} == set(COLOURS)


def test_paraphrases_are_held_out_wordings():
    held = _heldout()
    rx = _template_regex()
    prompts = _load("eval-paraphrases.json")
    template_prompts = {p["prompt"].lower() for p in _load("eval-prompts.json")}
    for p in prompts:
        assert _words(p["prompt"]) & held, p["prompt"]
        assert not rx.fullmatch(p["prompt"]), p["prompt"]
        assert p["prompt"].lower() not in template_prompts
    # varied: requests, fragments, capitals, punctuation
    texts = [p["prompt"] for p in prompts]
    assert sum(t.isupper() for t in texts) >= 5
    assert sum(t == t.lower() for t in texts) >= 20
    assert sum(t[-1] in ".!?" for t in texts) >= 40
    assert len(_words(" ".join(texts)) & held) >= 60


def test_paraphrase_word_lists_agree_with_the_catalogue():
    from vidlet_train.paraphrases import COLOUR_WORDS, MOTION_PHRASES, SHAPE_WORDS
    from vidlet_train.paraphrases import heldout_in
    assert set(COLOUR_WORDS) == set(COLOURS) and set(SHAPE_WORDS) == set(SHAPES) and set(MOTION_PHRASES) == set(MOTIONS)
    # a training word used by the paraphrases means the same thing it means in training
    for table, words_of in ((COLOUR_WORDS, colour_words), (SHAPE_WORDS, shape_words)):
        for name, ws in table.items():
            for w in ws:
                if not heldout_in(w):
                    assert w in words_of(name), (name, w)
                    assert not any(w in words_of(other) for other in table if other != name), (name, w)
    # every motion has held-out wordings
    assert all(any(heldout_in(f"{a} {b}") for a, b in ps) for ps in MOTION_PHRASES.values())


def test_judge_reads_the_paraphrase_file(tmp_path):
    from PIL import Image

    from vidlet_train import judge
    from vidlet_train.world import render_clips
    from vidlet_train.world.sample import ClipSpec, ObjectSpec, SceneSpec
    prompts = _load("eval-paraphrases.json")
    picked = [p for p in prompts if p["motion"] in ("right", "still")][:2]
    for p in picked:
        x0 = -0.4 if p["motion"] == "right" else 0.0
        scene = SceneSpec([ObjectSpec(p["shape"], p["colour"], p["motion"], x0, 0.0, 0.3, 0.1)], "solid",
                          p["background"], "white", "none", 16)
        v, _ = render_clips([ClipSpec([scene], p["prompt"])])
        frames = ((v[0].permute(1, 2, 3, 0).numpy() + 1) * 127.5).round().astype("uint8")
        with zipfile.ZipFile(tmp_path / f"{p['id']}.zip", "w") as z:
            for i, f in enumerate(frames):
                buf = io.BytesIO()
                Image.fromarray(f).save(buf, format="PNG")
                z.writestr(f"frame_{i:02d}.png", buf.getvalue())
    import sys
    argv = sys.argv
    sys.argv = ["judge", "--clips", str(tmp_path), "--prompts", os.path.join(FIXTURES, "eval-paraphrases.json"),
                "--out", str(tmp_path / "scores.json")]
    try:
        judge.main()
    finally:
        sys.argv = argv
    summary = json.load(open(tmp_path / "scores.json"))["summary"]
    assert summary["n"] == 2
    assert summary["colour"] == summary["background"] == summary["direction"] == 1.0
