"""Procedural data for the two adapters: things the base world does not contain, drawn with the
base world's own renderer (vidlet_train.world) so everything else looks like training data.

* identity: "pip", a mascot drawn from the reference sprite below, at random sizes and places on
  the world's backgrounds; each sample is a still clip (the same frame T times, zero flow), as
  DualReal trains identity from reference images;
* motion: one of the world's shapes travelling along a figure-eight (or zig-zag) path, a path
  the world's motions (straight lines, bounces, orbits, …) do not include. Rendered as T
  one-frame scenes with the shape held still at each point of the path (the world has no such
  motion to ask for), with the exact flow computed here from the path and the world's masks.

Each batch is (video [B,3,T,H,W] in [-1,1], flow [B,2,T,H,W] in pixels, captions), the same
representation the base model was trained on (flow → RGB with world.flow_to_rgb).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import List, Tuple

import torch
import torch.nn.functional as F

from ..world import BACKGROUNDS, COLOURS, SHAPES, render_clips
from ..world.sample import ARTICLES, ClipSpec, ObjectSpec, SceneSpec
from ..world.shapes import SHAPE_FUNCS

# The reference sprite (12×12): '.' transparent, letters index PALETTE. A round yellow body,
# two pointed ears, big eyes, a red mouth: readable at 24 px, unlike any of the world's shapes.
SPRITE = [
    "..k......k..",
    ".kyk....kyk.",
    ".kyykkkkyyk.",
    "kyyyyyyyyyyk",
    "kywwkyywwkyk",
    "kywbkyywbkyk",
    "kyyyyyyyyyyk",
    "kyyypyypyyyk",
    "kyyyyrryyyyk",
    ".kyyrrrryyk.",
    "..kyyyyyyk..",
    "...kkkkkk...",
]
PALETTE = {
    "k": (0.10, 0.08, 0.12),  # outline
    "y": (0.98, 0.80, 0.20),  # body
    "w": (1.00, 1.00, 1.00),  # eye white
    "b": (0.05, 0.10, 0.40),  # pupil
    "p": (0.95, 0.55, 0.60),  # cheeks
    "r": (0.85, 0.10, 0.15),  # mouth
}
IDENTITY_TRIGGER = "pip"
MOTION_TRIGGER = "figure eight"
MOTION_TRIGGERS = {"figure-eight": MOTION_TRIGGER, "zigzag": "zig zag"}
PATH_SCALE = 0.5  # path extent in normalised units (the frame is [-1, 1]), keeps shapes in view


@dataclass
class VideoSize:
    frames: int
    height: int
    width: int


def sprite_rgba() -> torch.Tensor:
    """The reference sprite as [4, 12, 12] RGBA in [0, 1]."""
    h, w = len(SPRITE), len(SPRITE[0])
    out = torch.zeros(4, h, w)
    for y, row in enumerate(SPRITE):
        for x, ch in enumerate(row):
            if ch != ".":
                out[:3, y, x] = torch.tensor(PALETTE[ch])
                out[3, y, x] = 1.0
    return out


def _rng(gen: torch.Generator) -> random.Random:
    """A python RNG seeded from the torch generator, so batches follow the run's seed."""
    return random.Random(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))


def _scene(rng: random.Random, objects: List[ObjectSpec], frames: int, avoid: set) -> SceneSpec:
    """A static-camera scene on one of the world's backgrounds, avoiding the subject's colours."""
    background = rng.choice(list(BACKGROUNDS))
    colours = [c for c in COLOURS if c not in avoid]
    c1 = rng.choice(colours)
    c2 = rng.choice([c for c in colours if c != c1])
    return SceneSpec(objects, background, c1, c2, "none", frames)


def _background_phrase(rng: random.Random, scene: SceneSpec) -> str:
    template = rng.choice(BACKGROUNDS[scene.background])
    return template.format(c=rng.choice(COLOURS[scene.bg_colour][1]), c2=rng.choice(COLOURS[scene.bg_colour2][1]))


