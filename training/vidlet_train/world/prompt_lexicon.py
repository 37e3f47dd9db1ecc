"""A colour lexicon for prompts: colour names the model never learnt, replaced by the world colour
they look like before the prompt reaches the text encoder.

People name colours in thousands of ways ("tangerine", "cobalt", "jet-black", "reddish"); the
denoiser learnt twelve colours from a few hundred of them. The text encoder places many unseen names
near the right colour, but not reliably (issue #8: paraphrases lost 15 points of colour to such
words). A dictionary knows them exactly: every name of color-name-list (meodai/color-name-list, MIT,
an npm dev dependency, ~32,000 names with their sRGB values) whose nearest world colour in CIELAB is
clear. The table is written into the model package (`lexicon.json`) and the engine applies it
(src/engine/prompt-lexicon.ts); `rewrite` here is the same rule for the training-side evaluation,
and `prompt_lexicon_cases.py` holds the cases both implementations must agree on.

Rules, each because a dictionary of names is also a dictionary of ordinary words ("water", "canvas",
"create" and "sailing" are colour names there):
* names of one to three plain words. A one-word name counts when its nearest world colour is clearly
  nearer than the second (as in colour_names.py); a longer one must contain a world colour word that
  is also its nearest ("pitch black" -> black; "green ooze", nearer yellow, is left alone);
* no word the captions use for something else (a shape, a motion, "background"), and no -ing or -ed
  word (the list's "drifting", "balanced" are verbs in a prompt);
* in the prompt, a one-word name is read as a colour only where a colour stands: before another word
  that is not a function word ("an emerald star", "aqua wall behind it"), or after a preposition
  ("on tangerine", "with cobalt behind it"); never right after a colour ("a cyan water bottle");
* "-ish" words of a colour ("reddish", "bluish", "purplish") are that colour;
* "a"/"an" before a replaced name follows the new word ("an emerald star" -> "a green star").
"""
from __future__ import annotations

import argparse
import json
import os
import re

from .colour_names import CLEAR_MARGIN, HERE, nearest_colour, world_colour_words

SOURCE = os.path.join(HERE, "..", "..", "..", "node_modules", "color-name-list", "dist", "colornames.json")

# words a one-word name can never modify, and the prepositions after which a name stands for a colour
FUNCTION_WORDS = frozenset(
    "a an the one this that these those some any each every my your our his her its their "
    "to of in on at by for from into onto with within without over under above below behind beside "
    "across through around along toward towards up down off out away back left right "
    "and or but nor so then than as while when where which who that is are was were be been being "
    "it they he she we you i me us them there here not no very too just".split())
PREPOSITIONS = frozenset("on against over onto with of in into across atop upon before behind under beneath".split())

_WORD = re.compile(r"[A-Za-z]+")
_JOIN = re.compile(r"[ \t]+|-")  # what separates the words of one name ("jet-black"; " - " is a dash)


def build(rows: list[dict], palette: dict[str, tuple], colour_of_word: dict[str, str],
          reserved: set[str]) -> dict[str, str]:
    """name -> world colour, from color-name-list rows ({"name", "hex"}). `colour_of_word`: the
    world's own colour words (never rewritten); `reserved`: caption words that are not colours."""
    out: dict[str, str] = {}
    for row in rows:
        name = row["name"].lower().strip()
        if not re.fullmatch(r"[a-z]{3,}( [a-z]{3,}){0,2}", name) or name in colour_of_word:
            continue
        words = name.split()
        if any(w in reserved or w.endswith(("ing", "ed")) for w in words):
            continue
        named = {colour_of_word[w] for w in words if w in colour_of_word}
        # several words: a world colour word among them, not first ("ash grey" is read as "ash" already)
        if len(words) > 1 and (not named or words[0] in colour_of_word):
            continue
        colour, ratio = nearest_colour(row["hex"], palette)
        # a name with a world colour word only drops its modifier, so that word need only be nearest
        if named == {colour} or (not named and ratio < CLEAR_MARGIN):
            out[name] = colour
    return dict(sorted(out.items()))


def _ish(word: str, colour_words: dict[str, str]) -> str | None:
    """"reddish" -> red, "bluish" -> blue, "purplish" -> purple, "greyish" -> gray (None otherwise)."""
    if not word.endswith("ish") or len(word) < 6:
        return None
    stem = word[:-3]
    for base in (stem, stem + "e", stem[:-1] if stem[-1] == stem[-2] else ""):
        if base in colour_words:
            return colour_words[base]
    return None


