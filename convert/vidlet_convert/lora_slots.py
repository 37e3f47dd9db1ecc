"""LoRA slots in a converted denoiser (docs/model-package.md "LoRA slots"; issue #11).

With `--lora-rank R` the denoiser graph takes the contract's `lora_scales` [B,S,D], `lora_down` [S,D,P,R,C] and
`lora_up` [S,D,P,C,R], and each target projection of each transformer block computes

    y = W·x + Σ_s lora_scales[b,s,d] · up[s,d,p] · (down[s,d,p] · x)

so an adapter is written into a slot's rows by the engine (src/engine/adapters/adapter.ts) and strengths change
per step without a new session. All-zero inputs add exactly 0: the base model's output, bit for bit.

The first group of targets is the attention projections, square (C → C) in both families: self-attention
(`attn1`) and cross-attention (`attn2`, whose keys and values read the text after the model's own caption
projection to C). The feed-forward layers (C → F and F → C) are not square, so with `--lora-targets all` each
shape is a further group k with its own inputs `lora_down_k` [S,D,P_k,R,in_k] and `lora_up_k` [S,D,P_k,out_k,R]
(manifest `lora.groups`). That is what LoRAs from musubi-tuner and diffusion-pipe hold for Wan: every linear
layer of a block. The names are diffusers' module paths inside a block, which is what diffusers-format LoRA
files use; `aliases` gives the names other trainers use for the same layers (Wan's original / musubi names).

The rank axis of `lora_down*` / `lora_up*` is dynamic (1…R), so the engine feeds only the rank the loaded
adapters use: with no adapter, rank 1 instead of R, at real sizes hundreds of MB less per denoiser call.
"""
from __future__ import annotations

import torch
from torch import nn

ATTENTION = ("attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0",
             "attn2.to_q", "attn2.to_k", "attn2.to_v", "attn2.to_out.0")
TARGETS = ATTENTION  # the square group's targets, as the manifest's `lora.targets` lists them
# diffusers' FeedForward: net.0 is the activation module holding the C → F `proj`, net.2 the F → C Linear
WAN_FEED_FORWARD = ("ffn.net.0.proj", "ffn.net.2")
LTX_FEED_FORWARD = ("ff.net.0.proj", "ff.net.2")
# Wan 2.1's original module names (the publisher's repository, musubi-tuner, ComfyUI), as diffusers'
# _convert_non_diffusers_wan_lora_to_diffusers maps them
WAN_ALIASES = {**{f"{orig}.{o}": f"{attn}.{d}" for orig, attn in (("self_attn", "attn1"), ("cross_attn", "attn2"))
                  for o, d in (("q", "to_q"), ("k", "to_k"), ("v", "to_v"), ("o", "to_out.0"))},
               "ffn.0": "ffn.net.0.proj", "ffn.2": "ffn.net.2"}
SCOPES = ("all", "attention")


def input_names(groups: int) -> list[str]:
    """The graph's LoRA inputs for the square group and `groups` further ones."""
    return ["lora_scales", "lora_down", "lora_up", *[f"lora_{h}_{k}" for k in range(1, groups + 1) for h in ("down", "up")]]


class SlotInputs:
    """The graph inputs of the current call, read by every LoraLinear of the model: per group, down and up."""
    scales: torch.Tensor | None = None
    down: list[torch.Tensor] = []
    up: list[torch.Tensor] = []


class LoraLinear(nn.Module):
    """An nn.Linear of block `d`, target `p` of group `g`, plus the slots' low-rank updates."""

    def __init__(self, base: nn.Linear, inputs: SlotInputs, d: int, g: int, p: int):
        super().__init__()
        self.base, self.inputs, self.d, self.g, self.p = base, inputs, d, g, p

    def forward(self, x):
        y = self.base(x)
        i = self.inputs
        if i.scales is None:  # outside a slot-aware call (the preview fit, a plain PyTorch run)
            return y
        down = i.down[self.g][:, self.d, self.p].transpose(1, 2)  # [S, in, R]
        up = i.up[self.g][:, self.d, self.p].transpose(1, 2)  # [S, R, out]
        h = torch.matmul(x.unsqueeze(1), down)  # [B, 1, N, in] @ [S, in, R] → [B, S, N, R]
        h = h * i.scales[:, :, self.d, None, None]
        return y + torch.matmul(h, up).sum(1)  # [B, S, N, out] summed over the slots


