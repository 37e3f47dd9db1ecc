"""vidlet_train.recover: the shipped ONNX graphs give back PyTorch checkpoints that reproduce them,
a wrong mapping is caught before anything is written, and adapter training runs on the result."""
import math
import os

import pytest
import torch

from vidlet_train import recover
from vidlet_train.dit import DiTConfig
from vidlet_train.adapters import checkpoint
from vidlet_train.adapters.dualreal import DualRealConfig, train_dualreal

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(HERE, "..", "public", "models", "vidlet-tiny")


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    # committed with the package: a clone without it is broken, so this fails rather than skips
    assert os.path.exists(os.path.join(SHIPPED, "denoiser.onnx")), f"no shipped fp32 denoiser in {SHIPPED}"
    out = tmp_path_factory.mktemp("runs")
    recover.main(["--package", SHIPPED, "--out", str(out)])
    return out


def test_recovered_checkpoints_load_and_match_the_graphs(recovered):
    # main() raises unless every graph is reproduced within 1e-4; check the files load as the
    # trainers' own checkpoints do, with the shipped architecture.
    import json

    from vidlet_train.vae import load_vae

    dit = checkpoint.load_dit(recovered / "dit" / "final.pt")
    report = json.load(open(os.path.join(SHIPPED, "export_report.json")))
    # fields added since the export (max_frames) take their defaults
    assert dit.cfg == DiTConfig(**report["dit"])
    vae = load_vae(str(recovered / "vae" / "final.pt"))
    assert not torch.all(torch.as_tensor(vae.scale) == 1.0)  # the trained diffusion-space scale, not the default


def test_a_wrong_mapping_is_caught(tmp_path, monkeypatch):
    assert os.path.exists(os.path.join(SHIPPED, "denoiser.onnx")), f"no shipped fp32 denoiser in {SHIPPED}"
    real_locate = recover.locate

    def swapped(params, exported):
        where = real_locate(params, exported)
        a, b = "blocks.0.q.bias", "blocks.0.k.bias"  # same shape: only the output check can tell
        if a in where and b in where:
            where[a], where[b] = where[b], where[a]
        return where

    monkeypatch.setattr(recover, "locate", swapped)
    with pytest.raises(recover.RecoveryError, match="do not reproduce"):
        recover.main(["--package", SHIPPED, "--out", str(tmp_path)])
    assert not (tmp_path / "dit" / "final.pt").exists()


def test_dualreal_steps_on_the_recovered_base_model(recovered):
    base = checkpoint.load_base_model(str(recovered / "dit" / "final.pt"), str(recovered / "vae" / "final.pt"))
    result = train_dualreal(base, DualRealConfig(steps=2, batch=1, rank=4, alpha=4, groups=2, seed=1), log=lambda s: None)
    assert all(math.isfinite(h["loss"]) for h in result.history)
    assert torch.isfinite(result.mean_pooled_text).all()
