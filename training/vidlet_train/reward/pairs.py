"""Proxy preference pairs from the procedural world: two takes of one prompt where one is worse in a
known way, with the outcome per dimension (VQ visual quality, MQ motion quality, TA text alignment).

This is PROXY preference data, not human votes: each label says what was done to the clips, nothing
more. The prompt is always the caption of the true spec; a take is either the true clip or a partner
made from it in a known way:

  TA:colour / TA:shape / TA:background / TA:motion   a clean render of an altered spec (one object's
      colour, shape or motion, or the background colour, of one scene) -> the true clip wins TA;
      both are clean, smooth renders, so VQ and MQ tie.
  VQ:blur / VQ:noise / VQ:blocks   the true clip degraded (degrade.py) -> the clean one wins VQ; MQ and
      TA tie. With probability GRADED both takes are degraded the same way, one weakly (u 0.05–0.25)
      and one strongly (u 0.6–1), and the weak one wins VQ.
  MQ:frozen / MQ:teleport / MQ:jitter   the true clip time-warped (degrade.py) -> the true clip wins MQ;
      every frame is a clean render of the right content, so VQ and TA tie.
  tie:resample   the same spec with other nuisances (start position, size, phase), both clean -> all tie;
      with probability 1/2 both takes carry the same degradation at the same strength (VQ still ties).
  cross   the true clip made worse in VQ or MQ against a clean altered spec -> the altered clip wins
      that dimension, the true clip wins TA, the third ties: takes that are better in one way and
      worse in another, so the three scores must stay apart.

Honesty checks built in: a partner that cannot be told from its counterpart (a circle that "spins",
a warp of a clip in which nothing moves) makes that dimension a tie, with ":invisible" added to the
kind. A and B are shuffled, so the winner is A half the time.

Split: a prompt's content key (per scene: background kind and colours, camera, and each object's
shape, colour and motion; not the wording or positions) is held out when its sha1 falls in the first
HELD_OUT_FRACTION of the hash range. Training pairs never hold a clip of a held-out key (neither the
prompt's spec nor an altered partner's); held-out pairs always have a held-out prompt key. So no
held-out prompt content, in any wording, is ever trained on.
"""
from __future__ import annotations

import copy
import hashlib
import json
import random
from dataclasses import dataclass

import torch

from ..world import COLOURS, MOTIONS, SHAPES, render_clips, sample_clip_spec
from ..world.catalog import object_radius
from ..world.sample import ClipSpec, _start_position
from .btt import A, B, TIE
from .degrade import PIXEL_DEGRADATIONS, TIME_WARPS, degrade, fine_frames, truth_times, warp_times

DIMENSIONS = ("VQ", "MQ", "TA")
HELD_OUT_FRACTION = 0.1
MULTI_SCENE_PROB = 0.1  # as data.render_pool
GRADED = 0.3
# The mix of pair kinds (shares of all pairs); README.md gives the reasons.
FAMILY_WEIGHTS = {"TA": 0.26, "VQ": 0.24, "MQ": 0.24, "tie": 0.12, "cross": 0.14}
TA_ATTRIBUTES = ("colour", "shape", "motion", "background")
TA_WEIGHTS = (0.3, 0.3, 0.3, 0.1)
OPPOSITE_MOTION = {"left": "right", "right": "left", "up": "down", "down": "up", "enter-left": "enter-right",
                   "enter-right": "enter-left", "enter-top": "enter-bottom", "enter-bottom": "enter-top",
                   "zoom-in": "zoom-out", "zoom-out": "zoom-in"}
ROUND_SHAPES = ("circle", "ring")  # spinning looks like standing still
# a frame pixel counts as changed when a channel moves by this much of the [-1, 1] range (5 %) …
VISIBLE_STEP = 0.1
# … and two clips differ visibly when this share of all pixels of all frames changed (~130 of 16·128²)
VISIBLE_SHARE = 5e-4


@dataclass
class Pair:
    prompt: str
    a: torch.Tensor  # uint8 [3, T, H, W]
    b: torch.Tensor
    outcomes: tuple[int, int, int]  # per DIMENSIONS: btt.A / btt.B / btt.TIE
    kind: str
    key: str  # the prompt's content key


def content_key(spec: ClipSpec) -> str:
    return json.dumps([[s.background, s.bg_colour, s.bg_colour2 if s.background != "solid" else None, s.camera,
                        sorted([o.shape, o.colour, o.motion] for o in s.objects)] for s in spec.scenes])


def is_held_out(key: str, fraction: float = HELD_OUT_FRACTION) -> bool:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 2 ** 32 < fraction