def add_slots(transformer: nn.Module, blocks: str, targets=ATTENTION, extra=()) -> tuple[SlotInputs, int, int, list[dict]]:
    """Replaces each target of every block in `transformer.<blocks>` with a LoraLinear (in place): `targets`, which
    must be square and of one width, and `extra`, grouped by their (in, out) shape in order of first appearance.
    Returns (the shared inputs, depth D, width C, the extra groups as the manifest lists them)."""
    inputs = SlotInputs()
    layers = getattr(transformer, blocks)
    first = {path: locate(layers[0], path)[2] for path in (*targets, *extra)}
    widths = {(first[t].in_features, first[t].out_features) for t in targets}
    if len(widths) != 1 or len({*next(iter(widths))}) != 1:
        raise ValueError(f"{blocks}.0: the first group's targets must be square and of one width (the contract's C), "
                         f"but they are {', '.join(f'{t} {first[t].in_features} → {first[t].out_features}' for t in targets)}")
    width = first[targets[0]].in_features
    groups: list[dict] = []
    for path in extra:
        shape = {"in": first[path].in_features, "out": first[path].out_features}
        group = next((g for g in groups if (g["in"], g["out"]) == (shape["in"], shape["out"])), None)
        if group is None:
            group = {"targets": [], **shape}
            groups.append(group)
        group["targets"].append(path)
    where = {t: (0, p, (width, width)) for p, t in enumerate(targets)}
    for k, g in enumerate(groups, start=1):
        where |= {t: (k, p, (g["in"], g["out"])) for p, t in enumerate(g["targets"])}
    for d, block in enumerate(layers):
        for path, (g, p, shape) in where.items():
            parent, leaf, lin = locate(block, path)
            if (lin.in_features, lin.out_features) != shape:
                raise ValueError(f"{blocks}.{d}.{path} is {lin.in_features} → {lin.out_features}, in block 0 {shape[0]} → {shape[1]}")
            replace(parent, leaf, LoraLinear(lin, inputs, d, g, p))
    return inputs, len(layers), width, groups


def locate(block: nn.Module, path: str) -> tuple[nn.Module, str, nn.Linear]:
    """(parent module, leaf name, the nn.Linear) of `path` inside a block; refuses anything but an nn.Linear."""
    parent_path, _, leaf = path.rpartition(".")
    parent = block.get_submodule(parent_path) if parent_path else block
    lin = parent.get_submodule(leaf)
    if not isinstance(lin, nn.Linear):
        raise ValueError(f"{path} is {lin.__class__.__name__}, but a LoRA slot target must be an nn.Linear")
    return parent, leaf, lin


def replace(parent: nn.Module, leaf: str, module: nn.Module) -> None:
    if isinstance(parent, (nn.ModuleList, nn.Sequential)):
        parent[int(leaf)] = module
    else:
        setattr(parent, leaf, module)


class WithSlots(nn.Module):
    """A denoiser wrapper (WanDenoiser, LtxDenoiser) whose graph also takes the LoRA inputs."""

    def __init__(self, denoiser: nn.Module, inputs: SlotInputs, groups: int, rank: int):
        super().__init__()
        self.denoiser, self.inputs, self.groups = denoiser, inputs, groups
        # 1…R: the engine cuts the slots to the rank its adapters use. torch.export specialises an axis whose
        # example is 1, so a rank-1 package keeps a fixed axis.
        self.rank = torch.export.Dim("rank", min=1, max=rank) if rank > 1 else None

    @property
    def graph_inputs(self) -> list[str]:
        return ["latent", "timestep", "text", "text_mask", *input_names(self.groups)]

    @property
    def batch_inputs(self) -> list[str]:
        """Inputs whose axis 0 is the batch: lora_down/up are per slot, the same for every row."""
        return ["latent", "timestep", "text", "text_mask", "lora_scales"]

    def slot_shapes(self) -> tuple:
        """The dynamic rank axes of the down and up inputs, in graph order."""
        pairs = ({3: self.rank}, {4: self.rank}) if self.rank else (None, None)
        return pairs * (1 + self.groups)

    def dynamic_shapes(self, batch) -> tuple:
        """torch.export dynamic shapes of forward's arguments: the batch, and the slots' rank (`*slots` is one
        argument to torch.export, so its shapes are one tuple)."""
        return ({0: batch}, {0: batch}, {0: batch}, {0: batch}, {0: batch}, self.slot_shapes())

    @staticmethod
    def cut_rank(feeds: dict, rank: int) -> dict:
        """`feeds` with the slots cut to their first `rank` ranks, as the engine cuts them (lora-slots.ts packed)."""
        cut = {k: v[:, :, :, :rank] if k.startswith("lora_down") else v[..., :rank] if k.startswith("lora_up") else v
               for k, v in feeds.items()}
        return {k: v.contiguous() for k, v in cut.items()}

    def forward(self, latent, timestep, text, text_mask, lora_scales, *slots):
        self.inputs.scales, self.inputs.down, self.inputs.up = lora_scales, list(slots[0::2]), list(slots[1::2])
        try:
            return self.denoiser(latent, timestep, text, text_mask)
        finally:
            self.inputs.scales, self.inputs.down, self.inputs.up = None, [], []


