"""Plain LoRA training of one adapter (identity, motion or style) at constant strength 1: the
baseline DualReal is compared with, and the way to make a style adapter.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import torch

from . import objective
from .base import BaseModel
from .export import export_adapter
from .lora import LoRAInjection, inject_lora

# (batch size, video size, generator) -> (clips [B,3,T,H,W] in [-1,1], flow [B,2,T,H,W], captions)
BatchFn = Callable[[int, object, torch.Generator], Tuple[torch.Tensor, torch.Tensor, List[str]]]


@dataclass
class SingleConfig:
    steps: int = 1000
    batch: int = 8
    rank: int = 8
    alpha: float = 8.0
    lr: float = 1e-3
    seed: int = 0
    pool: int = 0  # > 0: draw from this many clips encoded once (objective.LatentPool)


def train_single(
    base: BaseModel, batches: BatchFn, cfg: SingleConfig, log: Callable[[str], None] = print, log_every: int = 50
) -> Tuple[LoRAInjection, List[float], float]:
    """Returns the injection (set 'adapter'), the loss per step and the wall time in seconds."""
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    for p in base.dit.parameters():
        p.requires_grad_(False)
    inj = inject_lora(base.dit, sets=("adapter",), rank=cfg.rank, alpha=cfg.alpha)
    inj.set_scales("adapter", 1.0)
    opt = torch.optim.AdamW(inj.parameters("adapter"), lr=cfg.lr, weight_decay=0.0)
    losses: List[float] = []
    start = time.time()
    pool = objective.LatentPool(base, batches, cfg.pool, gen) if cfg.pool > 0 else None
    base.dit.train()
    for step in range(1, cfg.steps + 1):
        if pool is not None:
            batch = pool.noisy_batch(base, cfg.batch, gen)
        else:
            video, flow, captions = batches(cfg.batch, base.video, gen)
            batch = objective.noisy_batch(base, video, flow, captions, gen)
        opt.zero_grad(set_to_none=True)
        loss = objective.loss(base, batch)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % log_every == 0 or step == cfg.steps:
            log(f"step {step}/{cfg.steps} loss {losses[-1]:.4f}")
    inj.set_scales("adapter", None)
    return inj, losses, time.time() - start


def export_single(
    inj: LoRAInjection,
    base: BaseModel,
    out_dir: Path,
    name: str,
    kind: str,
    trigger_words: Sequence[str],
    cfg: SingleConfig,
    losses: List[float],
    wall_seconds: float,
    command: str = "",
) -> Dict[str, object]:
    training = {
        "method": "LoRA (single adapter, constant strength 1)",
        "config": asdict(cfg),
        "wallSeconds": round(wall_seconds, 1),
        "finalLoss": losses[-1] if losses else None,
        "command": command,
    }
    return export_adapter(
        out_dir, name, kind, inj.state("adapter"), rank=cfg.rank, alpha=cfg.alpha, base_model=base.name,
        trigger_words=trigger_words, recommended_strength=1.0, training=training,
    )
