"""The prompt's contrast reading (the package's `text.contrast`, contrast.json): the prompt with its
object nouns replaced by one neutral noun. Contrast guidance adds w3 · (v(prompt) − v(contrast
reading)) to the guided velocity, amplifying what the object noun alone adds (guidance.py; Wu & De la
Torre, "Contrastive Prompts", 2023, use the same difference of two prompts that differ in one
attribute). The embedded DiT hears colour and motion words far more than shape words
(checkpoints/word-use/), so this is aimed at shape.

The same rule as src/engine/prompt-contrast.ts; tests/fixtures/prompt-contrast-cases.json holds the
cases both must agree on. A word's edge is any character that is not a Unicode letter or digit
(JavaScript's \\b sees only ASCII, so neither side uses it), and the words of a phrase are separated
by spaces, tabs or one hyphen; case is matched in ASCII only (the words are lower-case ASCII, and the
two languages fold other letters differently). No plural forms: "crosses" is more often a verb than two crosses.
"""
from __future__ import annotations

import json
import re

NEUTRAL = "shape"
# shape words whose everyday sense is not an object ("in case", "plus", "the present"): left out
AMBIGUOUS = frozenset({"case", "chest", "delta", "mobile", "plus", "present"})
# not after / before a letter or digit of any script: [^\W_] is Python's [\p{L}\p{N}]
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![^\W_])", r"(?![^\W_])"


def words() -> list[str]:
    """The world's shape nouns (catalogue names, synonyms and rich-caption words), ambiguous ones left out."""
    from .captions import shape_words
    from .catalog import SHAPES
    return sorted({w for s in SHAPES for w in shape_words(s)} - AMBIGUOUS)


def _any_case(word: str) -> str:
    """[hH][eE]…: ASCII case only, where re.IGNORECASE would also fold "ı" to "i" and JavaScript's /i not."""
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def pattern(nouns: list[str]) -> re.Pattern:
    """Any of `nouns` (lower-case ASCII) as a whole word or phrase, longest first, in any case."""
    alts = [r"(?:[ \t]+|-)".join(map(_any_case, n.split(" "))) for n in sorted(nouns, key=lambda n: (-len(n), n))]
    return re.compile(_EDGE_BEFORE + "(?:" + "|".join(alts) + ")" + _EDGE_AFTER)


def contrast_prompt(text: str, table: dict) -> str | None:
    """`text` with each object noun replaced by the neutral noun; None when it names none."""
    out, n = pattern(table["words"]).subn(table["neutral"], text)
    return out if n else None


def table(path: str) -> dict:
    """A package's contrast.json: {"neutral": word, "words": [lower-case words or phrases]}."""
    with open(path) as f:
        d = json.load(f)
    return {"neutral": d["neutral"], "words": d["words"]}


def write(out: str) -> dict:
    doc = {"rule": "src/engine/prompt-contrast.ts (training/vidlet_train/world/prompt_contrast.py)",
           "neutral": NEUTRAL, "words": words()}
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return doc
