"""The prompt colour lexicon (world/prompt_lexicon.py): the shared cases (the engine's
src/engine/prompt-lexicon.ts passes the same file), the shipped package's lexicon.json is what the
module writes, its labels follow the rules, and evaluate reads prompts through it."""
import json
import os

import pytest

from vidlet_train.world.captions import training_vocabulary
from vidlet_train.world.catalog import COLOURS
from vidlet_train.world.colour_names import world_colour_words
from vidlet_train.world.prompt_lexicon import SOURCE, build, rewrite, write

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CASES = os.path.join(ROOT, "tests", "fixtures", "prompt-lexicon-cases.json")
PACKAGE = os.path.join(ROOT, "public", "models", "vidlet-tiny")


def _cases():
    d = json.load(open(CASES))
    return [(d["lexicon"], c) for c in d["cases"]]


@pytest.mark.parametrize("lexicon,case", _cases(), ids=lambda x: x.get("prompt", "")[:40] if isinstance(x, dict) and "prompt" in x else "")
def test_shared_cases(lexicon, case):
    text, subs = rewrite(case["prompt"], lexicon["names"], lexicon["colourWords"])
    assert (text, subs) == (case["text"], case["substitutions"]), case.get("why")


def test_shipped_lexicon_is_what_the_module_writes(tmp_path):
    # color-name-list is a dev dependency (package.json): `npm ci` installs it; missing is a failure
    assert os.path.exists(SOURCE), f"{SOURCE} is missing: run npm ci at the repo root"
    manifest = json.load(open(os.path.join(PACKAGE, "manifest.json")))
    assert manifest["text"]["lexicon"] == "lexicon.json"
    out = tmp_path / "lexicon.json"
    write(str(out))
    assert json.load(open(out)) == json.load(open(os.path.join(PACKAGE, "lexicon.json")))


def test_build_rules():
    palette = {c: rgb for c, (rgb, _) in COLOURS.items()}
    colours = world_colour_words()
    rows = [{"name": "Tangerine", "hex": "#ff9300"},     # clearly orange
            {"name": "Teal", "hex": "#008080"},          # between cyan and gray: left out
            {"name": "Pitch Black", "hex": "#483c41"},   # several words: its colour word is its nearest
            {"name": "Green Ooze", "hex": "#d8d000"},    # says green, looks yellow: left out
            {"name": "Fatal Fury", "hex": "#da321c"},    # several words, no colour word: left out
            {"name": "Drifting", "hex": "#ff0000"},      # an -ing word is a verb in a prompt
            {"name": "Star", "hex": "#ffe500"},          # a word the captions use for a shape
            {"name": "Red", "hex": "#ff0000"},           # the world's own word
            {"name": "Dr. Pepper", "hex": "#800000"}]    # not plain words
    reserved = {w for t in training_vocabulary(with_colour_names=False) for w in t.split()} - set(colours)
    assert build(rows, palette, colours, reserved) == {"pitch black": "black", "tangerine": "orange"}


def test_shipped_labels():
    d = json.load(open(os.path.join(PACKAGE, "lexicon.json")))
    assert d["colourWords"] == world_colour_words()
    names = d["names"]
    assert len(names) > 3000 and set(names.values()) == set(COLOURS)
    assert not set(names) & set(d["colourWords"])
    for name, colour in names.items():
        named = {d["colourWords"][w] for w in name.split() if w in d["colourWords"]}
        assert named <= {colour}, (name, colour)


def test_evaluate_reads_prompts_through_the_lexicon():
    from vidlet_train.evaluate import Package
    pkg = Package.__new__(Package)
    pkg.lexicon = ({"tangerine": "orange"}, {"orange": "orange", "blue": "blue"})
    seen = []

    def tokenizer(prompts):
        seen.append(prompts)
        raise _Stop  # what the text encoder would read is all this test needs

    pkg.tok = tokenizer
    with pytest.raises(_Stop):
        pkg.encode_text(["a tangerine star on blue"])
    assert seen == [["an orange star on blue"]]


class _Stop(Exception):
    pass
