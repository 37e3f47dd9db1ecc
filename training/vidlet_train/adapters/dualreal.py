"""DualReal adaptive joint training of an identity and a motion adapter (shared/DESIGN.md §3).

Per step: draw an identity batch (stills of the mascot) with probability `identity_ratio`,
otherwise a motion batch (figure-eight clips); run the DiT with *both* adapter sets active,
weighted per sample and block by the StageBlender (identity α, motion c − α); flow-matching
loss; update only the set the batch is about (the other set's parameters get no gradient and
its optimizer does not step, so Adam's momentum cannot move it either) plus the blender.

`alone` (our addition, default 0.5): that share of each batch's samples runs with the other set
switched off and the batch's own set at strength 1, as a user loads one adapter by itself. Without
it the two sets co-adapt: each only ever sees its data *with the other active*, so each learns to
cancel the other's effect on its own data, and they grow into a large, opposing pair (measured
after 2000 steps with alone = 0: LoRA delta norms 84 and 197 against 14 and 13 for adapters
trained alone, cosine -0.86 between the two sets' deltas in block 0) that works only at the
blend it was trained at: either adapter alone at strength 1, or both at constant strength 1,
turns every clip into coloured noise. Samples with both on still train the blender.
"""
from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Dict, List, Optional

import torch

from . import objective
from .base import BaseModel
from .blender import StageBlender, even_block_groups, pool_text
from .data import IDENTITY_TRIGGER, MOTION_TRIGGERS, identity_batch, motion_batch
from .export import export_adapter, export_blender_table
from .lora import LoRAInjection, inject_lora

SETS = ("identity", "motion")


@dataclass
class DualRealConfig:
    steps: int = 2000
    batch: int = 8
    rank: int = 8
    alpha: float = 8.0
    lr: float = 1e-3
    blender_lr: float = 1e-3
    # c = 2 makes the blender's starting point α = c/2 = 1: both adapters at full strength,
    # the same as loading them with constant strength 1 (the engine's --blend constant).
    c: float = 2.0
    groups: int = 3
    identity_ratio: float = 0.5  # DualReal's ~0.5
    motion_path: str = "figure-eight"
    seed: int = 0
    table_points: int = 21  # timesteps in the exported table: t = 0, 0.05, …, 1
    # Feed the pooled caption to the StageBlender too (the paper's option). Off by default: our
    # identity and motion captions never overlap ("pip on …" vs "… moves in a figure eight …"),
    # so a text-fed blender learns to tell the batches apart by their words (measured: α ≈ 1.9
    # on identity batches, ≈ 0.3 on motion batches after 300 steps) instead of learning *when*
    # in denoising each adapter helps, and the engine's table (evaluated at the mean caption)
    # would then be a point the blender never saw. With t alone, the table is the trained
    # controller exactly.
    blender_text: bool = False
    # Share of samples per batch where the other set is off and this one at strength 1 (see above).
    alone: float = 0.5
    # Train the StageBlender only, on top of adapters trained separately and loaded from these
    # files (train_single): the adapters stay exactly as they were (each works by itself as it
    # did), and the table learns how to share the blocks between them.
    identity_from: Optional[str] = None
    motion_from: Optional[str] = None
    # > 0: each kind's clips drawn from this many encoded once (objective.LatentPool)
    pool: int = 0


@dataclass
class DualRealResult:
    injection: LoRAInjection
    blender: StageBlender
    config: DualRealConfig
    history: List[Dict[str, float]] = field(default_factory=list)
    # running mean of the pooled caption embeddings: the blender's text input in the table
    mean_pooled_text: Optional[torch.Tensor] = None
    wall_seconds: float = 0.0