def identity_batch(batch: int, size: VideoSize, gen: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor, List[str]]:
    """Still clips of the mascot on world backgrounds, zero flow, captions naming "pip"."""
    if size.height != size.width:
        raise ValueError("the world renders square clips")
    rng = _rng(gen)
    scenes = [_scene(rng, [], 1, {"yellow", "orange"}) for _ in range(batch)]
    backgrounds, _ = render_clips([ClipSpec([s], "") for s in scenes], frames=1, size=size.height)
    sprite = sprite_rgba()
    clips, captions = [], []
    for i, scene in enumerate(scenes):
        frame = (backgrounds[i, :, 0] + 1) / 2
        side = rng.randint(size.height // 4, size.height // 2)
        # Bilinear on RGBA keeps soft edges; the sprite is upscaled 2-5× at 128 px.
        img = F.interpolate(sprite[None], size=(side, side), mode="bilinear", align_corners=False)[0].clamp(0, 1)
        top, left = rng.randint(0, size.height - side), rng.randint(0, size.width - side)
        a = img[3:4]
        frame[:, top : top + side, left : left + side] = frame[:, top : top + side, left : left + side] * (1 - a) + img[:3] * a
        clips.append(frame[:, None].expand(3, size.frames, size.height, size.width))
        captions.append(f"{IDENTITY_TRIGGER} {_background_phrase(rng, scene)}")
    video = torch.stack(clips) * 2 - 1
    return video, torch.zeros(batch, 2, size.frames, size.height, size.width), captions


def path_points(kind: str, frames: int, phase: float) -> torch.Tensor:
    """[frames + 1, 2] centre positions (x, y) in [-1, 1] over one loop starting at `phase`;
    the extra point is where the shape goes after the last frame (for its flow)."""
    s = phase + torch.arange(frames + 1, dtype=torch.float32) / frames
    if kind == "figure-eight":
        # Gerono's lemniscate: one full figure eight per clip.
        xy = torch.stack([torch.sin(2 * math.pi * s), torch.sin(4 * math.pi * s) / 1.4], dim=-1)
    elif kind == "zigzag":
        # Left to right, bouncing up and down three times (no wrap: the last flow keeps going right).
        x = 2 * (s - phase) - 1
        tri = 2 * torch.abs(2 * ((3 * s) % 1.0) - 1) - 1
        xy = torch.stack([x, tri * 0.8], dim=-1)
    else:
        raise ValueError(f"unknown path {kind!r}: use figure-eight or zigzag")
    return xy * PATH_SCALE


def motion_batch(
    batch: int, size: VideoSize, gen: torch.Generator, path: str = "figure-eight"
) -> Tuple[torch.Tensor, torch.Tensor, List[str]]:
    """A world shape moving along the path: video, exact flow, captions."""
    if size.height != size.width:
        raise ValueError("the world renderer draws square clips")
    rng = _rng(gen)
    T, n = size.frames, size.height
    specs, paths, objects = [], [], []
    captions = []
    for _ in range(batch):
        shape, colour = rng.choice(list(SHAPES)), rng.choice(list(COLOURS))
        radius = rng.uniform(0.16, 0.24)
        pts = path_points(path, T, rng.random())
        base = _scene(rng, [], 1, {colour})
        scenes = []
        for f in range(T):
            obj = ObjectSpec(shape, colour, "still", float(pts[f, 0]), float(pts[f, 1]), radius, 0.0)
            scenes.append(SceneSpec([obj], base.background, base.bg_colour, base.bg_colour2, "none", 1))
        specs.append(ClipSpec(scenes, ""))
        paths.append(pts)
        objects.append((shape, radius))
        subject = f"{rng.choice(ARTICLES)} {rng.choice(COLOURS[colour][1])} {rng.choice(SHAPES[shape])}"
        captions.append(f"{subject} moves in a {MOTION_TRIGGERS[path]} {_background_phrase(rng, base)}")
    video, _ = render_clips(specs, frames=T, size=n)

    # Flow from frame f to f+1: the shape's pixels move with its centre; the background is still.
    lin = (torch.arange(n, dtype=torch.float32) + 0.5) / n * 2 - 1
    Y, X = torch.meshgrid(lin, lin, indexing="ij")
    flow = torch.zeros(batch, 2, T, n, n)
    px = n / 2  # normalised units -> pixels, as in world.render
    for i, ((shape, radius), pts) in enumerate(zip(objects, paths)):
        for f in range(T):
            mask, _ = SHAPE_FUNCS[shape]((X - pts[f, 0]) / radius, (Y - pts[f, 1]) / radius)
            d = (pts[f + 1] - pts[f]) * px
            flow[i, 0, f][mask] = float(d[0])
            flow[i, 1, f][mask] = float(d[1])
    return video, flow, captions
