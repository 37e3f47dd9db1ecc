"""The known ways a take is made worse: pixel degradations (visual quality) and time warps (motion
quality). Each is a pure function of its inputs and a torch.Generator, so a pair is the same on every
run with the same seed.

Pixel degradations act on one clip [3, T, H, W] in [-1, 1] with a strength u in (0, 1]; the ranges
are in pixels of the 128 × 128 package video (docs/model-package.md):
  blur    Gaussian, σ = 0.5 + 2·u px                  (u = 0.3: σ 1.1, a soft edge; u = 1: σ 2.5)
  noise   i.i.d. Gaussian per pixel and frame, std = 0.03 + 0.12·u of the [-1, 1] range (≤ 19/255)
  blocks  4 × 4 or 8 × 8 block means blended in with weight 0.25 + 0.5·u (a DC-only codec)
Every degraded frame still shows the same object, colours and path, so the take's text alignment
is the same as the clean take's: TA ties by construction. The maxima were lowered until the object
stays readable (at blur σ 3, noise std 0.2 or 16 × 16 blocks the shape was hard to tell even by
eye); the judge, a pixel-threshold segmenter, still misreads some strongly degraded clips — see
README.md for the measured rates and tests/test_reward.py for the checked cases.

Time warps pick, for each output frame k of a scene of n frames, which instant τ_k of the scene it
shows, on a grid M times finer than the frames (the scene rendered with (n − 1)·M + 1 frames shows
instant k·M exactly as the normal render shows frame k). The first and last frames are never moved,
so where the object starts and ends — what the judge reads as its direction — is kept:
  frozen    runs of 2–4 frames repeat the frame before them, then the clip jumps to catch up
  teleport  one or two frames show the object 4–8 frames ahead of or behind its place
  jitter    every inner frame shows an instant up to 0.5–1.5 frames off its own (uneven, back-and-forth)
"""
from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F

PIXEL_DEGRADATIONS = ("blur", "noise", "blocks")
TIME_WARPS = ("frozen", "teleport", "jitter")
FINE = 4  # sub-steps per frame interval of the fine render that time warps choose from


def blur(video: torch.Tensor, u: float) -> torch.Tensor:
    sigma = 0.5 + 2.0 * u
    r = int(math.ceil(3 * sigma))
    x = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    k = k / k.sum()
    c, t, h, w = video.shape
    f = video.permute(1, 0, 2, 3)  # [T, 3, H, W]
    f = F.conv2d(F.pad(f, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    f = F.conv2d(F.pad(f, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    return f.permute(1, 0, 2, 3).contiguous()


def noise(video: torch.Tensor, u: float, gen: torch.Generator) -> torch.Tensor:
    std = 0.03 + 0.12 * u
    return (video + std * torch.randn(video.shape, generator=gen)).clamp(-1, 1)


def blocks(video: torch.Tensor, u: float, block: int = 8) -> torch.Tensor:
    alpha = 0.25 + 0.5 * u
    means = F.avg_pool2d(video, block)  # [3, T, H/b, W/b]: the frames are the pooled "image" dims' batch
    flat = means.repeat_interleave(block, -1).repeat_interleave(block, -2)
    return alpha * flat + (1 - alpha) * video


def degrade(video: torch.Tensor, kind: str, u: float, gen: torch.Generator) -> torch.Tensor:
    """One clip [3, T, H, W] in [-1, 1] made worse in visual quality by `kind` at strength u."""
    if kind == "blur":
        return blur(video, u)
    if kind == "noise":
        return noise(video, u, gen)
    if kind == "blocks":
        sizes = [b for b in (4, 8) if video.shape[-1] % b == 0 and video.shape[-2] % b == 0]
        return blocks(video, u, sizes[int(torch.randint(len(sizes), (1,), generator=gen))])
    raise ValueError(f"unknown pixel degradation {kind!r}; known: {', '.join(PIXEL_DEGRADATIONS)}")


def fine_frames(n: int) -> int:
    """Frames of the fine render of an n-frame scene."""
    return (n - 1) * FINE + 1 if n > 1 else 1


def truth_times(n: int) -> list[int]:
    return [k * FINE for k in range(n)]


def warp_times(n: int, kind: str, rng: random.Random) -> list[int]:
    """Fine instants τ_k (0 … (n−1)·FINE) an n-frame scene shows under warp `kind`; first and last fixed."""
    last = (n - 1) * FINE
    tau = truth_times(n)
    if n < 4:
        return tau  # too short to warp without moving the first or last frame
    inner = list(range(1, n - 1))
    if kind == "frozen":
        for _ in range(rng.randint(1, 3)):
            k = rng.choice(inner)
            for j in range(k, min(k + rng.randint(2, 4), n - 1)):
                tau[j] = tau[k - 1]
    elif kind == "teleport":
        for k in rng.sample(inner, min(len(inner), rng.randint(1, 2))):
            jump = rng.randint(4, 8) * FINE * rng.choice((-1, 1))
            if not 0 <= tau[k] + jump <= last:
                jump = -jump
            tau[k] = min(max(tau[k] + jump, 0), last)
    elif kind == "jitter":
        amp = rng.uniform(0.5, 1.5) * FINE
        for k in inner:
            tau[k] = min(max(k * FINE + round(rng.uniform(-amp, amp)), 0), last)
    else:
        raise ValueError(f"unknown time warp {kind!r}; known: {', '.join(TIME_WARPS)}")
    return tau
