"""Captions for training clips, in two styles.

"template": the world's original wording ("a red star moves left on a blue background"), which the
  held-out template prompts (tests/fixtures/eval-prompts.json) are written in.
"rich": the ways people write the same clip: other verbs and adverbs ("zips right", "is moving
  leftward", "slowly slides to the left"), other word orders ("On blue, a red star moves left"),
  fragments ("red star, going left, blue bg"), openers, capitals, ALL CAPS, punctuation.

Every caption is truthful to its spec: the colour, shape and motion of each object, the background
(kind and colours), the camera move, two objects, and two scenes joined by a cut ("... then cut to
..."). The word lists live in catalog.py; the held-out paraphrase wordings
(tests/fixtures/paraphrase-heldout-words.json) never appear in them (training/tests/test_captions.py).

API:
  caption_scenes(rng, scenes, style="rich", template_prob=0.3) -> (caption, scene_captions)
  recaption(rng, spec, style="rich", template_prob=0.3) -> caption   (another wording of a ClipSpec)
  rich_scene_caption(rng, scene, compact=False) -> one scene's rich caption
  training_vocabulary() -> every word any training caption can contain (vocabulary.json)
"""
from __future__ import annotations

import functools
import random
import re

from .catalog import (ARTICLES, BACKGROUNDS, CAMERA_MOVES, CAPTION_GLUE, COLOUR_MODIFIERS, COLOURS, CUT_JOINERS,
                      MOTIONS, OBJECT_JOINERS, OPENERS, RICH_ADVERBS, RICH_ARTICLES, RICH_BACKGROUND_FRAGMENTS,
                      RICH_BACKGROUNDS, RICH_CAMERA, RICH_COLOUR_EXTRA, RICH_MOTIONS, RICH_OPENERS,
                      RICH_SHAPE_EXTRA, SHAPES)
from .sample import ClipSpec, ObjectSpec, SceneSpec, describe_scene
from ..scenes import CUT_JOINER  # the engine's joiner too (src/package/scenes.ts sceneCaption)

STYLES = ("rich", "template")
TEMPLATE_PROB = 0.3  # the share of template wording in style="rich", so that wording stays covered
# the share of rich-caption colours named from the big dictionary (colour_names.py) instead of the
# catalogue's words: enough that the denoiser learns colour from thousands of names, few enough that
# the common words stay the most practised
DICTIONARY_COLOUR_PROB = 0.3
# a rich caption longer than this many MiniLM tokens ([CLS] and [SEP] included) is rewritten
# compactly: the encoder takes 64, and up to 3 more come from the final punctuation ("...")
_MAX_TOKENS = 61


@functools.cache
def _dictionary_names() -> dict[str, list[str]]:
    from .colour_names import load
    return load()


def colour_words(colour: str) -> list[str]:
    return COLOURS[colour][1] + RICH_COLOUR_EXTRA.get(colour, [])


def any_colour_words(colour: str) -> list[str]:
    """Every name a rich caption may give this colour: the catalogue's words and the dictionary's."""
    return colour_words(colour) + _dictionary_names()[colour]


def shape_words(shape: str) -> list[str]:
    return SHAPES[shape] + RICH_SHAPE_EXTRA.get(shape, [])


# ------------------------------------------------------------------------------------ template


def template_caption(rng: random.Random, scenes: list[SceneSpec]) -> tuple[str, list[str]]:
    """The original template wording; draws from rng exactly as sample_clip_spec always did."""
    scene_captions = [describe_scene(rng, s) for s in scenes]
    opener = rng.choice(OPENERS)
    if opener:
        scene_captions = [c[0].lower() + c[1:] for c in scene_captions]
    caption = opener + CUT_JOINER.join(scene_captions)
    return caption.strip(), scene_captions


# ------------------------------------------------------------------------------------ rich


def _pick(rng: random.Random, options: list, compact: bool, key=len):
    """A random option; in compact mode one of the three shortest."""
    return rng.choice(sorted(options, key=key)[:3] if compact else options)


def _an(article: str, word: str) -> str:
    if article == "a" and word[:1] in "aeiou":
        return "an"
    return article


def _fix_articles(text: str) -> str:
    """"an" before a vowel everywhere ("on an orange background")."""
    return re.sub(r"\ba (?=[aeiou])", "an ", text)


def _colour(rng: random.Random, colour: str, compact: bool, modifier: bool = True) -> str:
    names = _dictionary_names()[colour]
    if not compact and names and rng.random() < DICTIONARY_COLOUR_PROB:
        return rng.choice(names)
    word = _pick(rng, colour_words(colour), compact)
    if modifier and not compact and word not in ("dark",) and rng.random() < 0.12:
        word = f"{rng.choice(COLOUR_MODIFIERS)} {word}"
    return word