def train_dualreal(
    base: BaseModel,
    cfg: DualRealConfig,
    log: Callable[[str], None] = print,
    log_every: int = 50,
) -> DualRealResult:
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    for p in base.dit.parameters():
        p.requires_grad_(False)
    injection = inject_lora(base.dit, sets=SETS, rank=cfg.rank, alpha=cfg.alpha)
    if injection.depth != base.depth:
        raise ValueError(f"found LoRA targets in {injection.depth} blocks, but the model has {base.depth}")
    blender_only = bool(cfg.identity_from or cfg.motion_from)
    if blender_only:
        if not (cfg.identity_from and cfg.motion_from):
            raise ValueError("a blender-only run needs both adapters (identity_from and motion_from)")
        from safetensors import safe_open
        from safetensors.torch import load_file

        for s, path in (("identity", cfg.identity_from), ("motion", cfg.motion_from)):
            with safe_open(path, "pt") as f:
                meta = f.metadata() or {}
            if int(meta.get("rank", -1)) != cfg.rank or float(meta.get("alpha", -1)) != cfg.alpha:
                raise ValueError(f"{path}: rank {meta.get('rank')} alpha {meta.get('alpha')}; this run uses rank {cfg.rank} alpha {cfg.alpha}")
            injection.load_state(s, load_file(path))
            for p in injection.parameters(s):
                p.requires_grad_(False)
    blender = StageBlender(
        base.depth,
        even_block_groups(base.depth, cfg.groups),
        base.text_dim,
        c=cfg.c,
        t_dim=base.timestep_dim,
        embed_t=base.timestep_embedding,
        use_text=cfg.blender_text,
    )
    optimizers = {s: torch.optim.AdamW(injection.parameters(s), lr=cfg.lr, weight_decay=0.0) for s in SETS}
    blender_opt = torch.optim.AdamW(blender.parameters(), lr=cfg.blender_lr, weight_decay=0.0)
    result = DualRealResult(injection, blender, cfg)
    pooled_sum, pooled_n = None, 0
    start = time.time()
    draw = {"identity": identity_batch, "motion": partial(motion_batch, path=cfg.motion_path)}
    pools = {k: objective.LatentPool(base, fn, cfg.pool, gen) for k, fn in draw.items()} if cfg.pool > 0 else None
    base.dit.train()
    for step in range(1, cfg.steps + 1):
        active = "identity" if rng.random() < cfg.identity_ratio else "motion"
        if pools is not None:
            batch = pools[active].noisy_batch(base, cfg.batch, gen)
        else:
            video, flow, captions = draw[active](cfg.batch, base.video, gen)
            batch = objective.noisy_batch(base, video, flow, captions, gen)
        pooled = pool_text(batch.text, batch.mask)
        pooled_sum = pooled.sum(0) if pooled_sum is None else pooled_sum + pooled.sum(0)
        pooled_n += pooled.shape[0]

        # Gradient mask: only the active set (and the blender) can learn from this batch.
        for s in SETS:
            for p in injection.parameters(s):
                p.requires_grad_(s == active and not blender_only)
                p.grad = None
        blender_opt.zero_grad(set_to_none=True)
        alpha = blender(batch.t, pooled)
        id_scales, mo_scales = blender.block_scales(alpha)
        # (blender-only: every sample has both on, the adapters cannot co-adapt)
        alone = (torch.rand(alpha.shape[0], generator=gen) < (0.0 if blender_only else cfg.alone))[:, None]
        own, other = (id_scales, mo_scales) if active == "identity" else (mo_scales, id_scales)
        own = torch.where(alone, torch.ones_like(own), own)
        other = torch.where(alone, torch.zeros_like(other), other)
        id_scales, mo_scales = (own, other) if active == "identity" else (other, own)
        injection.set_scales("identity", id_scales)
        injection.set_scales("motion", mo_scales)
        loss = objective.loss(base, batch)
        loss.backward()
        if not blender_only:
            optimizers[active].step()
        blender_opt.step()

        result.history.append({"step": step, "set": 0.0 if active == "identity" else 1.0, "loss": loss.item()})
        if step % log_every == 0 or step == cfg.steps:
            log(f"step {step}/{cfg.steps} {active:8s} loss {loss.item():.4f} α mean {alpha.mean().item():.3f}")
    for s in SETS:
        injection.set_scales(s, None)
    result.mean_pooled_text = pooled_sum / max(pooled_n, 1)
    result.wall_seconds = time.time() - start
    return result


def export_dualreal(
    result: DualRealResult,
    base: BaseModel,
    out_dir: Path,
    identity_name: str = "pip",
    motion_name: str = "figure-eight",
    command: str = "",
) -> Dict[str, object]:
    """Writes both adapters and the blender table; returns the manifest entries for them."""
    cfg = result.config
    blender_only = bool(cfg.identity_from)
    training = {
        "method": (
            "trained alone (train_single), then a StageBlender trained on top of both with the adapters frozen"
            if blender_only
            else "DualReal joint training (identity/motion alternation, StageBlender; a share of samples with the other adapter off)"
        ),
        "config": asdict(cfg),
        "wallSeconds": round(result.wall_seconds, 1),
        "finalLoss": result.history[-1]["loss"] if result.history else None,
        "command": command,
    }
    if blender_only:
        # How the frozen adapters themselves were trained: their own descriptions, beside them.
        import json

        training["adapters"] = {}
        for kind, path in (("identity", cfg.identity_from), ("motion", cfg.motion_from)):
            desc = Path(path).with_suffix(".json")
            training["adapters"][kind] = json.loads(desc.read_text()).get("training") if desc.exists() else {"file": str(path)}
    common = dict(rank=cfg.rank, alpha=cfg.alpha, base_model=base.name, recommended_strength=1.0, training=training)
    identity = export_adapter(
        out_dir, identity_name, "identity", result.injection.state("identity"), trigger_words=[IDENTITY_TRIGGER],
        display_name="Pip the mascot", description="A yellow cat-like mascot with a red bow (identity).", **common,
    )
    motion = export_adapter(
        out_dir, motion_name, "motion", result.injection.state("motion"), trigger_words=[MOTION_TRIGGERS[cfg.motion_path]],
        display_name=f"{cfg.motion_path} path", description=f"Subjects travel along a {cfg.motion_path} path (motion).", **common,
    )
    n = cfg.table_points
    timesteps = [i / (n - 1) for i in range(n)]
    alpha = result.blender.table(timesteps, result.mean_pooled_text)
    blender = export_blender_table(
        Path(out_dir) / f"{identity_name}+{motion_name}.blender.json",
        base.name, identity_name, motion_name, result.blender.c, base.depth, result.blender.groups, timesteps, alpha,
    )
    return {"adapters": [identity, motion], "blender": blender}
