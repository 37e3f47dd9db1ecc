"""The dictionary colour names of the rich captions (world/colour_names.py): the committed table is
what the module writes from color-name-list, holds no held-out paraphrase word, never contradicts a
catalogue colour word, and the captions use it."""
import json
import os
import random
import re

from vidlet_train.paraphrases import heldout_words
from vidlet_train.world import sample_clip_spec
from vidlet_train.world.captions import colour_words
from vidlet_train.world.catalog import COLOURS
from vidlet_train.world.colour_names import SOURCE, TABLE, load, nearest_colour, write


def test_table_is_what_the_module_writes(tmp_path):
    # color-name-list is a dev dependency (package.json): `npm ci` installs it; missing is a failure
    assert os.path.exists(SOURCE), f"{SOURCE} is missing: run npm ci at the repo root"
    out = tmp_path / "names.json"
    write(out=str(out))
    assert json.load(open(out)) == json.load(open(TABLE))


def test_no_heldout_word_and_a_real_vocabulary():
    held = {w.lower() for w in heldout_words()}
    names = load()
    total = sum(len(v) for v in names.values())
    assert total > 500 and all(names[c] for c in COLOURS), {c: len(v) for c, v in names.items()}
    for ns in names.values():
        for n in ns:
            assert re.fullmatch(r"[a-z]+( [a-z]+)?", n), n
            for w in n.split():
                assert w not in held and not any(h in w for h in held if len(h) >= 4), n


def test_labels_agree_with_the_catalogue_words_and_the_pixels():
    palette = {c: rgb for c, (rgb, _) in COLOURS.items()}
    word_colour = {w: c for c in COLOURS for name in colour_words(c) for w in name.split()}
    for colour, ns in load().items():
        for n in ns:
            named = {word_colour[w] for w in n.split() if w in word_colour and w not in ("bright", "vivid")}
            assert named <= {colour}, (n, colour, named)
    # the rule itself: pure sRGB red is nearest the world's red, and a mid-grey is gray
    assert nearest_colour("#ff0000", palette)[0] == "red"
    assert nearest_colour("#808080", palette)[0] == "gray"


def test_rich_captions_use_dictionary_names():
    rng = random.Random(5)
    vocab = {w for ns in load().values() for n in ns for w in n.split()}
    catalogue = {w for c in COLOURS for n in colour_words(c) for w in n.split()}
    hits = sum(bool(set(re.findall(r"[a-z]+", sample_clip_spec(rng, 16, template_prob=0.0).caption.lower()))
                    & (vocab - catalogue)) for _ in range(400))
    assert 100 < hits < 350, hits
