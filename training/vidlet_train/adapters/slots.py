"""Adapter files -> the denoiser's LoRA slot inputs, in Python: the same layout the engine builds
(src/engine/adapters/adapter.ts, docs/adapter-format.md), for evaluating exported adapters on the
PyTorch DiT (`VideoDiT(..., lora_scales, lora_down, lora_up)`) exactly as the ONNX graph runs them.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Sequence, Tuple

import torch
from safetensors import safe_open

from .lora import TARGETS

_LAYER = re.compile(r"^(?:base_model\.model\.)?blocks\.(0|[1-9][0-9]*)\.(.+)\.lora_(A|B)\.weight$")


def slot_tensors(
    files: Sequence[Optional[Path]],
    depth: int,
    rank: int,
    width: int,
    targets: Sequence[str] = TARGETS,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """One adapter file (or None for an empty slot) per slot -> (down [S,D,P,R,C], up [S,D,P,C,R]):
    A in the first r rows of down, (alpha/r)·B in the first r columns of up, zeros elsewhere."""
    S, P = len(files), len(targets)
    down = torch.zeros(S, depth, P, rank, width)
    up = torch.zeros(S, depth, P, width, rank)
    for s, path in enumerate(files):
        if path is None:
            continue
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
            r, alpha = int(meta["rank"]), float(meta["alpha"])
            if r > rank:
                raise ValueError(f"{path}: rank {r} is more than the slots hold ({rank})")
            for name in f.keys():
                m = _LAYER.match(name)
                if not m or m.group(2) not in targets or int(m.group(1)) >= depth:
                    raise ValueError(f"{path}: {name} is not a LoRA weight of this model")
                d, p = int(m.group(1)), list(targets).index(m.group(2))
                t = f.get_tensor(name).float()
                if m.group(3) == "A":
                    down[s, d, p, :r] = t
                else:
                    up[s, d, p, :, :r] = t * (alpha / r)
    return down, up