def _noun_phrase(rng: random.Random, o: ObjectSpec, compact: bool) -> tuple[str, str]:
    """-> (with an article, without): ("a red star", "red star"), sometimes "a star in red"."""
    colour, shape = _colour(rng, o.colour, compact), _pick(rng, shape_words(o.shape), compact)
    bare = f"{shape} in {colour}" if not compact and rng.random() < 0.08 else f"{colour} {shape}"
    article = rng.choice(RICH_ARTICLES)
    return f"{_an(article, bare)} {bare}", bare


def _verb_phrases(rng: random.Random, o: ObjectSpec, compact: bool) -> tuple[str, str]:
    """-> (finite, -ing): ("slowly slides to the left", "sliding slowly to the left")."""
    v3, ving, rest = _pick(rng, RICH_MOTIONS[o.motion], compact, key=lambda p: len(p[0]) + len(p[2]))
    adverbs = RICH_ADVERBS[o.motion]
    adv = rng.choice(adverbs) if adverbs and not compact and rng.random() < 0.3 else ""
    where = rng.randrange(3)

    def build(verb: str) -> str:
        if not adv:
            words = [verb, rest]
        elif where == 0:
            words = [adv, verb, rest]
        elif where == 1:
            words = [verb, adv, rest]
        else:
            words = [verb, rest, adv]
        return " ".join(w for w in words if w)

    finite, ing = build(v3), build(ving)
    if not compact and rng.random() < 0.15:
        finite = f"is {ing}"
    return finite, ing


def _background(rng: random.Random, s: SceneSpec, compact: bool) -> tuple[str, str]:
    """-> (prepositional, fragment): ("on a blue background", "blue bg")."""
    c, c2 = _colour(rng, s.bg_colour, compact, False), _colour(rng, s.bg_colour2, compact, False)
    prep = _pick(rng, RICH_BACKGROUNDS[s.background], compact).format(c=c, c2=c2)
    frag = _pick(rng, RICH_BACKGROUND_FRAGMENTS[s.background], compact).format(c=c, c2=c2)
    return prep, frag


def _with_camera(rng: random.Random, text: str, camera: str, compact: bool) -> str:
    if camera == "none":
        return text
    clause, ing = _pick(rng, RICH_CAMERA[camera], compact, key=lambda p: len(p[0]))
    form = rng.choice([0, 4]) if compact else rng.randrange(6)
    if form == 0:
        return f"{text}, {clause}"
    if form == 1:
        return f"{text} as {clause}"
    if form == 2:
        return f"{text} while {clause}"
    if form == 3:
        return f"{text}, with {ing}"
    if form == 4:
        return f"{text}. {clause}"
    return f"{text} - {ing}"


_NP_FIRST = {"clause bg", "clause, bg", "ing bg", "ing, frag", "clause - frag", "np bg vp", "bare, vg, frag",
             "np that vp bg", "np bg, vg", "bare - vg - frag"}


def rich_scene_caption(rng: random.Random, s: SceneSpec, compact: bool = False, np_first: bool = False) -> str:
    """One scene in lower case, no opener and no final punctuation (case comes later).
    np_first: start with the object ("a red star ..."), as after "a video of"."""
    nps = [_noun_phrase(rng, o, compact) for o in s.objects]
    vps = [_verb_phrases(rng, o, compact) for o in s.objects]
    prep, frag = _background(rng, s, compact)
    joiner = _pick(rng, OBJECT_JOINERS, compact)
    clause = joiner.join(f"{np} {vp}" for (np, _), (vp, _) in zip(nps, vps))
    ing = (" and " if joiner != ", " else ", ").join(f"{np} {vg}" for (np, _), (_, vg) in zip(nps, vps))
    single = len(s.objects) == 1
    forms = ["clause bg", "bg, clause", "clause, bg", "ing bg", "ing, frag", "frag. clause", "clause - frag",
             "frag: ing"]
    if single:
        forms += ["np bg vp", "vg: np, frag", "bare, vg, frag", "np that vp bg", "np bg, vg", "bare - vg - frag"]
    if compact:
        forms = ["clause bg", "bg, clause", "ing bg"] + (["bare, vg, frag"] if single else [])
    if np_first:
        forms = [f for f in forms if f in _NP_FIRST]
    form = rng.choice(forms)
    (np, bare), (vp, vg) = nps[0], vps[0]
    text = {
        "clause bg": f"{clause} {prep}",
        "bg, clause": f"{prep}, {clause}",
        "clause, bg": f"{clause}, {prep}",
        "ing bg": f"{ing} {prep}",
        "ing, frag": f"{ing}, {frag}",
        "frag. clause": f"{frag}. {clause}",
        "clause - frag": f"{clause} - {frag}",
        "frag: ing": f"{frag}{', ' if ':' in frag else ': '}{ing}",
        "np bg vp": f"{np} {prep} {vp}",
        "vg: np, frag": f"{vg}: {np}, {frag}",
        "bare, vg, frag": f"{bare}, {vg}, {frag}",
        "np that vp bg": f"{np} that {vp} {prep}",
        "np bg, vg": f"{np} {prep}, {vg}",
        "bare - vg - frag": f"{bare} - {vg} - {frag}",
    }[form]
    return _with_camera(rng, text, s.camera, compact)


