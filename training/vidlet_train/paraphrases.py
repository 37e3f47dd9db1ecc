"""Write tests/fixtures/eval-paraphrases.json: held-out prompts written the way people write (other
verbs, adverbs, word orders, fragments, requests, capitals, punctuation, colour and shape synonyms),
one object on a solid background, with the judge's fields (as in eval-prompts.json).

Every prompt contains at least one held-out word of tests/fixtures/paraphrase-heldout-words.json,
words the training captions never use (training/tests/test_captions.py checks both sides), so the
set measures how far prompt following carries past the training wordings.

python -m vidlet_train.paraphrases --out ../tests/fixtures/eval-paraphrases.json
python -m vidlet_train.judge --clips DIR --prompts ../tests/fixtures/eval-paraphrases.json
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re

from .world.catalog import COLOURS, MOTIONS, SHAPES
from .world.sample import direction_of

HELDOUT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures",
                            "paraphrase-heldout-words.json")
SEED = 20260808
N = 180  # 12 per motion, 15 per colour, shape and background colour


def heldout_words() -> list[str]:
    d = json.load(open(HELDOUT_PATH))
    return sorted({w.lower() for k, ws in d.items() if k != "description" for w in ws})


def heldout_in(text: str, words: list[str] | None = None) -> list[str]:
    """The held-out words a text contains (whole words, any case)."""
    words = heldout_words() if words is None else words
    low = text.lower()
    return [w for w in words if re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", low)]


# name -> words a person may use for it; the held-out ones are told apart by heldout_in, nothing here
# needs marking. Ambiguous colour words (amber, teal, navy, silver, magenta, lavender...) are left out,
# and so is "dark" (a training synonym of black that reads as a shade).
COLOUR_WORDS = {
    "red": ["red", "crimson", "scarlet", "reddish"],
    "orange": ["orange", "tangerine"],
    "yellow": ["yellow", "golden", "lemon", "lemon-yellow", "yellowish"],
    "green": ["green", "emerald", "grass-green", "greenish"],
    "cyan": ["cyan", "turquoise", "aqua"],
    "blue": ["blue", "cobalt", "sapphire", "royal blue"],
    "purple": ["purple", "violet", "purplish", "royal purple"],
    "pink": ["pink", "hot pink", "pinkish"],
    "white": ["white", "snow-white", "snowy white"],
    "black": ["black", "jet-black", "pitch-black"],
    "gray": ["gray", "grey", "greyish", "grayish", "mid-grey"],
    "brown": ["brown", "chocolate-brown", "brownish"],
}

SHAPE_WORDS = {
    "circle": ["circle", "ball", "dot", "orb", "sphere"],
    "square": ["square", "block", "square shape"],
    "triangle": ["triangle", "triangular shape", "triangle shape"],
    "star": ["star", "star shape", "five-pointed star"],
    "heart": ["heart", "love heart", "heart shape", "heart symbol"],
    "ring": ["ring", "donut", "hoop", "doughnut"],
    "arrow": ["arrow", "pointer", "arrow icon", "arrow symbol"],
    "bottle": ["bottle", "water bottle", "bottle icon"],
    "box": ["box", "package", "parcel", "cardboard box", "carton"],
    "phone": ["phone", "smartphone", "cellphone", "cell phone", "handset"],
    "diamond": ["diamond", "gem", "rhombus", "diamond shape"],
    "cross": ["cross", "plus sign", "plus symbol", "cross shape"],
}


def _v(v3: str, ving: str, rest: str = "") -> tuple[str, str]:
    return (f"{v3} {rest}".strip(), f"{ving} {rest}".strip())


def _sideways(side: str) -> list[tuple[str, str]]:
    return [_v("moves", "moving", side), _v("drifts", "drifting", side), _v("drifts", "drifting", f"to the {side}"),
            _v("creeps", "creeping", side), _v("creeps", "creeping", f"to the {side}"), _v("scoots", "scooting", side),
            _v("cruises", "cruising", f"to the {side}"), _v("sails", "sailing", side),
            _v("moves", "moving", f"{side}wards"), _v("travels", "travelling", f"across the screen to the {side}")]


def _enter(side: str, above: str) -> list[tuple[str, str]]:
    return [_v("emerges", "emerging", f"from the {side}"), _v("drifts", "drifting", f"in from {above}"),
            _v("arrives", "arriving", f"from {above}"), _v("comes", "coming", f"onto the screen from {above}"),
            _v("creeps", "creeping", f"in from the {side} edge"), _v("slides", "sliding", f"in from the {side} edge")]


# motion -> (finite, -ing) phrases
MOTION_PHRASES = {
    "left": _sideways("left"),
    "right": _sideways("right"),
    "up": [_v("rises", "rising"), _v("soars", "soaring", "upward"), _v("climbs", "climbing"),
           _v("climbs", "climbing", "upward"), _v("ascends", "ascending"), _v("drifts", "drifting", "up"),
           _v("drifts", "drifting", "upwards"), _v("creeps", "creeping", "up"), _v("sails", "sailing", "up")],
    "down": [_v("falls", "falling"), _v("sinks", "sinking"), _v("sinks", "sinking", "downward"),
             _v("descends", "descending"), _v("plummets", "plummeting"), _v("drifts", "drifting", "down"),
             _v("drifts", "drifting", "downwards"), _v("creeps", "creeping", "down")],
    "enter-left": _enter("left", "the left"),
    "enter-right": _enter("right", "the right"),
    "enter-top": [_v("emerges", "emerging", "from the top"), _v("drifts", "drifting", "in from above"),
                  _v("arrives", "arriving", "from the top"), _v("descends", "descending", "into view from above"),
                  _v("drops", "dropping", "in from the top edge"), _v("comes", "coming", "onto the screen from above")],
    "enter-bottom": [_v("emerges", "emerging", "from the bottom"), _v("drifts", "drifting", "in from below"),
                     _v("arrives", "arriving", "from below"), _v("climbs", "climbing", "into view from below"),
                     _v("rises", "rising", "in from the bottom edge"),
                     _v("comes", "coming", "onto the screen from below")],
    "bounce": [_v("bobs", "bobbing", "up and down"), _v("jumps", "jumping", "up and down"), _v("jumps", "jumping"),
               _v("bounces", "bouncing", "in place"), _v("hops", "hopping", "in place"), _v("bobs", "bobbing")],
    "spin": [_v("twirls", "twirling"), _v("twirls", "twirling", "around"), _v("whirls", "whirling", "around"),
             _v("spins", "spinning", "in place"), _v("rotates", "rotating", "in place")],
    "zoom-in": [_v("expands", "expanding"), _v("swells", "swelling"), _v("swells", "swelling", "up"),
                _v("gets", "getting", "larger"), _v("grows", "growing", "larger"), _v("enlarges", "enlarging")],
    "zoom-out": [_v("dwindles", "dwindling"), _v("gets", "getting", "tinier"), _v("becomes", "becoming", "tiny"),
                 _v("shrinks", "shrinking", "away"), _v("diminishes", "diminishing")],
    "orbit": [_v("loops", "looping", "around"), _v("goes", "going", "round in a loop"),
              _v("circles", "circling", "the centre"), _v("circles", "circling", "the center"),
              _v("goes", "going", "round and round"), _v("travels", "travelling", "in a loop")],
    "pulse": [_v("pulsates", "pulsating"), _v("breathes", "breathing"), _v("breathes", "breathing", "in and out"),
              _v("throbs", "throbbing", "rhythmically"), _v("pulses", "pulsing", "rhythmically")],
    "still": [("stays put", "staying put"), ("is motionless", "motionless"),
              ("remains stationary", "remaining stationary"), ("sits motionless", "sitting motionless"),
              ("just sits there", "just sitting there"), ("never moves", "not moving"),
              ("stays perfectly still", "staying perfectly still"), ("is stationary", "stationary")],
}

_TRAVEL = ["gracefully", "lazily", "swiftly", "slowly", "smoothly"]
ADVERBS = {m: _TRAVEL for m in ("left", "right", "up", "down", "enter-left", "enter-right", "enter-top",
                                "enter-bottom")}
ADVERBS |= {"orbit": ["gracefully", "lazily", "slowly"], "spin": ["rapidly", "gracefully", "slowly"],
            "zoom-in": ["gradually", "slowly"], "zoom-out": ["gradually", "slowly"], "bounce": ["rhythmically", "gently"],
            "pulse": [], "still": []}

# a solid background: prepositional phrases and fragments ({c} = the colour word)
BACKGROUND_PHRASES = ["on a {c} background", "against {c}", "on {c}", "over a {c} backdrop", "on a {c} canvas",
                      "against a {c} wall", "in front of a {c} wall", "with {c} behind it", "on a field of {c}",
                      "on a plain {c} surface", "set against {c}"]
BACKGROUND_FRAGMENTS = ["{c} background", "{c} bg", "{c} canvas", "{c} wall behind it", "plain {c} backdrop"]

FORMS = [
    "{np} {vp} {bg}",
    "{Bg}, {np} {vp}",
    "{bare}, {vg}, {frag}",
    "{np} {bg} {vp}",
    "show me {np} {vg} {bg}",
    "make a video of {np} {vg} {bg}",
    "generate {np} {vg} {bg}",
    "create a clip where {np} {vp} {bg}",
    "i want {np} {vg} {bg}",
    "please animate {np} {vg} {bg}",
    "render {np} {vg} {bg}",
    "a gif of {np} {vg} {bg}",
    "can you make {np} {vg} {bg}?",
    "there's {np} {vg} {bg}",
    "we see {np} {vg} {bg}",
    "watch as {np} {vp} {bg}",
    "{np} {bg}. it {vp}",
    "{np}, which {vp}, {bg}",
    "{vg}: {np} {bg}",
    "{frag}. {np} {vp}",
    "{frag} - {bare} {vg}",
    "{np} {vg}, {frag}",
]


def _an(text: str) -> str:
    return re.sub(r"\ba (?=[aeiou])", "an ", text)


def _case(text: str, mode: str) -> str:
    if mode == "upper":
        return text.upper()
    if mode == "title":
        return re.sub(r"(?<![a-z'])([a-z])", lambda m: m.group(1).upper(), text)
    if mode == "sentence":
        return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return text


def _choose(rng: random.Random, options: list, words: list[str], held_prob: float, text=lambda o: o):
    """An option containing a held-out word with probability held_prob (when there is one)."""
    held = [o for o in options if heldout_in(text(o), words)]
    seen = [o for o in options if o not in held]
    return rng.choice(held if held and (not seen or rng.random() < held_prob) else seen)


def paraphrase(rng: random.Random, colour: str, shape: str, motion: str, bg: str, words: list[str],
               held_prob: float = 0.3) -> str:
    """One prompt for this content containing at least one held-out word; each part (colour, shape,
    motion, adverb, background, form) is a held-out wording with probability held_prob."""
    for _ in range(1000):
        c = _choose(rng, COLOUR_WORDS[colour], words, held_prob)
        sh = _choose(rng, SHAPE_WORDS[shape], words, held_prob)
        vp, vg = _choose(rng, MOTION_PHRASES[motion], words, held_prob, text=lambda o: o[0] + " " + o[1])
        if ADVERBS[motion] and rng.random() < 0.25:
            adv = _choose(rng, ADVERBS[motion], words, held_prob)
            vp, vg = (f"{adv} {vp}", f"{adv} {vg}") if rng.random() < 0.5 else (f"{vp} {adv}", f"{vg} {adv}")
        # "-ish" words only before a noun ("a pinkish background", never "against pinkish")
        bgp = _choose(rng, BACKGROUND_PHRASES, words, held_prob)
        frag = _choose(rng, BACKGROUND_FRAGMENTS, words, held_prob)
        bc = _choose(rng, [w for w in COLOUR_WORDS[bg] if not w.endswith("ish")], words, held_prob)
        bgp, frag = bgp.format(c=bc), frag.format(c=bc)
        bare = f"{c} {sh}"
        np = f"{rng.choice(['a', 'a', 'the', 'one'])} {bare}"
        form = _choose(rng, FORMS, words, held_prob)
        text = form.format(np=np, vp=vp, vg=vg, bg=bgp, Bg=bgp, bare=bare, frag=frag)
        text = _an(text)
        if not heldout_in(text, words):
            continue
        end = "" if text.endswith("?") else rng.choices(["", ".", "!", "..."], [0.5, 0.3, 0.15, 0.05])[0]
        mode = rng.choices(["sentence", "lower", "upper", "title"], [0.5, 0.32, 0.1, 0.08])[0]
        return _case(text + end, mode)
    raise RuntimeError(f"no held-out wording for {colour} {shape} {motion} on {bg}")


def _balanced(rng: random.Random, names: list[str], n: int) -> list[str]:
    out = [names[i % len(names)] for i in range(n)]
    rng.shuffle(out)
    return out


def paraphrase_prompts(n: int = N, seed: int = SEED) -> list[dict]:
    words = heldout_words()
    rng = random.Random(seed)
    motions = _balanced(rng, list(MOTIONS), n)
    colours = _balanced(rng, list(COLOURS), n)
    shapes = _balanced(rng, list(SHAPES), n)
    bgs = _balanced(rng, list(COLOURS), n)
    for i in range(n):  # the background never has the object's colour: swap with a compatible prompt
        if bgs[i] == colours[i]:
            j = next(j for j in range(n) if bgs[j] != colours[i] and bgs[i] != colours[j])
            bgs[i], bgs[j] = bgs[j], bgs[i]
    out, seen = [], set()
    for i in range(n):
        while True:
            p = paraphrase(rng, colours[i], shapes[i], motions[i], bgs[i], words)
            if p.lower() not in seen:
                break
        seen.add(p.lower())
        out.append({"id": f"q{i:03d}", "prompt": p, "colour": colours[i], "shape": shapes[i], "background": bgs[i],
                    "motion": motions[i], "direction": direction_of(motions[i]), "seed": rng.randrange(1 << 31)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(HELDOUT_PATH), "eval-paraphrases.json"))
    ap.add_argument("--n", type=int, default=N)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    prompts = paraphrase_prompts(args.n, args.seed)
    with open(args.out, "w") as f:
        json.dump(prompts, f, indent=1)
        f.write("\n")
    print(f"{len(prompts)} prompts -> {args.out}")


if __name__ == "__main__":
    main()
