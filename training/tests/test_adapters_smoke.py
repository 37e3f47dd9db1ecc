"""Adapter training: LoRA injection, DualReal gradient masking, export formats, and a few-step
smoke run. Runs in a few seconds on CPU.

`TinyDiT` below is a test fixture, not the product: a minimal DiT with the same module layout
(blocks[d].attn.{q,k,v,o}) so the mechanics are tested even before the base model's code and
checkpoint exist. `test_smoke_on_base_checkpoint` runs the same loop on the real base model
through vidlet_train.adapters.checkpoint and is skipped (saying why) until that loads.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors import safe_open
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidlet_train.adapters.base import BaseModel  # noqa: E402
from vidlet_train.adapters.blender import StageBlender, even_block_groups, pool_text  # noqa: E402
from vidlet_train.adapters.data import VideoSize  # noqa: E402
from vidlet_train.adapters.dualreal import DualRealConfig, export_dualreal, train_dualreal  # noqa: E402
from vidlet_train.adapters.lora import LoRALinear, inject_lora  # noqa: E402

torch.set_num_threads(1)  # the machine's 2 cores are shared


class TinyAttn(nn.Module):
    def __init__(self, c: int, heads: int = 2):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(c, c) for _ in range(4))

    def forward(self, x):
        b, n, c = x.shape
        split = lambda y: y.view(b, n, self.heads, c // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c // self.heads), dim=-1)
        return self.o((w @ v).transpose(1, 2).reshape(b, n, c))


class TinyBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.norm = nn.LayerNorm(c)
        self.attn = TinyAttn(c)
        self.mlp = nn.Sequential(nn.Linear(c, 2 * c), nn.GELU(), nn.Linear(2 * c, c))

    def forward(self, x):
        x = x + self.attn(self.norm(x))
        return x + self.mlp(x)


class TinyDiT(nn.Module):
    def __init__(self, latent_c=4, c=32, depth=3, text_dim=16):
        super().__init__()
        self.inp = nn.Linear(latent_c, c)
        self.text = nn.Linear(text_dim, c)
        self.time = nn.Linear(64, c)
        self.blocks = nn.ModuleList(TinyBlock(c) for _ in range(depth))
        self.out = nn.Linear(c, latent_c)

    def forward(self, x, t_emb, pooled):
        b, ch, tt, h, w = x.shape
        tokens = self.inp(x.flatten(2).transpose(1, 2)) + (self.time(t_emb) + self.text(pooled))[:, None]
        for blk in self.blocks:
            tokens = blk(tokens)
        return self.out(tokens).transpose(1, 2).reshape(b, ch, tt, h, w)


def tiny_base(depth=3, width=32, text_dim=16) -> BaseModel:
    from vidlet_train.adapters.blender import sinusoidal_embedding

    torch.manual_seed(0)
    dit = TinyDiT(c=width, depth=depth, text_dim=text_dim)
    proj = torch.randn(4, 3) * 0.5
    vocab: dict = {}

    def encode_video(video):  # 4× time, 8× space, 3 → 4 channels
        pooled = F.avg_pool3d(video, (4, 8, 8))
        return torch.einsum("oc,bcthw->bothw", proj, pooled)

    def encode_text(captions):
        toks = [[vocab.setdefault(w, len(vocab)) for w in c.split()] or [0] for c in captions]
        length = max(len(t) for t in toks)
        g = torch.Generator().manual_seed(1)
        table = torch.randn(64, text_dim, generator=g)
        hidden = torch.zeros(len(toks), length, text_dim)
        mask = torch.zeros(len(toks), length)
        for i, t in enumerate(toks):
            hidden[i, : len(t)] = table[torch.tensor(t) % 64]
            mask[i, : len(t)] = 1
        return hidden, mask

    def velocity(xt, t, text, mask):
        return dit(xt, sinusoidal_embedding(t), pool_text(text, mask))

    return BaseModel(
        name="vidlet-test", dit=dit, depth=depth, width=width, text_dim=text_dim, video=VideoSize(8, 32, 32),
        encode_video=encode_video, encode_text=encode_text, velocity=velocity,
    )


def test_untrained_lora_is_a_no_op_and_removal_restores():
    dit = TinyDiT()
    x = torch.randn(2, 4, 2, 4, 4)
    args = (torch.randn(2, 64), torch.randn(2, 16))
    before = dit(x, *args)
    inj = inject_lora(dit, sets=("identity", "motion"), rank=4, alpha=4)
    assert [l.name for l in inj.layers][:4] == ["blocks.0.attn.q", "blocks.0.attn.k", "blocks.0.attn.v", "blocks.0.attn.o"]
    assert len(inj.layers) == 12 and inj.depth == 3
    inj.set_scales("identity", torch.ones(2, 3))
    assert torch.equal(dit(x, *args), before)  # B starts at zero
    inj.remove()
    assert all(isinstance(m, nn.Linear) and not isinstance(m, LoRALinear) for m in dit.blocks[0].attn.children())
    assert torch.equal(dit(x, *args), before)


def test_lora_linear_matches_the_slot_formula():
    torch.manual_seed(3)
    base = nn.Linear(8, 8)
    layer = LoRALinear(base, ("identity", "motion"), rank=2, alpha=6)
    with torch.no_grad():
        for s in ("identity", "motion"):
            layer.lora_B[s].normal_()
    x = torch.randn(3, 5, 8)
    s_id = torch.tensor([0.5, 1.0, 0.0])
    s_mo = torch.tensor([1.5, 1.0, 2.0])
    layer.scales = {"identity": s_id, "motion": s_mo}
    got = layer(x)
    # y = W x + Σ_s scale_s · up_s · (down_s · x), with up = (alpha/r)·B (docs/model-package.md)
    want = base(x)
    for s, sc in (("identity", s_id), ("motion", s_mo)):
        up = layer.lora_B[s] * 3.0
        want = want + sc.view(3, 1, 1) * ((x @ layer.lora_A[s].t()) @ up.t())
    assert torch.allclose(got, want, atol=1e-5)


def test_blender_starts_at_c_over_2_and_splits_by_group():
    b = StageBlender(5, even_block_groups(5, 2), text_dim=4, c=2.0)
    alpha = b(torch.tensor([0.1, 0.9]), torch.randn(2, 4))
    assert alpha.shape == (2, 2) and torch.allclose(alpha, torch.ones(2, 2))
    with torch.no_grad():
        b.net[-1].bias.copy_(torch.tensor([2.0, -2.0]))
    ident, motion = b.block_scales(b(torch.tensor([0.5]), torch.zeros(1, 4)))
    assert even_block_groups(5, 2) == [[0, 1, 2], [3, 4]]
    assert torch.allclose(ident + motion, torch.full((1, 5), 2.0))
    assert ident[0, 0] > 1.5 and ident[0, 4] < 0.5 and ident[0, 0] == ident[0, 2]


def test_dualreal_masks_the_inactive_set(tmp_path):
    base = tiny_base()
    # identity_ratio 1: every step is an identity step, so the motion set must not move at all.
    cfg = DualRealConfig(steps=3, batch=2, rank=4, alpha=4, groups=2, identity_ratio=1.0, lr=1e-2)
    result = train_dualreal(base, cfg, log=lambda s: None)
    inj = result.injection
    motion_B = [l.module.lora_B["motion"] for l in inj.layers]
    identity_B = [l.module.lora_B["identity"] for l in inj.layers]
    assert all(torch.count_nonzero(b) == 0 for b in motion_B), "motion set changed on identity-only steps"
    assert any(torch.count_nonzero(b) > 0 for b in identity_B), "identity set did not learn"
    assert all(p.grad is None for p in inj.parameters("motion"))
    # The blender learned too (its last layer starts at zero).
    assert torch.count_nonzero(result.blender.net[-1].weight) > 0


def test_smoke_train_and_export_formats(tmp_path):
    base = tiny_base()
    cfg = DualRealConfig(steps=6, batch=2, rank=4, alpha=8, groups=2, seed=1, table_points=5)
    result = train_dualreal(base, cfg, log=lambda s: None)
    assert len(result.history) == 6 and all(math.isfinite(h["loss"]) for h in result.history)
    sets_seen = {h["set"] for h in result.history}
    assert sets_seen == {0.0, 1.0}, "with ratio 0.5 and seed 1 both kinds of batch should occur in 6 steps"
    entries = export_dualreal(result, base, tmp_path, command="pytest")

    for entry, kind in zip(entries["adapters"], ("identity", "motion")):
        path = tmp_path / entry["file"]
        assert entry["bytes"] == path.stat().st_size
        with safe_open(str(path), "pt") as f:
            meta = f.metadata()
            assert meta["rank"] == "4" and float(meta["alpha"]) == 8.0
            assert meta["base_model"] == "vidlet-test" and meta["kind"] == kind
            keys = set(f.keys())
            assert len(keys) == 3 * 4 * 2
            a = f.get_tensor("blocks.2.attn.o.lora_A.weight")
            b = f.get_tensor("blocks.2.attn.o.lora_B.weight")
            assert a.shape == (4, 32) and b.shape == (32, 4) and a.dtype == torch.float32
        desc = json.loads((tmp_path / entry["description"]).read_text())
        assert desc["format"] == "vidlet-adapter" and desc["formatVersion"] == 1
        assert desc["kind"] == kind and desc["baseModel"] == "vidlet-test"
        assert desc["triggerWords"] and desc["recommendedStrength"] == 1.0

    table = json.loads((tmp_path / entries["blender"]["file"]).read_text())
    assert table["format"] == "vidlet-stage-blender" and table["depth"] == 3
    assert table["groups"] == [[0, 1], [2]]
    assert table["timesteps"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert len(table["alpha"]) == 5 and all(len(r) == 2 for r in table["alpha"])
    assert all(0 < v < table["c"] for r in table["alpha"] for v in r)


def test_exported_weights_reproduce_the_trained_model(tmp_path):
    """Merging the exported files into a clean copy of the DiT (W += s·(alpha/r)·B·A per named
    layer) gives the injected model's output: the names map to the right blocks and projections."""
    import copy

    from safetensors.torch import load_file

    base = tiny_base()
    clean = copy.deepcopy(base.dit)
    pristine = copy.deepcopy(base.dit)
    cfg = DualRealConfig(steps=4, batch=2, rank=4, alpha=2, groups=2, seed=2, lr=5e-2, table_points=3)
    result = train_dualreal(base, cfg, log=lambda s: None)
    entries = export_dualreal(result, base, tmp_path)
    strengths = {"identity": 0.75, "motion": 1.25}
    for set_name, entry in zip(("identity", "motion"), entries["adapters"]):
        result.injection.set_scales(set_name, strengths[set_name])
        weights = load_file(str(tmp_path / entry["file"]))
        for d, blk in enumerate(clean.blocks):
            for p in ("q", "k", "v", "o"):
                a = weights[f"blocks.{d}.attn.{p}.lora_A.weight"]
                b = weights[f"blocks.{d}.attn.{p}.lora_B.weight"]
                with torch.no_grad():
                    getattr(blk.attn, p).weight += strengths[set_name] * (cfg.alpha / cfg.rank) * (b @ a)
    x = torch.randn(2, 4, 2, 4, 4)
    args = (torch.randn(2, 64), torch.randn(2, 16))
    with torch.no_grad():
        injected = base.dit(x, *args)
        merged = clean(x, *args)
        untouched = pristine(x, *args)
    assert (injected - untouched).abs().max() > 1e-3, "training left the adapters at zero: nothing to compare"
    assert torch.allclose(injected, merged, atol=1e-5)