def _article(written: str, word: str) -> str:
    """"a"/"an" as `word` needs it ("a orange" is a phrase no caption has), capitalised as written
    (the text encoder is uncased: only the first letter is kept for the eye)."""
    right = "an" if word[0] in "aeiou" else "a"
    return right.capitalize() if written[0].isupper() else right


def rewrite(text: str, names: dict[str, str], colour_words: dict[str, str]) -> tuple[str, list[list[str]]]:
    """-> (the prompt with colour names replaced by world colour words, [[name as written, colour]]).
    `names`: the lexicon; `colour_words`: the world's own colour words -> colour."""
    words = [(m.start(), m.end(), m.group(0).lower()) for m in _WORD.finditer(text)]
    # joined[i]: word i and word i + 1 may belong to one name
    joined = [i + 1 < len(words) and _JOIN.fullmatch(text[words[i][1]:words[i + 1][0]]) is not None
              for i in range(len(words))]

    def match(i: int) -> tuple[int, str] | None:
        """(how many words, colour) of a colour name starting at word i."""
        w = words[i][2]
        if w in colour_words:
            return None
        for n in (3, 2):
            if i + n <= len(words) and all(joined[i:i + n - 1]):
                name = " ".join(x for _, _, x in words[i:i + n])
                if name in names:
                    return n, names[name]
        ish = _ish(w, colour_words)  # before the list, which also has "greyish" (a pale grey)
        if ish or w not in names:
            return (1, ish) if ish else None
        prev = words[i - 1][2] if i > 0 and joined[i - 1] else None
        nxt = words[i + 1][2] if joined[i] else None
        if nxt in colour_words:
            return 2, colour_words[nxt]  # "lemon-yellow": the world's word says it
        if prev in colour_words or prev in names:
            return None  # "a cyan water bottle": the colour came first
        if (nxt is not None and nxt not in FUNCTION_WORDS) or prev in PREPOSITIONS:
            return 1, names[w]
        return None

    edits, subs, i = [], [], 0  # edits: (start, end, new text), in order
    while i < len(words):
        hit = match(i)
        if not hit:
            i += 1
            continue
        n, colour = hit
        start, end = words[i][0], words[i + n - 1][1]
        if i > 0 and words[i - 1][2] in ("a", "an") and text[words[i - 1][1]:start].isspace() \
                and (not edits or edits[-1][1] <= words[i - 1][0]):
            edits.append((words[i - 1][0], words[i - 1][1], _article(text[words[i - 1][0]:words[i - 1][1]], colour)))
        edits.append((start, end, colour))
        subs.append([text[start:end], colour])
        i += n
    out, pos = [], 0
    for start, end, new in edits:
        out += [text[pos:start], new]
        pos = end
    out.append(text[pos:])
    return "".join(out), subs


def table(lexicon_path: str) -> tuple[dict[str, str], dict[str, str]]:
    """(names, colour words) of a package's lexicon.json."""
    with open(lexicon_path) as f:
        d = json.load(f)
    return d["names"], d["colourWords"]


def write(out: str, source: str = SOURCE) -> dict:
    """Writes a package's lexicon.json (from color-name-list in node_modules: run after `npm install`)."""
    from .captions import training_vocabulary
    from .catalog import COLOURS
    colours = world_colour_words()
    reserved = {w for t in training_vocabulary(with_colour_names=False) for w in t.split()} - set(colours)
    with open(source) as f:
        rows = json.load(f)
    doc = {"source": f"color-name-list {_version(source)}, dist/colornames.json (MIT, meodai/color-name-list)",
           "rule": "src/engine/prompt-lexicon.ts (training/vidlet_train/world/prompt_lexicon.py)",
           "colourWords": colours,
           "names": build(rows, {c: rgb for c, (rgb, _) in COLOURS.items()}, colours, reserved)}
    with open(out, "w") as f:
        json.dump(doc, f, indent=0, separators=(",", ":"))
        f.write("\n")
    return doc


def _version(source: str) -> str:
    with open(os.path.join(os.path.dirname(source), "..", "package.json")) as f:
        return json.load(f)["version"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="the package's lexicon.json")
    ap.add_argument("--source", default=SOURCE)
    args = ap.parse_args()
    d = write(args.out, args.source)
    print(f"{len(d['names'])} names -> {args.out}")


if __name__ == "__main__":
    main()
