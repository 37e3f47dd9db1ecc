"""The flow-matching objective adapters are trained with: the base model's own (VideoJAM joint
appearance + motion loss, the same t distribution `timesteps.sample_t`, docs/model-package.md
conventions), so an adapter learns in the same space the base model was trained in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import torch

from ..timesteps import sample_t
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




def noisy_batch(base: BaseModel, video: torch.Tensor, flow: torch.Tensor, captions: List[str], gen: torch.Generator) -> NoisyBatch:
    """x_t = (1−t)·x + t·ε and target v = ε − x, for the video latent and the motion latent."""
    x0, d0 = base.latents(video, flow)
    return noisy_latents(base, x0, d0, captions, gen)


def noisy_latents(base: BaseModel, x0: torch.Tensor, d0: Optional[torch.Tensor], captions: List[str], gen: torch.Generator) -> NoisyBatch:
    """noisy_batch for clips already encoded."""
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


class LatentPool:
    """A fixed set of clips, encoded once, that batches are drawn from.

    The adapters' clips are rendered on the fly, and encoding them (video and flow) through the VAE
    costs more than the LoRA step they feed: with the 4-channel `vae.py` VAE, 1.1 s of a 1.5 s step
    on 2 cores. A pool of a thousand clips keeps the narrow data an adapter learns from (one mascot,
    one path) varied enough, and every draw gets fresh noise and t.
    """

    def __init__(self, base: BaseModel, batches: Callable[..., Tuple[torch.Tensor, torch.Tensor, List[str]]],
                 size: int, gen: torch.Generator, chunk: int = 8):
        xs, ds, self.captions = [], [], []
        while len(self.captions) < size:
            video, flow, captions = batches(min(chunk, size - len(self.captions)), base.video, gen)
            x0, d0 = base.latents(video, flow)
            xs.append(x0)
            ds.append(d0)
            self.captions += captions
        self.x0 = torch.cat(xs)
        self.d0 = None if ds[0] is None else torch.cat(ds)

    def __len__(self) -> int:
        return len(self.captions)

    def noisy_batch(self, base: BaseModel, batch: int, gen: torch.Generator) -> NoisyBatch:
        idx = torch.randint(len(self), (batch,), generator=gen)
        d0 = None if self.d0 is None else self.d0[idx]
        return noisy_latents(base, self.x0[idx], d0, [self.captions[i] for i in idx.tolist()], gen)
