"""Scores for generated clips, to measure trained adapters (and DualReal against constant blending):

* `identity_score`: how much the clip shows the mascot: the best masked normalised
  cross-correlation of a frame with the reference sprite over positions and sizes (the procedural
  stand-in for DualReal's CLIP-I / DINO-I: the subject's exact look is known here);
* `path_score`: how closely the moving subject's centre follows the path (figure-eight, zig-zag):
  the subject is found as what differs from the clip's per-pixel median, its centroid tracked,
  and the track correlated with the path over all start phases and both directions.

* `identity_specificity`: `identity_score` minus the same score for decoy sprites (the mascot's
  own opaque pixels shuffled: same colours, same outline, no face). The best match over thousands
  of windows is high for any field of the mascot's colours: coloured noise from a broken adapter
  scored 0.52, above every real clip. A clip that shows the mascot matches it far better than
  its decoys; noise matches both alike (≈ 0).

All take one clip [3, T, H, W] in [-1, 1] and return a number in [-1, 1] (1 = perfect).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from .data import path_points, sprite_rgba

# Sprite sizes tried, as fractions of the frame height (training draws it at 1/4 … 1/2).
SIZES = (0.2, 0.25, 0.3, 0.375, 0.45, 0.5, 0.6)


def _xcorr_valid(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Σ over channels and window of x·k at every valid position: x [N,C,H,W], k [C,s,s] ->
    [N, H-s+1, W-s+1]. Through the FFT in float64: the sprite windows are up to 77 px wide and a
    direct conv2d over every frame and size took ~4 s per clip on 2 CPU cores."""
    _, _, H, W = x.shape
    s = k.shape[-1]
    fx = torch.fft.rfft2(x.double(), s=(H, W))
    fk = torch.fft.rfft2(k.double().flip(-1, -2), s=(H, W))
    full = torch.fft.irfft2((fx * fk[None]).sum(1), s=(H, W))
    return full[:, s - 1 :, s - 1 :]


def _masked_ncc(frames: torch.Tensor, template: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """NCC of template (3,s,s) against every window of each frame [N,3,H,W], over the mask's
    pixels only: [N, H-s+1, W-s+1]."""
    n = mask.sum() * 3
    t = (template - (template * mask).sum() * 3 / n / 3) * mask
    t = t / t.pow(2).sum().sqrt().clamp(min=1e-8)
    m = mask.expand(3, -1, -1)
    s1 = _xcorr_valid(frames, m)  # Σ x over the mask
    s2 = _xcorr_valid(frames * frames, m)  # Σ x² over the mask
    xt = _xcorr_valid(frames, t)  # Σ x·t (t is zero-mean on the mask)
    var = (s2 - s1 * s1 / n).clamp(min=1e-8)
    return (xt / var.sqrt()).float()


@torch.no_grad()
def identity_score(clip: torch.Tensor, frames: Sequence[int] | None = None, sprite: torch.Tensor | None = None) -> float:
    """Mean over frames of the best sprite NCC (sizes × positions); `sprite` [4, h, w] RGBA in
    [0, 1], default the mascot's reference sprite."""
    _, T, H, W = clip.shape
    sprite = sprite_rgba() if sprite is None else sprite
    picks = list(frames) if frames is not None else list(range(T))
    frames_ = (clip[:, picks].permute(1, 0, 2, 3) + 1) / 2  # [N, 3, H, W] in [0, 1]
    best = torch.full((len(picks),), -1.0)
    for frac in SIZES:
        side = max(8, round(frac * H))
        if side > min(H, W):
            continue
        # Nearest keeps the sprite's hard colour regions; training pastes it bilinearly, so
        # the score is a little below 1 even for a perfect copy.
        s = F.interpolate(sprite[None], size=(side, side), mode="nearest")[0]
        ncc = _masked_ncc(frames_, s[:3], (s[3:4] > 0.5).float())
        best = torch.maximum(best, ncc.flatten(1).max(1).values)
    best_per_frame = best.tolist()
    return sum(best_per_frame) / len(best_per_frame)


def decoy_sprites(count: int = 3, seed: int = 0) -> list[torch.Tensor]:
    """The reference sprite with its opaque pixels' colours shuffled (fixed seeds): the same
    palette in the same amounts and the same outline, but not the mascot."""
    sprite = sprite_rgba()
    inside = (sprite[3] > 0.5).flatten().nonzero().flatten()
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        d = sprite.clone().flatten(1)
        d[:3, inside] = d[:3, inside[torch.randperm(len(inside), generator=g)]]
        out.append(d.view_as(sprite))
    return out


@torch.no_grad()
def identity_specificity(clip: torch.Tensor, decoys: Sequence[torch.Tensor] | None = None) -> float:
    """identity_score with the mascot minus its mean with the decoy sprites."""
    decoys = decoy_sprites() if decoys is None else decoys
    return identity_score(clip) - sum(identity_score(clip, sprite=d) for d in decoys) / len(decoys)


@torch.no_grad()
def track_subject(clip: torch.Tensor, threshold: float = 0.25) -> torch.Tensor:
    """[T, 2] centroid (x, y) in [-1, 1] of what differs from the per-pixel median; NaN where
    nothing does (a still clip, or the subject hidden)."""
    _, T, H, W = clip.shape
    background = clip.median(dim=1).values
    diff = (clip - background[:, None]).abs().sum(0)  # [T, H, W]
    mask = (diff > threshold).float()
    ys = (torch.arange(H, dtype=torch.float32) + 0.5) / H * 2 - 1
    xs = (torch.arange(W, dtype=torch.float32) + 0.5) / W * 2 - 1
    area = mask.sum((1, 2))
    cx = (mask * xs[None, None, :]).sum((1, 2)) / area
    cy = (mask * ys[None, :, None]).sum((1, 2)) / area
    track = torch.stack([cx, cy], -1)
    track[area < 4] = float("nan")
    return track


def _corr(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = float(a.norm() * b.norm())
    return float((a * b).sum()) / den if den > 1e-8 else 0.0


@torch.no_grad()
def path_score(clip: torch.Tensor, path: str = "figure-eight", phases: int = 64) -> float:
    """Best mean (x, y) correlation of the tracked centre with the path, over start phases and
    both directions of travel; 0 when the subject cannot be tracked in most frames."""
    T = clip.shape[1]
    track = track_subject(clip)
    ok = ~torch.isnan(track).any(-1)
    if int(ok.sum()) < max(4, T // 2):
        return 0.0
    best = -1.0
    for k in range(phases):
        ref = path_points(path, T, k / phases)[:T]
        for direction in (1, -1):
            r = ref if direction == 1 else ref.flip(0)
            score = 0.5 * (_corr(track[ok, 0], r[ok, 0]) + _corr(track[ok, 1], r[ok, 1]))
            best = max(best, score)
    return best if math.isfinite(best) else 0.0
