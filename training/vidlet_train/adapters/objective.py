"""The flow-matching objective adapters are trained with: the base model's own (VideoJAM joint
appearance + motion loss, logit-normal t, docs/model-package.md conventions), so an adapter
learns in the same space the base model was trained in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import torch

from .base import BaseModel


@dataclass
class NoisyBatch:
    xt: torch.Tensor
    dt: Optional[torch.Tensor]
    t: torch.Tensor
    target_x: torch.Tensor
    target_d: Optional[torch.Tensor]
    text: torch.Tensor
    mask: torch.Tensor


def sample_t(batch: int, gen: torch.Generator) -> torch.Tensor:
    """Logit-normal t, as the base DiT was trained (vidlet_train.train_dit): most weight mid-way."""
    return torch.sigmoid(torch.randn(batch, generator=gen))


def noisy_batch(base: BaseModel, video: torch.Tensor, flow: torch.Tensor, captions: List[str], gen: torch.Generator) -> NoisyBatch:
    """x_t = (1−t)·x + t·ε and target v = ε − x, for the video latent and the motion latent."""
    x0, d0 = base.latents(video, flow)
    t = sample_t(x0.shape[0], gen)
    tt = t.view(-1, 1, 1, 1, 1)
    ex = torch.randn(x0.shape, generator=gen)
    xt = (1 - tt) * x0 + tt * ex
    dt = target_d = None
    if d0 is not None:
        ed = torch.randn(d0.shape, generator=gen)
        dt, target_d = (1 - tt) * d0 + tt * ed, ed - d0
    text, mask = base.text(captions)
    return NoisyBatch(xt, dt, t, ex - x0, target_d, text, mask)


def loss(base: BaseModel, b: NoisyBatch) -> torch.Tensor:
    """Mean squared velocity error, summed over the appearance and motion streams."""
    vx, vd = base.velocity(b.xt, b.dt, b.t, b.text, b.mask)
    total = ((vx - b.target_x) ** 2).mean()
    if vd is not None and b.target_d is not None:
        total = total + ((vd - b.target_d) ** 2).mean()
    return total