def in_split(spec: ClipSpec, split: str) -> bool:
    return is_held_out(content_key(spec)) == (split == "held-out")


def sample_spec(rng: random.Random, split: str, frames: int = 16) -> ClipSpec:
    """A random clip spec (as the training world draws them) whose content key is in `split`."""
    while True:
        spec = sample_clip_spec(rng, frames, n_scenes=2 if rng.random() < MULTI_SCENE_PROB else 1)
        if in_split(spec, split):
            return spec


def to_u8(video: torch.Tensor) -> torch.Tensor:
    return ((video + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)


def visibly_different(x: torch.Tensor, y: torch.Tensor) -> bool:
    """Whether two float clips [3, T, H, W] differ by more than rounding and the odd edge pixel."""
    changed = ((x - y).abs().amax(0) > VISIBLE_STEP).float().mean().item()
    return changed > VISIBLE_SHARE


def render_one(spec: ClipSpec, size: int) -> torch.Tensor:
    frames = sum(s.frames for s in spec.scenes)
    return render_clips([spec], frames, size)[0][0]


# ------------------------------------------------------------------------------- altered specs


def _other(rng: random.Random, options, avoid) -> str:
    return rng.choice([o for o in options if o not in avoid])


def alter_spec(rng: random.Random, spec: ClipSpec, attribute: str) -> ClipSpec:
    """A copy of `spec` with one attribute of one scene changed to another catalogue value; the
    caption is left as it was (it still describes the original)."""
    alt = copy.deepcopy(spec)
    scene = rng.choice(alt.scenes)
    o = rng.choice(scene.objects)
    others = {x.colour for x in scene.objects if x is not o}
    background = {scene.bg_colour} | ({scene.bg_colour2} if scene.background != "solid" else set())
    if attribute == "colour":
        o.colour = _other(rng, COLOURS, {o.colour} | others | background)
    elif attribute == "shape":
        o.shape = _other(rng, SHAPES, {o.shape})
    elif attribute == "motion":
        still_like = {"spin", "still"} if o.shape in ROUND_SHAPES else set()
        if o.motion in OPPOSITE_MOTION and rng.random() < 0.7:
            o.motion = OPPOSITE_MOTION[o.motion]
        else:
            avoid = {o.motion} | (still_like if o.motion in still_like else set())
            avoid |= {x.motion for x in scene.objects if x is not o}
            o.motion = _other(rng, MOTIONS, avoid)
        o.x0, o.y0 = _start_position(rng, o.motion, o.size)
        if len(scene.objects) == 2 and o.motion in ("still", "spin", "pulse", "zoom-in", "zoom-out"):
            o.x0 = (-0.5 if o is scene.objects[0] else 0.5) + rng.uniform(-0.1, 0.1)  # as sample_scene
    elif attribute == "background":
        used = {x.colour for x in scene.objects} | background
        scene.bg_colour = _other(rng, COLOURS, used)
    else:
        raise ValueError(f"unknown attribute {attribute!r}; known: {', '.join(TA_ATTRIBUTES)}")
    return alt


def resample_spec(rng: random.Random, spec: ClipSpec) -> ClipSpec:
    """The same content (same caption) with other nuisances: each object's start, size and phase."""
    alt = copy.deepcopy(spec)
    for scene in alt.scenes:
        for i, o in enumerate(scene.objects):
            o.size = object_radius(rng, len(scene.objects))
            o.x0, o.y0 = _start_position(rng, o.motion, o.size)
            if len(scene.objects) == 2 and o.motion in ("still", "spin", "pulse", "zoom-in", "zoom-out"):
                o.x0 = (-0.5 if i == 0 else 0.5) + rng.uniform(-0.1, 0.1)
            o.phase = rng.random()
    return alt


def _altered_in_split(rng: random.Random, spec: ClipSpec, split: str) -> tuple[ClipSpec, str]:
    """An altered spec and its attribute; for training it must not have a held-out key."""
    for _ in range(50):
        attribute = rng.choices(TA_ATTRIBUTES, TA_WEIGHTS)[0]
        alt = alter_spec(rng, spec, attribute)
        if split != "train" or in_split(alt, "train"):
            return alt, attribute
    raise RuntimeError("no altered spec outside the held-out keys in 50 tries")


# ------------------------------------------------------------------------------- time warps


def render_warped(spec: ClipSpec, kind: str, rng: random.Random, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(true clip, time-warped clip) from one fine render of `spec`; every scene is warped."""
    fine = copy.deepcopy(spec)
    for s in fine.scenes:
        s.frames = fine_frames(s.frames)
    video = render_one(fine, size)
    truth, warped, offset = [], [], 0
    for s in spec.scenes:
        truth += [offset + t for t in truth_times(s.frames)]
        warped += [offset + t for t in warp_times(s.frames, kind, rng)]
        offset += fine_frames(s.frames)
    return video[:, truth], video[:, warped]


# ------------------------------------------------------------------------------- pairs


def _u(rng: random.Random, lo: float = 0.3, hi: float = 1.0) -> float:
    return rng.uniform(lo, hi)


def make_pair(rng: random.Random, spec: ClipSpec, family: str, split: str, size: int = 128) -> Pair:
    """One pair of `family` (FAMILY_WEIGHTS) for the prompt of `spec`; deterministic given rng's state."""
    gen = torch.Generator().manual_seed(rng.getrandbits(62))
    first = second = None
    out = {"VQ": "tie", "MQ": "tie", "TA": "tie"}  # per dimension: "first" / "second" / "tie"
    if family == "TA":
        alt, attribute = _altered_in_split(rng, spec, split)
        first, second = render_one(spec, size), render_one(alt, size)
        kind = f"TA:{attribute}"
        if visibly_different(first, second):
            out["TA"] = "first"
        else:
            kind += ":invisible"
    elif family == "VQ":
        deg = rng.choice(PIXEL_DEGRADATIONS)
        truth = render_one(spec, size)
        if rng.random() < GRADED:
            first, second = degrade(truth, deg, _u(rng, 0.05, 0.25), gen), degrade(truth, deg, _u(rng, 0.6, 1.0), gen)
            kind = f"VQ:{deg}:graded"
        else:
            first, second = truth, degrade(truth, deg, _u(rng), gen)
            kind = f"VQ:{deg}"
        out["VQ"] = "first"
    elif family == "MQ":
        warp = rng.choice(TIME_WARPS)
        first, second = render_warped(spec, warp, rng, size)
        kind = f"MQ:{warp}"
        if visibly_different(first, second):
            out["MQ"] = "first"
        else:
            kind += ":invisible"
    elif family == "tie":
        first, second = render_one(spec, size), render_one(resample_spec(rng, spec), size)
        kind = "tie:resample"
        if rng.random() < 0.5:
            deg, u = rng.choice(PIXEL_DEGRADATIONS), _u(rng)
            first, second = degrade(first, deg, u, gen), degrade(second, deg, u, gen)
            kind = f"tie:resample:{deg}"
    elif family == "cross":
        alt, attribute = _altered_in_split(rng, spec, split)
        clean_alt = render_one(alt, size)
        if rng.random() < 0.5:
            deg = rng.choice(PIXEL_DEGRADATIONS)
            truth = render_one(spec, size)
            worse = degrade(truth, deg, _u(rng, 0.5, 1.0), gen)
            dim, kind = "VQ", f"cross:{deg}+TA:{attribute}"
        else:
            warp = rng.choice(TIME_WARPS)
            truth, worse = render_warped(spec, warp, rng, size)
            dim, kind = "MQ", f"cross:{warp}+TA:{attribute}"
        first, second = worse, clean_alt
        if dim == "VQ" or visibly_different(truth, worse):
            out[dim] = "second"
        else:
            kind += ":invisible-" + dim
        if visibly_different(truth, clean_alt):  # the true content must differ from the altered one
            out["TA"] = "first"
        else:
            kind += ":invisible-TA"
    else:
        raise ValueError(f"unknown pair family {family!r}; known: {', '.join(FAMILY_WEIGHTS)}")
    swap = rng.random() < 0.5
    code = {"first": B if swap else A, "second": A if swap else B, "tie": TIE}
    a, b = (second, first) if swap else (first, second)
    return Pair(spec.caption, to_u8(a), to_u8(b), tuple(code[out[d]] for d in DIMENSIONS), kind, content_key(spec))


def generate_pairs(n: int, seed: int, split: str, size: int = 128, frames: int = 16,
                   family_weights: dict[str, float] | None = None) -> list[Pair]:
    """n pairs of `split` ("train" or "held-out"), a pure function of (n, seed, split, size, frames)."""
    if split not in ("train", "held-out"):
        raise ValueError(f"split must be 'train' or 'held-out', got {split!r}")
    weights = family_weights or FAMILY_WEIGHTS
    rng = random.Random(f"{split}:{seed}")
    pairs = []
    for _ in range(n):
        family = rng.choices(list(weights), list(weights.values()))[0]
        spec = sample_spec(rng, split, frames)  # its caption: rich or template wording (sample_clip_spec)
        pairs.append(make_pair(rng, spec, family, split, size))
    return pairs
