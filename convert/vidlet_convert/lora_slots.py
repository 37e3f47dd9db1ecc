"""LoRA slots in a converted denoiser (docs/model-package.md "LoRA slots"; issue #11).

With `--lora-rank R` the denoiser graph takes the contract's `lora_scales` [B,S,D], `lora_down` [S,D,P,R,C] and
`lora_up` [S,D,P,C,R], and each target projection of each transformer block computes

    y = W·x + Σ_s lora_scales[b,s,d] · up[s,d,p] · (down[s,d,p] · x)

so an adapter is written into a slot's rows by the engine (src/engine/adapters/adapter.ts) and strengths change
per step without a new session. All-zero inputs add exactly 0: the base model's output, bit for bit.

The targets are the attention projections, which are square (C → C) in both families, as the contract's one
width C requires: self-attention (`attn1`) and cross-attention (`attn2`, whose keys and values read the text
after the model's own caption projection to C). Feed-forward layers are not square and are not slots. The
names are diffusers' module paths inside a block, which is what diffusers-format LoRA files use; `aliases`
gives the names other trainers use for the same projections (Wan's original / musubi-tuner names).
"""
from __future__ import annotations

import torch
from torch import nn

TARGETS = ("attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0",
           "attn2.to_q", "attn2.to_k", "attn2.to_v", "attn2.to_out.0")
# Wan 2.1's original module names (the publisher's repository, musubi-tuner, ComfyUI), as diffusers'
# _convert_non_diffusers_wan_lora_to_diffusers maps them
WAN_ALIASES = {f"{orig}.{o}": f"{attn}.{d}" for orig, attn in (("self_attn", "attn1"), ("cross_attn", "attn2"))
               for o, d in (("q", "to_q"), ("k", "to_k"), ("v", "to_v"), ("o", "to_out.0"))}
INPUTS = ["lora_scales", "lora_down", "lora_up"]


class SlotInputs:
    """The three graph inputs of the current call, read by every LoraLinear of the model."""
    scales: torch.Tensor | None = None
    down: torch.Tensor | None = None
    up: torch.Tensor | None = None


class LoraLinear(nn.Module):
    """A square nn.Linear of block `d`, target `p`, plus the slots' low-rank updates."""

    def __init__(self, base: nn.Linear, inputs: SlotInputs, d: int, p: int):
        super().__init__()
        self.base, self.inputs, self.d, self.p = base, inputs, d, p

    def forward(self, x):
        y = self.base(x)
        i = self.inputs
        if i.scales is None:  # outside a slot-aware call (the preview fit, a plain PyTorch run)
            return y
        down = i.down[:, self.d, self.p].transpose(1, 2)  # [S, C, R]
        up = i.up[:, self.d, self.p].transpose(1, 2)  # [S, R, C]
        h = torch.matmul(x.unsqueeze(1), down)  # [B, 1, N, C] @ [S, C, R] → [B, S, N, R]
        h = h * i.scales[:, :, self.d, None, None]
        return y + torch.matmul(h, up).sum(1)  # [B, S, N, C] summed over the slots


def add_slots(transformer: nn.Module, blocks: str, targets=TARGETS) -> tuple[SlotInputs, int, int]:
    """Replaces each target projection of every block in `transformer.<blocks>` with a LoraLinear (in place).
    Returns (the shared inputs, depth D, width C); refuses a target that is missing or not square."""
    inputs = SlotInputs()
    layers = getattr(transformer, blocks)
    width = None
    for d, block in enumerate(layers):
        for p, path in enumerate(targets):
            parent_path, _, leaf = path.rpartition(".")
            parent = block.get_submodule(parent_path) if parent_path else block
            lin = parent.get_submodule(leaf)
            if not isinstance(lin, nn.Linear) or lin.in_features != lin.out_features:
                raise ValueError(f"{blocks}.{d}.{path} is {lin.__class__.__name__} "
                                 f"{getattr(lin, 'in_features', '?')} → {getattr(lin, 'out_features', '?')}, but a LoRA slot "
                                 "target must be a square nn.Linear (the contract has one width)")
            if width not in (None, lin.in_features):
                raise ValueError(f"{blocks}.{d}.{path} is {lin.in_features} wide, the other targets {width}")
            width = lin.in_features
            wrapped = LoraLinear(lin, inputs, d, p)
            if isinstance(parent, nn.ModuleList) or isinstance(parent, nn.Sequential):
                parent[int(leaf)] = wrapped
            else:
                setattr(parent, leaf, wrapped)
    return inputs, len(layers), width