def test_smoke_on_base_checkpoint(tmp_path):
    """A few DualReal steps on the real base model (checkpoint + model package), < 1 minute."""
    from vidlet_train.adapters import checkpoint

    try:
        base = checkpoint.load_base_model()
    except checkpoint.BaseModelUnavailable as e:
        pytest.skip(str(e))
    base.video = VideoSize(base.video.frames, base.video.height, base.video.width)
    cfg = DualRealConfig(steps=2, batch=1, rank=4, alpha=4, groups=2, table_points=3)
    result = train_dualreal(base, cfg, log=lambda s: None)
    assert all(math.isfinite(h["loss"]) for h in result.history)
    entries = export_dualreal(result, base, tmp_path, command="pytest smoke")
    assert len(entries["adapters"]) == 2


def test_single_adapter_trains_and_exports(tmp_path):
    from vidlet_train.adapters.data import identity_batch
    from vidlet_train.adapters.single import SingleConfig, export_single, train_single

    base = tiny_base()
    cfg = SingleConfig(steps=3, batch=2, rank=2, alpha=2, lr=1e-2)
    inj, losses, wall = train_single(base, identity_batch, cfg, log=lambda s: None)
    assert len(losses) == 3 and all(math.isfinite(v) for v in losses)
    assert any(torch.count_nonzero(p) > 0 for p in inj.parameters("adapter")[1::2])  # some B moved off zero
    entry = export_single(inj, base, tmp_path, "pip-solo", "identity", ["pip"], cfg, losses, wall)
    with safe_open(str(tmp_path / entry["file"]), "pt") as f:
        assert f.metadata()["rank"] == "2" and f.get_tensor("blocks.0.attn.q.lora_A.weight").shape == (2, 32)
