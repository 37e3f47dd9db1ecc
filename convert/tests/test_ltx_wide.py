"""LTX-Video 2B at the published widths (transformer, T5-XXL, the 0.9.0 VAE decoder), one block per stack,
random weights: the per-layer arithmetic the real checkpoint runs, converted and checked against PyTorch.
Run with `pytest -m wide`."""
from __future__ import annotations

import json
import os

import pytest

from vidlet_convert.__main__ import main
from vidlet_convert.ltx_fixture import make_fixture
from vidlet_convert.package import TOLERANCE


@pytest.mark.wide
def test_real_widths_convert_within_tolerance(tmp_path):
    src, out = str(tmp_path / "ltx-wide"), str(tmp_path / "pkg")
    make_fixture(src, seed=0, wide=True)
    assert main(["ltx", "--from", src, "--out", out, "--frames", "9", "--height", "64", "--width", "64",
                 "--max-length", "32", "--name", "ltx-wide"]) == 0
    report = json.load(open(os.path.join(out, "convert_report.json")))
    print(json.dumps({k: e["relative"] for k, e in report["errors"].items()}, indent=1))
    print(json.dumps({"params": report["params"], "bytes": report["bytes"], "seconds": report["seconds"],
                      "peak_rss_bytes": report["peak_rss_bytes"]}, indent=1))
    for k, e in report["errors"].items():
        assert e["relative"] <= TOLERANCE[e["variant"]] and e["peak"] > 0, k
    for role in ("textEncoder", "denoiser"):
        ratio = report["bytes"][f"{role}.int8"] / report["bytes"][f"{role}.fp32"]
        # int8: a byte a weight and a float32 scale per 32 MatMul weights (9/32 of fp32), a little
        # less where per-channel weights (the embedding table, Gemm) have one scale per row
        assert 0.25 < ratio < 0.29, (role, ratio)
        assert report["bytes"][f"{role}.q4"] < 0.8 * report["bytes"][f"{role}.int8"], role
