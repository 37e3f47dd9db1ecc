"""DualReal's StageBlender: a small MLP from the timestep embedding (+ pooled text tokens) to one
weight α per block group; the identity adapter acts with α, the motion adapter with c − α, so
early (noisy) steps and deep blocks can lean on motion and late steps on identity.

The engine does not run this MLP: `table()` evaluates it on a grid of timesteps with a fixed
text input and the engine interpolates that table (src/engine/adapters/stage-blender.ts).
"""
from __future__ import annotations

import math
from typing import Callable, List, Optional, Sequence

import torch
from torch import nn


def even_block_groups(depth: int, count: int) -> List[List[int]]:
    """Same split as evenBlockGroups in src/engine/adapters/block-groups.ts."""
    if not 1 <= count <= depth:
        raise ValueError(f"cannot split {depth} blocks into {count} groups")
    groups, start = [], 0
    for g in range(count):
        size = depth // count + (1 if g < depth % count else 0)
        groups.append(list(range(start, start + size)))
        start += size
    return groups


def sinusoidal_embedding(t: torch.Tensor, dim: int = 64, max_period: float = 10000.0) -> torch.Tensor:
    """The usual DiT timestep embedding of t in [0,1] (scaled to 0..1000 as DiT/diffusers do)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = (t.float() * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def pool_text(text: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the text tokens that are not padding: [B, L, H], [B, L] -> [B, H]."""
    m = mask.to(text.dtype).unsqueeze(-1)
    return (text * m).sum(1) / m.sum(1).clamp(min=1.0)


class StageBlender(nn.Module):
    """α(t, text) in (0, c) per block group: c·sigmoid(MLP([emb(t), pooled text]))."""

    def __init__(
        self,
        depth: int,
        groups: Sequence[Sequence[int]],
        text_dim: int,
        c: float = 2.0,
        t_dim: int = 64,
        hidden: int = 64,
        embed_t: Optional[Callable[[torch.Tensor], torch.Tensor]] = None,
        use_text: bool = True,
    ):
        super().__init__()
        if sorted(b for g in groups for b in g) != list(range(depth)):
            raise ValueError(f"groups {groups} must partition blocks 0..{depth - 1}")
        self.depth = depth
        self.groups = [list(g) for g in groups]
        self.c = float(c)
        # embed_t lets the caller feed the DiT's own (frozen) timestep embedding; its width is t_dim.
        self.embed_t = embed_t or (lambda t: sinusoidal_embedding(t, t_dim))
        # use_text=False: α depends on the timestep (and block group) only. See DualRealConfig.
        self.use_text = use_text
        self.net = nn.Sequential(nn.Linear(t_dim + (text_dim if use_text else 0), hidden), nn.SiLU(), nn.Linear(hidden, len(self.groups)))
        # Zero last layer: α = c/2 everywhere at the start, i.e. both adapters at equal weight,
        # and training moves away from that only where the data says so.
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)
        block_group = torch.empty(depth, dtype=torch.long)
        for g, blocks in enumerate(self.groups):
            block_group[blocks] = g
        self.register_buffer("block_group", block_group, persistent=False)

    def forward(self, t: torch.Tensor, pooled_text: torch.Tensor) -> torch.Tensor:
        """α per group, [B, G]."""
        x = self.embed_t(t).to(pooled_text.dtype)
        if self.use_text:
            x = torch.cat([x, pooled_text], dim=-1)
        return self.c * torch.sigmoid(self.net(x))

    def block_scales(self, alpha: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """[B, G] α -> identity scales [B, D] = α, motion scales [B, D] = c − α (per block)."""
        per_block = alpha[:, self.block_group]
        return per_block, self.c - per_block

    @torch.no_grad()
    def table(self, timesteps: Sequence[float], pooled_text: torch.Tensor) -> torch.Tensor:
        """α on a timestep grid for one fixed text input [H] (e.g. the mean of the training
        captions' pooled embeddings): [N, G], the rows of the exported table."""
        t = torch.tensor(list(timesteps), dtype=torch.float32, device=pooled_text.device)
        return self.forward(t, pooled_text.expand(len(timesteps), -1))
