"""The published widths (Wan 2.1 1.3B DiT, umT5-XXL, the Wan VAE), one block per stack, random weights:
the per-layer arithmetic the real checkpoint runs, converted and checked against PyTorch.
Run with `pytest -m wide` (~1.6 GB written to a temporary folder)."""
from __future__ import annotations

import json
import os

import pytest

from vidlet_convert.__main__ import main
from vidlet_convert.fixture import make_fixture
from vidlet_convert.package import TOLERANCE


@pytest.mark.wide
def test_real_widths_convert_within_tolerance(tmp_path):
    src, out = str(tmp_path / "wan-wide"), str(tmp_path / "pkg")
    make_fixture(src, seed=0, wide=True)
    assert main(["wan", "--from", src, "--out", out, "--frames", "9", "--height", "64", "--width", "64",
                 "--max-length", "32", "--name", "wan-wide"]) == 0
    report = json.load(open(os.path.join(out, "convert_report.json")))
    print(json.dumps({k: e["relative"] for k, e in report["errors"].items()}, indent=1))
    for k, e in report["errors"].items():
        assert e["relative"] <= TOLERANCE[e["variant"]] and e["peak"] > 0, k
    for role in ("textEncoder", "denoiser"):
        ratio = report["bytes"][f"{role}.int8"] / report["bytes"][f"{role}.fp32"]
        # int8: a byte a weight and a float32 scale per 32 MatMul weights (9/32 of fp32), a little
        # less where per-channel weights (the embedding table, Gemm) have one scale per row
        assert 0.25 < ratio < 0.29, (role, ratio)
        # q4: ~5 bits a MatMul weight, the rest int8
        assert report["bytes"][f"{role}.q4"] < 0.8 * report["bytes"][f"{role}.int8"], role
