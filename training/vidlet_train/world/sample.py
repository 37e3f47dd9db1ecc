"""Random clip specifications: what is in each scene, how it moves, and its caption."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, asdict

from .catalog import ARTICLES, BACKGROUNDS, CAMERA_MOVES, COLOURS, MOTION_DIRECTION, MOTIONS, SHAPES, object_radius


@dataclass
class ObjectSpec:
    shape: str
    colour: str
    motion: str
    x0: float  # start centre, normalised coordinates in [-1, 1] (y points down)
    y0: float
    size: float  # radius in normalised units
    phase: float  # orbit phase / spin direction seed


@dataclass
class SceneSpec:
    objects: list[ObjectSpec]
    background: str
    bg_colour: str
    bg_colour2: str
    camera: str
    frames: int


@dataclass
class ClipSpec:
    scenes: list[SceneSpec]
    caption: str
    # per-scene captions, for the multi-scene work (scene-transition awareness)
    scene_captions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "ClipSpec":
        """The inverse of to_dict (a dataset shard's stored specs back into renderable ones)."""
        scenes = [SceneSpec(**{**s, "objects": [ObjectSpec(**o) for o in s["objects"]]}) for s in d["scenes"]]
        return ClipSpec(**{**d, "scenes": scenes})


def _pick_other(rng: random.Random, options: list[str], avoid: set[str]) -> str:
    rest = [o for o in options if o not in avoid]
    return rng.choice(rest)


def _colour_word(rng: random.Random, colour: str) -> str:
    return rng.choice(COLOURS[colour][1])


def _start_position(rng: random.Random, motion: str, size: float) -> tuple[float, float]:
    """A start centre from which the motion stays mostly in frame."""
    span = 0.55
    if motion == "left":
        return rng.uniform(0.3, 0.6), rng.uniform(-span, span)
    if motion == "right":
        return rng.uniform(-0.6, -0.3), rng.uniform(-span, span)
    if motion == "up":
        return rng.uniform(-span, span), rng.uniform(0.3, 0.6)
    if motion == "down":
        return rng.uniform(-span, span), rng.uniform(-0.6, -0.3)
    if motion == "enter-left":
        return -1.0 - size, rng.uniform(-0.4, 0.4)
    if motion == "enter-right":
        return 1.0 + size, rng.uniform(-0.4, 0.4)
    if motion == "enter-top":
        return rng.uniform(-0.4, 0.4), -1.0 - size
    if motion == "enter-bottom":
        return rng.uniform(-0.4, 0.4), 1.0 + size
    if motion == "bounce":
        return rng.uniform(-0.4, 0.4), rng.uniform(0.25, 0.45)
    if motion == "orbit":
        return rng.uniform(-0.15, 0.15), rng.uniform(-0.15, 0.15)
    return rng.uniform(-0.35, 0.35), rng.uniform(-0.35, 0.35)


def sample_scene(rng: random.Random, frames: int, n_objects: int) -> SceneSpec:
    background = rng.choice(list(BACKGROUNDS))
    bg_colour = rng.choice(list(COLOURS))
    bg_colour2 = _pick_other(rng, list(COLOURS), {bg_colour})
    camera = rng.choice(list(CAMERA_MOVES)) if background in ("stripes", "checker") and rng.random() < 0.5 else "none"
    objects = []
    used_colours = {bg_colour} | ({bg_colour2} if background != "solid" else set())
    used_motions: set[str] = set()
    for _ in range(n_objects):
        colour = _pick_other(rng, list(COLOURS), used_colours)
        used_colours.add(colour)
        motion = _pick_other(rng, list(MOTIONS), used_motions)
        used_motions.add(motion)
        size = object_radius(rng, n_objects)
        x0, y0 = _start_position(rng, motion, size)
        if n_objects == 2 and motion in ("still", "spin", "pulse", "zoom-in", "zoom-out"):
            x0 = (-0.5 if not objects else 0.5) + rng.uniform(-0.1, 0.1)
        objects.append(ObjectSpec(rng.choice(list(SHAPES)), colour, motion, x0, y0, size, rng.random()))
    return SceneSpec(objects, background, bg_colour, bg_colour2, camera, frames)


def describe_object(rng: random.Random, o: ObjectSpec, article: bool = True) -> str:
    words = f"{_colour_word(rng, o.colour)} {rng.choice(SHAPES[o.shape])}"
    if article:
        words = f"{rng.choice(ARTICLES)} {words}"
    return f"{words} {rng.choice(MOTIONS[o.motion])}"


def describe_scene(rng: random.Random, s: SceneSpec) -> str:
    subject = " and ".join(describe_object(rng, o) for o in s.objects)
    bg = rng.choice(BACKGROUNDS[s.background]).format(
        c=_colour_word(rng, s.bg_colour), c2=_colour_word(rng, s.bg_colour2))
    cam = rng.choice(CAMERA_MOVES[s.camera])
    if rng.random() < 0.3:
        text = f"{bg[0].upper()}{bg[1:]}, {subject}"
    else:
        text = f"{subject} {bg}"
    if cam:
        text = f"{text}, {cam}"
    return text


def sample_clip_spec(rng: random.Random, frames: int = 16, n_scenes: int = 1,
                     two_object_prob: float = 0.2, style: str = "rich", template_prob: float = 0.3,
                     scene_frames: list[int] | None = None) -> ClipSpec:
    """One clip: `n_scenes` scenes of (nearly) equal length with hard cuts between them, or of the
    lengths `scene_frames` (which then sets the scene count; they must add up to `frames`).

    style="rich" (the default): the caption is the template wording with probability template_prob,
    else a rich one (world/captions.py: other verbs, word orders, fragments, case, punctuation).
    style="template": the original template wording only, drawn exactly as before rich captions.
    """
    from .captions import caption_scenes
    if scene_frames is not None:
        if sum(scene_frames) != frames:
            raise ValueError(f"scene lengths {scene_frames} do not add up to the clip's {frames} frames")
        lengths = list(scene_frames)
    else:
        lengths = [frames // n_scenes] * n_scenes
        lengths[-1] += frames - sum(lengths)
    scenes = [sample_scene(rng, n, 2 if rng.random() < two_object_prob else 1) for n in lengths]
    caption, scene_captions = caption_scenes(rng, scenes, style, template_prob)
    return ClipSpec(scenes, caption, scene_captions)


def direction_of(motion: str) -> str:
    return MOTION_DIRECTION[motion]


def motion_angle(phase: float) -> float:
    return 2 * math.pi * phase
