"""Procedural data for the two adapters, things the base world does not contain:

* identity: "pip", a mascot drawn from the reference sprite below, at random sizes and places on
  random backgrounds; each sample is a still clip (the same frame T times), as DualReal trains
  identity from reference images;
* motion: a plain shape travelling along a figure-eight (or zig-zag) path, a path the base
  world's motions (straight lines, bounces, circles) do not include.

Clips are float32 [B, 3, T, H, W] in [-1, 1] (docs/model-package.md). When the training
engineer's world renderer is importable, its backgrounds and shapes can replace the simple ones
here (see docs/adapter-format.md, "Next steps"); the subject and path stay these.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Tuple

import torch
import torch.nn.functional as F

# The reference sprite (12×12): '.' transparent, letters index PALETTE. A round yellow body,
# two pointed ears, big eyes, a red bow: readable at 24 px, unlike anything in the base world.
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
    "r": (0.85, 0.10, 0.15),  # bow / mouth
}
IDENTITY_TRIGGER = "pip"
MOTION_TRIGGER = "figure eight"
MOTION_TRIGGERS = {"figure-eight": MOTION_TRIGGER, "zigzag": "zig zag"}

# Background and shape colours by name (captions use the names).
COLOURS = {
    "blue": (0.20, 0.35, 0.80),
    "green": (0.20, 0.65, 0.30),
    "purple": (0.50, 0.25, 0.65),
    "grey": (0.55, 0.55, 0.55),
    "teal": (0.15, 0.55, 0.60),
    "red": (0.85, 0.15, 0.15),
    "white": (0.95, 0.95, 0.95),
    "orange": (0.95, 0.55, 0.10),
}
BACKGROUNDS = ["blue", "green", "purple", "grey", "teal"]
SHAPE_COLOURS = ["red", "white", "orange"]


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


def _background(colour: str, size: VideoSize, gen: torch.Generator) -> torch.Tensor:
    """[3, H, W] in [0, 1]: the colour with a soft vertical gradient."""
    base = torch.tensor(COLOURS[colour]).view(3, 1, 1)
    ramp = torch.linspace(1.1, 0.8, size.height).view(1, -1, 1)
    return (base * ramp).expand(3, size.height, size.width).clamp(0, 1).clone()


def _paste(canvas: torch.Tensor, rgba: torch.Tensor, top: int, left: int) -> None:
    """Alpha-composites rgba [4, h, w] onto canvas [3, H, W] in place (clipped at the edges)."""
    _, h, w = rgba.shape
    _, H, W = canvas.shape
    y0, x0, y1, x1 = max(top, 0), max(left, 0), min(top + h, H), min(left + w, W)
    if y0 >= y1 or x0 >= x1:
        return
    patch = rgba[:, y0 - top : y1 - top, x0 - left : x1 - left]
    a = patch[3:4]
    canvas[:, y0:y1, x0:x1] = canvas[:, y0:y1, x0:x1] * (1 - a) + patch[:3] * a


def identity_batch(batch: int, size: VideoSize, gen: torch.Generator) -> Tuple[torch.Tensor, List[str]]:
    """Still clips of the mascot: [B, 3, T, H, W] in [-1, 1] and their captions."""
    sprite = sprite_rgba()
    clips, captions = [], []
    for _ in range(batch):
        bg = BACKGROUNDS[int(torch.randint(len(BACKGROUNDS), (1,), generator=gen))]
        side = int(torch.randint(size.height // 4, size.height // 2 + 1, (1,), generator=gen))
        # Bilinear on RGBA keeps soft edges; the sprite is upscaled 2-5× at 128 px.
        img = F.interpolate(sprite[None], size=(side, side), mode="bilinear", align_corners=False)[0].clamp(0, 1)
        top = int(torch.randint(0, size.height - side + 1, (1,), generator=gen))
        left = int(torch.randint(0, size.width - side + 1, (1,), generator=gen))
        frame = _background(bg, size, gen)
        _paste(frame, img, top, left)
        clips.append(frame[:, None].expand(3, size.frames, size.height, size.width))
        captions.append(f"{IDENTITY_TRIGGER} on a {bg} background")
    return torch.stack(clips) * 2 - 1, captions


def path_points(kind: str, frames: int, phase: float) -> torch.Tensor:
    """[T, 2] positions (x, y) in [-1, 1] along the path over one loop, starting at `phase`."""
    s = phase + torch.arange(frames, dtype=torch.float32) / frames
    if kind == "figure-eight":
        # Gerono's lemniscate: one full figure eight per clip.
        return torch.stack([torch.sin(2 * math.pi * s), torch.sin(4 * math.pi * s) / 1.4], dim=-1)
    if kind == "zigzag":
        # Left to right across the clip while bouncing up and down three times.
        x = 2 * ((s % 1.0) - 0.5)
        tri = 2 * torch.abs(2 * ((3 * s) % 1.0) - 1) - 1
        return torch.stack([x, tri * 0.8], dim=-1)
    raise ValueError(f"unknown path {kind!r}: use figure-eight or zigzag")


def motion_batch(
    batch: int, size: VideoSize, gen: torch.Generator, path: str = "figure-eight"
) -> Tuple[torch.Tensor, List[str]]:
    """A ball moving along the path: [B, 3, T, H, W] in [-1, 1] and captions."""
    clips, captions = [], []
    yy, xx = torch.meshgrid(torch.arange(size.height).float(), torch.arange(size.width).float(), indexing="ij")
    for _ in range(batch):
        bg = BACKGROUNDS[int(torch.randint(len(BACKGROUNDS), (1,), generator=gen))]
        colour = SHAPE_COLOURS[int(torch.randint(len(SHAPE_COLOURS), (1,), generator=gen))]
        phase = float(torch.rand((), generator=gen))
        radius = size.height * (0.07 + 0.04 * float(torch.rand((), generator=gen)))
        pts = path_points(path, size.frames, phase)
        cx = (pts[:, 0] * 0.35 + 0.5) * size.width
        cy = (pts[:, 1] * 0.35 + 0.5) * size.height
        back = _background(bg, size, gen)
        rgb = torch.tensor(COLOURS[colour]).view(3, 1, 1)
        frames = []
        for f in range(size.frames):
            # Anti-aliased disc: coverage ramps over one pixel at the rim.
            cover = (radius + 0.5 - torch.sqrt((xx - cx[f]) ** 2 + (yy - cy[f]) ** 2)).clamp(0, 1)
            frames.append(back * (1 - cover) + rgb * cover)
        clips.append(torch.stack(frames, dim=1))
        captions.append(f"a {colour} ball moving in a {MOTION_TRIGGERS[path]} on a {bg} background")
    return torch.stack(clips) * 2 - 1, captions
