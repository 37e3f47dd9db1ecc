"""Thousands of colour names for the rich captions, each labelled with the world colour it looks like.

A prompt may name a colour in words the catalogue never lists ("cobalt", "tangerine"). The frozen
text encoder knows many of them only loosely; the denoiser learns to read them when its training
captions use many such names. The names come from color-name-list's curated "best of" list
(meodai/color-name-list, MIT, an npm dev dependency of this repo); each is labelled with the nearest
of the world's twelve colours in CIELAB, and kept only when that choice is clear.

    python -m vidlet_train.world.colour_names     # rewrites colour_names.json from node_modules

The table is committed (training never reads node_modules); `training/tests/test_colour_names.py`
checks that it is what this module writes and that it holds no held-out paraphrase word.
"""
from __future__ import annotations

import json
import os
import re

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "colour_names.json")
SOURCE = os.path.join(HERE, "..", "..", "..", "node_modules", "color-name-list", "dist", "colornames.bestof.json")
# The nearest world colour must be clearly nearer than the second (CIELAB distance ratio): names
# between two colours (olive, teal) would teach the denoiser a coin toss.
CLEAR_MARGIN = 0.7


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in 0..1 [..., 3] -> CIELAB (D65) [..., 3]: the standard formulas, a dozen lines instead
    of a colour-science dependency for training."""
    c = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def nearest_colour(hex_rgb: str, palette: dict[str, tuple]) -> tuple[str, float]:
    """-> (the world colour nearest in CIELAB, distance to it / distance to the second nearest)."""
    h = hex_rgb.lstrip("#")
    lab = srgb_to_lab(np.array([int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]))
    names = list(palette)
    d = np.sqrt(((srgb_to_lab(np.array([palette[n] for n in names])) - lab) ** 2).sum(-1))
    order = np.argsort(d)
    return names[order[0]], float(d[order[0]] / max(d[order[1]], 1e-9))


def world_colour_words() -> dict[str, str]:
    """Each word the captions use for a world colour (catalogue and rich extras, modifiers such as
    "bright" left out) -> that colour."""
    from .captions import colour_words
    from .catalog import COLOUR_MODIFIERS, COLOURS
    out = {w: c for c in COLOURS for name in colour_words(c) for w in name.split() if w not in COLOUR_MODIFIERS}
    out.update({"grey": "gray", "dark": "black"})
    return dict(sorted(out.items()))


def build_table(rows: list[dict], palette: dict[str, tuple], reserved: set[str], heldout: set[str],
                colour_of_word: dict[str, str]) -> dict[str, list[str]]:
    """colour -> names. A name is kept when it is one or two plain words, none of them a word the
    captions use for something other than colour (`reserved`: "star", "left", "ring"...), none containing a
    held-out paraphrase word (even inside a longer word, for those of 4+ letters: "aquamarine" would
    show the encoder "aqua"),
    and its nearest world colour is clear. A name holding a catalogue colour word ("atomic orange")
    must be labelled that colour: "green ooze" drawn yellow would contradict what "green" means in
    every other caption. Two-word names need such a word: the rest are mostly whimsy ("fatal fury")."""
    table: dict[str, set[str]] = {c: set() for c in palette}
    long_heldout = {h for h in heldout if len(h) >= 4}  # shorter ones ("sky") sit inside unrelated words
    for row in rows:
        name = row["name"].lower().strip()
        if not re.fullmatch(r"[a-z]{3,}( [a-z]{3,})?", name):
            continue
        words = name.split()
        if any(w in reserved or w in heldout for w in words) or any(h in w for w in words for h in long_heldout):
            continue
        named = {colour_of_word[w] for w in words if w in colour_of_word}
        if len(words) == 2 and not named:
            continue
        colour, ratio = nearest_colour(row["hex"], palette)
        if ratio < CLEAR_MARGIN and named <= {colour}:
            table[colour].add(name)
    return {c: sorted(ns) for c, ns in table.items()}


def load() -> dict[str, list[str]]:
    with open(TABLE) as f:
        return json.load(f)["names"]


def write(source: str = SOURCE, out: str = TABLE) -> dict:
    from ..paraphrases import heldout_words
    from .captions import training_vocabulary
    from .catalog import COLOURS
    rows = json.load(open(source))
    palette = {c: rgb for c, (rgb, _) in COLOURS.items()}
    colour_of_word = world_colour_words()
    reserved = set(training_vocabulary(with_colour_names=False)) - set(colour_of_word)
    heldout = {w.lower() for w in heldout_words()}
    doc = {"source": "color-name-list 14.51.0, dist/colornames.bestof.json (MIT, meodai/color-name-list)",
           "rule": f"nearest world colour in CIELAB, kept when nearer than {CLEAR_MARGIN} x the second; "
                   "no reserved caption word, no held-out paraphrase word (as a substring)",
           "names": build_table(rows, palette, reserved, heldout, colour_of_word)}
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return doc


if __name__ == "__main__":
    d = write()
    print({c: len(ns) for c, ns in d["names"].items()}, sum(len(ns) for ns in d["names"].values()))
