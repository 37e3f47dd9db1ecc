"""Flow-DPO fine-tuning of one LoRA adapter on a frozen base, from (winner, loser) latent pairs.

θ is the base with the adapter at strength 1; the reference is the same module with the adapter
off (scale None), which is exactly "the base without the adapter" and costs no second copy of the
DiT. Winner and loser share t and noise (the loss compares their errors under the same corruption,
so the noise itself cancels from the preference). Timesteps come from `timesteps.sample_t`, the
distribution the base and every adapter were trained with.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

from ..adapters.base import BaseModel
from ..adapters.export import export_adapter
from ..adapters.lora import LoRAInjection, inject_lora
from ..timesteps import sample_t
from .flow_dpo_loss import PAPER_BETA, flow_dpo_loss, per_sample_sq_error


@dataclass
class LatentPair:
    """Clean latents x0 of the winner and the loser (appearance, and motion or None), and the prompt."""
    xw: torch.Tensor
    dw: Optional[torch.Tensor]
    xl: torch.Tensor
    dl: Optional[torch.Tensor]
    caption: str


@dataclass
class DpoConfig:
    steps: int = 300
    batch: int = 4
    rank: int = 8
    alpha: float = 8.0
    lr: float = 1e-4  # DPO moves away from a good reference; a small rate keeps it near (as Diffusion-DPO)
    beta: float = PAPER_BETA
    seed: int = 0


def _errors(velocity, x0, d0, noise_x, noise_d, t, text, mask) -> torch.Tensor:
    """Per-sample ‖v − v_model(x_t)‖², appearance plus motion as the base objective sums them."""
    tt = t.view(-1, 1, 1, 1, 1)
    xt = (1 - tt) * x0 + tt * noise_x
    dt = None if d0 is None else (1 - tt) * d0 + tt * noise_d
    vx, vd = velocity(xt, dt, t, text, mask)
    err = per_sample_sq_error(vx, noise_x - x0)
    if vd is not None and d0 is not None:
        err = err + per_sample_sq_error(vd, noise_d - d0)
    return err


@dataclass
class PairBatch:
    xw: torch.Tensor
    dw: Optional[torch.Tensor]
    xl: torch.Tensor
    dl: Optional[torch.Tensor]
    text: torch.Tensor
    mask: torch.Tensor
    t: torch.Tensor
    nx: torch.Tensor  # shared by winner and loser
    nd: Optional[torch.Tensor]


def draw_pairs(base: BaseModel, pairs: Sequence[LatentPair], gen: torch.Generator) -> PairBatch:
    xw = torch.stack([p.xw for p in pairs])
    xl = torch.stack([p.xl for p in pairs])
    dw = None if pairs[0].dw is None else torch.stack([p.dw for p in pairs])
    dl = None if pairs[0].dl is None else torch.stack([p.dl for p in pairs])
    text, mask = base.text([p.caption for p in pairs])
    t = sample_t(len(pairs), gen)
    nx = torch.randn(xw.shape, generator=gen)
    nd = None if dw is None else torch.randn(dw.shape, generator=gen)
    return PairBatch(xw, dw, xl, dl, text, mask, t, nx, nd)


def pair_errors(velocity, b: PairBatch) -> Tuple[torch.Tensor, torch.Tensor]:
    """(winner's, loser's) per-sample errors under the same t and noise."""
    return (_errors(velocity, b.xw, b.dw, b.nx, b.nd, b.t, b.text, b.mask),
            _errors(velocity, b.xl, b.dl, b.nx, b.nd, b.t, b.text, b.mask))


def dpo_step_loss(base: BaseModel, inj: LoRAInjection, pairs: Sequence[LatentPair], gen: torch.Generator, beta: float) -> torch.Tensor:
    b = draw_pairs(base, pairs, gen)
    inj.set_scales("adapter", None)
    with torch.no_grad():
        ref_w, ref_l = pair_errors(base.velocity, b)
    inj.set_scales("adapter", 1.0)
    th_w, th_l = pair_errors(base.velocity, b)
    return flow_dpo_loss(th_w, ref_w, th_l, ref_l, beta=beta)


def train_flow_dpo(base: BaseModel, pairs: List[LatentPair], cfg: DpoConfig,
                   log: Callable[[str], None] = print, log_every: int = 10) -> Tuple[LoRAInjection, List[float], float]:
    if not pairs:
        raise ValueError("no decisive votes to learn from (every pair was a tie or not voted on this dimension)")
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    for p in base.dit.parameters():
        p.requires_grad_(False)
    inj = inject_lora(base.dit, sets=("adapter",), rank=cfg.rank, alpha=cfg.alpha)
    opt = torch.optim.AdamW(inj.parameters("adapter"), lr=cfg.lr, weight_decay=0.0)
    losses: List[float] = []
    start = time.time()
    base.dit.train()
    for step in range(1, cfg.steps + 1):
        idx = torch.randint(len(pairs), (min(cfg.batch, len(pairs)),), generator=gen).tolist()
        opt.zero_grad(set_to_none=True)
        loss = dpo_step_loss(base, inj, [pairs[i] for i in idx], gen, cfg.beta)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % log_every == 0 or step == cfg.steps:
            log(f"step {step}/{cfg.steps} flow-dpo loss {losses[-1]:.4f} (log 2 = 0.6931 at the reference)")
    inj.set_scales("adapter", None)
    return inj, losses, time.time() - start


def export_flow_dpo(inj: LoRAInjection, base: BaseModel, out_dir: Path, name: str, cfg: DpoConfig,
                    losses: List[float], wall: float, votes_used: int, dimension: str, command: str = "") -> Dict[str, object]:
    """The existing adapter format (adapters.export), kind "style": a preference adapter has no
    trigger word and applies to every prompt. Writes <out>/<name>.entry.json for adapters.install."""
    training = {
        "method": f"Flow-DPO (VideoAlign) on {votes_used} decisive votes, dimension {dimension}",
        "config": asdict(cfg),
        "wallSeconds": round(wall, 1),
        "finalLoss": losses[-1] if losses else None,
        "command": command,
    }
    entry = export_adapter(out_dir, name, "style", inj.state("adapter"), rank=cfg.rank, alpha=cfg.alpha,
                           base_model=base.name, trigger_words=[], recommended_strength=1.0, training=training)
    (Path(out_dir) / f"{name}.entry.json").write_text(json.dumps(entry, indent=2) + "\n")
    return entry