def example_feeds(batch: int, slots: int, depth: int, rank: int, shapes: list[tuple[int, int, int]], seed: int) -> dict:
    """Random LoRA inputs for the export check, `shapes` being (P, in, out) per group: every slot non-zero, so the
    check covers the updates."""
    g = torch.Generator().manual_seed(seed)
    feeds = {"lora_scales": torch.rand(batch, slots, depth, generator=g) * 2 - 0.5}
    for k, (p, n_in, n_out) in enumerate(shapes):
        suffix = f"_{k}" if k else ""
        feeds[f"lora_down{suffix}"] = torch.randn(slots, depth, p, rank, n_in, generator=g) / n_in ** 0.5
        feeds[f"lora_up{suffix}"] = torch.randn(slots, depth, p, n_out, rank, generator=g) * 0.1 / rank ** 0.5
    return feeds


def manifest_section(slots: list[str], depth: int, rank: int, width: int, blocks: str, aliases: dict,
                     targets=ATTENTION, groups=()) -> dict:
    """manifest `lora`."""
    return {"slots": list(slots), "depth": depth, "targets": list(targets), "rank": rank, "width": width,
            "blocks": blocks, **({"groups": [dict(g) for g in groups]} if groups else {}),
            **({"aliases": dict(aliases)} if aliases else {})}


def attach(args, transformer: nn.Module, denoiser: nn.Module, blocks: str, aliases: dict, feed_forward: tuple,
           feeds: dict, presets: dict | None) -> tuple[nn.Module, dict | None]:
    """--lora-rank R: slots added to `transformer` (in place) on the attention and, with --lora-targets all, on
    `feed_forward`; `denoiser` wrapped to take their inputs, random LoRA inputs added to the check feeds (the
    default size's and each preset's) and, with presets, the inputs' dynamic shapes. Returns (the module to
    export, the manifest `lora` section); without --lora-rank, as given."""
    from .package import ConversionError

    if not args.lora_rank:
        return denoiser, None
    extra = feed_forward if args.lora_targets == "all" else ()
    inputs, depth, width, groups = add_slots(transformer, blocks, ATTENTION, extra)
    narrowest = min([width, *(min(g["in"], g["out"]) for g in groups)])
    if args.lora_rank > narrowest:
        raise ConversionError(f"--lora-rank {args.lora_rank}: larger than the narrowest target's {narrowest} features")
    slots = len(args.lora_slots)
    shapes = [(len(ATTENTION), width, width), *((len(g["targets"]), g["in"], g["out"]) for g in groups)]
    feeds["denoiser"].update(example_feeds(feeds["denoiser"]["latent"].shape[0], slots, depth, args.lora_rank, shapes,
                                           args.seed + 5))
    wrapped = WithSlots(denoiser, inputs, len(groups), args.lora_rank)
    if presets:
        batch = presets["shapes"]["denoiser"][0][0]
        presets["shapes"]["denoiser"] = (*presets["shapes"]["denoiser"], {0: batch}, wrapped.slot_shapes())
        for k, by_role in enumerate(presets["feeds"].values()):
            if "denoiser" in by_role:
                f = by_role["denoiser"]
                f.update(example_feeds(f["latent"].shape[0], slots, depth, args.lora_rank, shapes, args.seed + 6 + k))
    return wrapped, manifest_section(args.lora_slots, depth, args.lora_rank, width, blocks, aliases, ATTENTION, groups)
