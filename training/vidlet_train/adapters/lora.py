"""LoRA on the DiT's self-attention projections, added at run time without editing the DiT.

`inject_lora(model, sets=...)` finds each block's self-attention q, k, v, o `nn.Linear` and
replaces it in place with a `LoRAWrapper` that keeps the frozen base layer and adds, per adapter
set s, ``scale_s · (alpha/r) · B_s (A_s x)``. That is the same arithmetic as the exported
denoiser's LoRA slots (docs/model-package.md: ``y = W·x + lora_scales[b,s,d] · up · (down · x)``
with ``up = (alpha/r)·B``), so what is trained here is what the engine runs.

Per-sample, per-block scales are set before each forward through `LoRAInjection.set_scales`,
which is how DualReal's StageBlender weights reach the layers (and how a constant strength does).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from torch import nn

# Canonical target names, as in the manifest's lora.targets and the adapter tensor names.
TARGETS: Tuple[str, ...] = ("attn.q", "attn.k", "attn.v", "attn.o")

# Attribute names different DiT implementations use; the first match wins. Cross-attention
# modules (cross_attn, attn2) are deliberately absent: DualReal adapts self-attention only.
# vidlet_train.dit keeps q, k, v, o on the block itself (its cross-attention is cq/ck/cv/co).
_ATTN_NAMES = ("attn", "self_attn", "attn1", "attention")
_PROJ_NAMES = {
    "attn.q": ("q", "to_q", "q_proj", "query"),
    "attn.k": ("k", "to_k", "k_proj", "key"),
    "attn.v": ("v", "to_v", "v_proj", "value"),
    "attn.o": ("o", "out", "to_out", "out_proj", "o_proj", "proj"),
}


class LoRAWrapper(nn.Module):
    """A frozen nn.Linear plus any number of named low-rank updates with per-sample scales."""

    def __init__(self, base: nn.Linear, sets: Sequence[str], rank: int, alpha: float):
        super().__init__()
        if rank < 1:
            raise ValueError(f"LoRA rank must be >= 1, got {rank}")
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.rank = rank
        self.alpha = float(alpha)
        self.scaling = self.alpha / rank
        self.lora_A = nn.ParameterDict()
        self.lora_B = nn.ParameterDict()
        for s in sets:
            a = torch.empty(rank, base.in_features)
            # PEFT's init: A like nn.Linear's default (kaiming-uniform, a=sqrt(5)), B zero, so an
            # untrained adapter is an exact no-op.
            nn.init.kaiming_uniform_(a, a=math.sqrt(5))
            self.lora_A[s] = nn.Parameter(a)
            self.lora_B[s] = nn.Parameter(torch.zeros(base.out_features, rank))
        # set name -> None (off), a float, or a tensor [B] (one scale per sample)
        self.scales: Dict[str, Optional[torch.Tensor | float]] = {s: None for s in sets}

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        # Extra arguments go to the wrapped layer: vidlet_train.dit's own LoRALinear takes its
        # slot tensors that way, and they must keep working under this wrapper.
        y = self.base(x, *args, **kwargs)
        for s, scale in self.scales.items():
            if scale is None:
                continue
            a = self.lora_A[s].to(x.dtype)
            b = self.lora_B[s].to(x.dtype)
            delta = (x @ a.t()) @ b.t()
            if isinstance(scale, torch.Tensor) and scale.dim() == 1:
                scale = scale.to(x.dtype).view(-1, *([1] * (x.dim() - 1)))
            y = y + delta * (scale * self.scaling)
        return y


@dataclass
class LoRALayer:
    name: str  # canonical, e.g. 'blocks.3.attn.q'
    block: int
    target: str
    module: LoRAWrapper


def _find_blocks(model: nn.Module) -> Sequence[nn.Module]:
    for attr in ("blocks", "transformer_blocks", "layers"):
        blocks = getattr(model, attr, None)
        if isinstance(blocks, (nn.ModuleList, nn.Sequential)):
            return list(blocks)
    raise ValueError(
        "cannot find the DiT's transformer blocks: expected an nn.ModuleList named blocks, "
        "transformer_blocks or layers; pass explicit `modules=` to inject_lora"
    )


def find_attention_linears(model: nn.Module, targets: Iterable[str] = TARGETS) -> Dict[str, Tuple[nn.Module, str]]:
    """canonical name -> (parent module, attribute) of each self-attention projection."""
    found: Dict[str, Tuple[nn.Module, str]] = {}
    for d, block in enumerate(_find_blocks(model)):
        attn = next((getattr(block, n) for n in _ATTN_NAMES if isinstance(getattr(block, n, None), nn.Module)), None)
        if attn is None and all(isinstance(getattr(block, n, None), nn.Linear) for n in ("q", "k", "v", "o")):
            attn = block
        if attn is None:
            raise ValueError(f"block {d} has no self-attention module named one of {_ATTN_NAMES}, nor q/k/v/o")
        for target in targets:
            for attr in _PROJ_NAMES[target]:
                layer = getattr(attn, attr, None)
                if isinstance(layer, nn.Sequential) and len(layer) > 0 and isinstance(layer[0], nn.Linear):
                    attn, attr, layer = layer, "0", layer[0]  # diffusers' to_out = [Linear, Dropout]
                if isinstance(layer, (nn.Linear, LoRAWrapper)):
                    found[f"blocks.{d}.{target}"] = (attn, attr)
                    break
            else:
                raise ValueError(
                    f"block {d}'s attention has no nn.Linear for {target} (looked for {_PROJ_NAMES[target]}); "
                    "a fused qkv projection needs an explicit mapping"
                )
    return found


class LoRAInjection:
    """The LoRA layers added to one model, with helpers to set scales and read out each set."""

    def __init__(
        self,
        layers: List[LoRALayer],
        sets: Sequence[str],
        depth: int,
        rank: int,
        alpha: float,
        where: Dict[str, Tuple[nn.Module, str]],
    ):
        self.layers = layers
        self._where = dict(where)
        self.sets = list(sets)
        self.depth = depth
        self.rank = rank
        self.alpha = alpha

    def parameters(self, set_name: str) -> List[nn.Parameter]:
        return [p for l in self.layers for p in (l.module.lora_A[set_name], l.module.lora_B[set_name])]

    def set_scales(self, set_name: str, scales: Optional[torch.Tensor | float]) -> None:
        """scales: None (set off), a number, a tensor [D] (per block) or [B, D] (per sample and block)."""
        for l in self.layers:
            if scales is None or isinstance(scales, (int, float)):
                l.module.scales[set_name] = scales
            elif scales.dim() == 1:
                l.module.scales[set_name] = scales[l.block]
            elif scales.dim() == 2:
                l.module.scales[set_name] = scales[:, l.block]
            else:
                raise ValueError(f"scales must be [D] or [B, D], got shape {tuple(scales.shape)}")

    def state(self, set_name: str) -> Dict[str, torch.Tensor]:
        """Tensors of one set under the adapter file's names (docs/adapter-format.md)."""
        out: Dict[str, torch.Tensor] = {}
        for l in self.layers:
            out[f"{l.name}.lora_A.weight"] = l.module.lora_A[set_name].detach().float().contiguous().clone()
            out[f"{l.name}.lora_B.weight"] = l.module.lora_B[set_name].detach().float().contiguous().clone()
        return out

    def load_state(self, set_name: str, tensors: Dict[str, torch.Tensor]) -> None:
        """Fills one set from an adapter file's tensors (the names `state` writes); every layer
        must be present with its exact shape, and nothing else may be."""
        expected = {f"{l.name}.lora_{ab}.weight" for l in self.layers for ab in "AB"}
        names = {k.removeprefix("base_model.model.") for k in tensors}
        if names != expected:
            raise ValueError(f"adapter tensors do not match the LoRA layers: missing {sorted(expected - names)[:3]}, extra {sorted(names - expected)[:3]}")
        with torch.no_grad():
            for k, t in tensors.items():
                name = k.removeprefix("base_model.model.")
                layer = next(l for l in self.layers if name.startswith(l.name + ".lora_"))
                param = (layer.module.lora_A if ".lora_A." in name else layer.module.lora_B)[set_name]
                if tuple(t.shape) != tuple(param.shape):
                    raise ValueError(f"{name}: shape {tuple(t.shape)}, the layer needs {tuple(param.shape)}")
                param.copy_(t.to(param.dtype))

    def remove(self) -> None:
        """Puts the original nn.Linear layers back (the model is as before inject_lora)."""
        for l in self.layers:
            parent, attr = self._where[l.name]
            setattr(parent, attr, l.module.base)


def inject_lora(
    model: nn.Module,
    sets: Sequence[str] = ("identity",),
    rank: int = 8,
    alpha: float = 8.0,
    targets: Iterable[str] = TARGETS,
    modules: Optional[Dict[str, Tuple[nn.Module, str]]] = None,
) -> LoRAInjection:
    """Wraps each targeted Linear of `model` in place; the base weights are frozen."""
    where = modules if modules is not None else find_attention_linears(model, targets)
    layers: List[LoRALayer] = []
    depth = 0
    for name, (parent, attr) in where.items():
        m = re.fullmatch(r"blocks\.(\d+)\.(.+)", name)
        if not m:
            raise ValueError(f"LoRA layer name {name!r} is not blocks.<d>.<target>")
        base = getattr(parent, attr)
        if isinstance(base, LoRAWrapper):
            raise ValueError(f"{name} already has LoRA; remove the earlier injection first")
        wrapped = LoRAWrapper(base, sets, rank, alpha).to(base.weight.device)
        setattr(parent, attr, wrapped)
        block = int(m.group(1))
        depth = max(depth, block + 1)
        layers.append(LoRALayer(name, block, m.group(2), wrapped))
    return LoRAInjection(layers, sets, depth, rank, alpha, where)
