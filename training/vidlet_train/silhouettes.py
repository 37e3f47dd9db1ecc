"""The objects' silhouettes of a dataset's clips, as targets for the DiT's training-only mask head.

VideoJAM makes a DiT predict motion alongside appearance so that its representation has to hold
motion; the mask head does the same for outline: from the last block's tokens it predicts where
the object is, at a finer grid than the tokens (`DiTConfig.mask_head` cells per latent pixel
side), so shape is something the tokens must encode rather than a detail of the latent MSE.
Targets are re-rendered from the specs a shard stores (the world is procedural), then cached.
"""
from __future__ import annotations

import os
import time

import torch
import torch.nn.functional as F

from .runtime import save_atomic
from .world import render_clips
from .world.sample import ClipSpec


def clip_silhouettes(specs: list[dict], latent_frames: int, grid: int, frames: int = 16, size: int = 128,
                     chunk: int = 4) -> torch.Tensor:
    """Stored specs -> uint8 [n, latent_frames, grid, grid]: the share of each cell the objects
    cover, averaged over the video frames each latent frame stands for (255 = always covered).
    Rendered at the clips' own size (~0.03 s of CPU a clip): at 64 px a thin part's cell was off
    by up to 0.44."""
    out = []
    for i in range(0, len(specs), chunk):
        batch = [ClipSpec.from_dict(d) for d in specs[i:i + chunk]]
        _, _, seen = render_clips(batch, frames, size, with_mask=True)
        b = seen.shape[0]
        x = seen.float().reshape(b, latent_frames, frames // latent_frames, size, size).mean(2)
        x = F.adaptive_avg_pool2d(x, grid)
        out.append((x * 255).round().to(torch.uint8))
    return torch.cat(out)


def load_silhouettes(data_dir: str, specs: list[dict], latent_frames: int, grid: int) -> torch.Tensor:
    """clip_silhouettes of a dataset folder, cached there (a function of the specs alone)."""
    path = os.path.join(data_dir, f"silhouettes-{grid}.pt")
    if os.path.exists(path):
        cached = torch.load(path)
        if cached.shape[0] == len(specs):
            return cached
    t0 = time.time()
    sil = clip_silhouettes(specs, latent_frames, grid)
    save_atomic(sil, path)
    print(f"{path}: {len(specs)} clips' silhouettes, {time.time() - t0:.0f}s", flush=True)
    return sil


def silhouette_loss(logits: torch.Tensor, target_u8: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of the head's logits [B, t, G, G] against covered shares (soft labels)."""
    return F.binary_cross_entropy_with_logits(logits.float(), target_u8.float() / 255)