class WithSlots(nn.Module):
    """A denoiser wrapper (WanDenoiser, LtxDenoiser) whose graph also takes the three LoRA inputs."""

    def __init__(self, denoiser: nn.Module, inputs: SlotInputs):
        super().__init__()
        self.denoiser, self.inputs = denoiser, inputs

    @property
    def graph_inputs(self) -> list[str]:
        return ["latent", "timestep", "text", "text_mask", *INPUTS]

    @property
    def batch_inputs(self) -> list[str]:
        """Inputs whose axis 0 is the batch: lora_down/up are per slot, the same for every row."""
        return ["latent", "timestep", "text", "text_mask", "lora_scales"]

    def forward(self, latent, timestep, text, text_mask, lora_scales, lora_down, lora_up):
        self.inputs.scales, self.inputs.down, self.inputs.up = lora_scales, lora_down, lora_up
        try:
            return self.denoiser(latent, timestep, text, text_mask)
        finally:
            self.inputs.scales = self.inputs.down = self.inputs.up = None


def example_feeds(batch: int, slots: int, depth: int, targets: int, rank: int, width: int, seed: int) -> dict:
    """Random LoRA inputs for the export check: every slot non-zero, so the check covers the updates."""
    g = torch.Generator().manual_seed(seed)
    return {"lora_scales": torch.rand(batch, slots, depth, generator=g) * 2 - 0.5,
            "lora_down": torch.randn(slots, depth, targets, rank, width, generator=g) / width ** 0.5,
            "lora_up": torch.randn(slots, depth, targets, width, rank, generator=g) * 0.1 / rank ** 0.5}


def manifest_section(slots: list[str], depth: int, rank: int, width: int, blocks: str, aliases: dict,
                     targets=TARGETS) -> dict:
    """manifest `lora`."""
    return {"slots": list(slots), "depth": depth, "targets": list(targets), "rank": rank, "width": width,
            "blocks": blocks, **({"aliases": dict(aliases)} if aliases else {})}


def attach(args, transformer: nn.Module, denoiser: nn.Module, blocks: str, aliases: dict, feeds: dict,
           presets: dict | None) -> tuple[nn.Module, dict | None]:
    """--lora-rank R: slots added to `transformer` (in place), `denoiser` wrapped to take their inputs, random
    LoRA inputs added to the check feeds (the default size's and each preset's) and, with presets, the inputs'
    dynamic shapes. Returns (the module to export, the manifest `lora` section); without --lora-rank, as given."""
    from .package import ConversionError

    if not args.lora_rank:
        return denoiser, None
    inputs, depth, width = add_slots(transformer, blocks)
    if args.lora_rank > width:
        raise ConversionError(f"--lora-rank {args.lora_rank}: larger than the projections' width {width}")
    size = (len(args.lora_slots), depth, len(TARGETS), args.lora_rank, width)
    feeds["denoiser"].update(example_feeds(feeds["denoiser"]["latent"].shape[0], *size, args.seed + 5))
    if presets:
        batch = presets["shapes"]["denoiser"][0][0]
        presets["shapes"]["denoiser"] = (*presets["shapes"]["denoiser"], {0: batch}, None, None)
        for k, by_role in enumerate(presets["feeds"].values()):
            if "denoiser" in by_role:
                f = by_role["denoiser"]
                f.update(example_feeds(f["latent"].shape[0], *size, args.seed + 6 + k))
    return WithSlots(denoiser, inputs), manifest_section(args.lora_slots, depth, args.lora_rank, width, blocks, aliases)