def _case(text: str, mode: str) -> str:
    if mode == "lower":
        return text
    if mode == "upper":
        return text.upper()
    if mode == "title":
        return re.sub(r"\b([a-z])", lambda m: m.group(1).upper(), text)
    # sentence case: capitals at the start and after . ! ?
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


@functools.cache
def _tokenizer():
    from ..text_encoder import Tokenizer
    tok = Tokenizer().tok
    tok.no_truncation()
    tok.no_padding()
    return tok


def _tokens(text: str) -> int:
    """The text encoder's own token count: dictionary colour names split into many word pieces, so
    no estimate from letters holds for them."""
    return len(_tokenizer().encode(text).ids)


def rich_caption(rng: random.Random, scenes: list[SceneSpec]) -> tuple[str, list[str]]:
    best = None
    for compact in (False,) + (True,) * 8:  # compact draws differ: a long two-scene clip may need several
        opener = rng.choice(RICH_OPENERS) if not compact and rng.random() < 0.25 else ""
        pieces = [rich_scene_caption(rng, s, compact, np_first=i == 0 and opener.endswith(" of"))
                  for i, s in enumerate(scenes)]
        if len(pieces) == 1:
            body = pieces[0]
        elif not compact and rng.random() < 0.15:
            body = ". cut to ".join(f"scene {i + 1}: {p}" for i, p in enumerate(pieces))
        else:
            body = _pick(rng, CUT_JOINERS, compact).lower().join(pieces)
        text = f"{opener} {body}" if opener else body
        n = _tokens(text)
        if best is None or n < best[2]:
            best = text, pieces, n
        if n <= _MAX_TOKENS:
            break
    text, pieces, _ = best
    text, pieces = _fix_articles(text), [_fix_articles(p) for p in pieces]
    text += rng.choices(["", ".", "!", "..."], [0.55, 0.3, 0.1, 0.05])[0]
    mode = rng.choices(["sentence", "lower", "upper", "title"], [0.5, 0.38, 0.06, 0.06])[0]
    return _case(text, mode), [_case(p, mode) for p in pieces]


# ------------------------------------------------------------------------------------ API


def caption_scenes(rng: random.Random, scenes: list[SceneSpec], style: str = "rich",
                   template_prob: float = TEMPLATE_PROB) -> tuple[str, list[str]]:
    """(caption, scene_captions) for the scenes of one clip.

    style="template": the original wording only (the same random draws as before this module).
    style="rich": the template wording with probability template_prob, else a rich caption.
    """
    if style not in STYLES:
        raise ValueError(f"caption style {style!r}: expected one of {STYLES}")
    if style == "template" or rng.random() < template_prob:
        caption, scene_captions = template_caption(rng, scenes)
        # the template never shortens itself: a two-scene, two-object one can outrun the text encoder
        if style == "template" or _tokens(caption) <= _MAX_TOKENS:
            return caption, scene_captions
    return rich_caption(rng, scenes)


def recaption(rng: random.Random, spec: ClipSpec, style: str = "rich", template_prob: float = TEMPLATE_PROB) -> str:
    """Another caption for the same clip, written independently of spec.caption."""
    return caption_scenes(rng, spec.scenes, style, template_prob)[0]


def training_vocabulary(with_colour_names: bool = True) -> list[str]:
    """Every word a training caption (either style) can contain, lower case, sorted: walked from the
    word lists, so nothing depends on sampling. The page reports a prompt's other words as unknown."""
    texts: list[str] = []
    for c in COLOURS:
        texts += any_colour_words(c) if with_colour_names else colour_words(c)
    for s in SHAPES:
        texts += shape_words(s)
    texts += COLOUR_MODIFIERS + ARTICLES + RICH_ARTICLES + OPENERS + RICH_OPENERS + OBJECT_JOINERS + CUT_JOINERS
    texts += CAPTION_GLUE
    for ps in MOTIONS.values():
        texts += ps
    for ps in RICH_MOTIONS.values():
        texts += [" ".join(p) for p in ps]
    for ads in RICH_ADVERBS.values():
        texts += ads
    for table in (BACKGROUNDS, RICH_BACKGROUNDS, RICH_BACKGROUND_FRAGMENTS):
        for ps in table.values():
            texts += [p.replace("{c2}", " ").replace("{c}", " ") for p in ps]
    for ps in CAMERA_MOVES.values():
        texts += ps
    for ps in RICH_CAMERA.values():
        texts += [" ".join(p) for p in ps]
    return sorted(set(re.findall(r"[a-z0-9]+", " ".join(texts).lower())))
