"""A text encoder written in parts (--part-bytes; docs/model-package.md "Parts") run by Vidlet's own
engine (src/engine/parts.ts through `npx tsx`, onnxruntime-web wasm in Node): the tiny Wan fixture
converted with parts of at most 40 KB and converted whole must give the same frames, bit for bit, for
the same prompt, seed and steps; the engine's package checker accepts the parted package."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from prereq import require_node_modules

from conftest import FRAMES, HEIGHT, L, SHARD, WIDTH
from test_engine_vs_pipelines import check_package, engine_generate
from vidlet_convert.__main__ import main

PART_BYTES = 40 * 1024


@pytest.fixture(autouse=True)
def _node_modules():
    require_node_modules("tsx", "onnxruntime-web")


@pytest.fixture(scope="module")
def parted(converted, tmp_path_factory):
    """The session's tiny Wan checkpoint (conftest.converted) converted again with its text encoder in parts."""
    src = converted[0]
    out = str(tmp_path_factory.mktemp("parts-pkg"))
    rc = main(["wan", "--from", src, "--out", out, "--frames", str(FRAMES), "--height", str(HEIGHT), "--width",
               str(WIDTH), "--max-length", str(L), "--steps", "4", "--shard-bytes", str(SHARD),
               "--part-bytes", str(PART_BYTES), "--name", "wan-tiny"])
    assert rc == 0
    return out


def test_a_text_encoder_in_parts_generates_the_frames_of_the_whole_one(converted, parted, tmp_path):
    whole = converted[1]
    te = json.load(open(os.path.join(parted, "manifest.json")))["components"]["textEncoder"]["variants"]["fp32"]
    assert len(te["parts"]) >= 3 and sum(te["parts"]) == len(te["files"])
    one = json.load(open(os.path.join(whole, "manifest.json")))["components"]["textEncoder"]["variants"]["fp32"]
    assert "parts" not in one
    check_package(parted)

    prompt, seed, steps, w = "a red cat jumps over a fence", 7, 4, 5.0
    runs = {}
    for label, pkg in (("parts", parted), ("whole", whole)):
        os.makedirs(tmp_path / label)
        runs[label] = engine_generate(pkg, tmp_path / label, prompt, seed, steps, w)
    (noise_p, frames_p, result_p), (noise_w, frames_w, result_w) = runs["parts"], runs["whole"]
    assert (result_p["batch"], result_p["denoiserCalls"]) == (result_w["batch"], result_w["denoiserCalls"]) == (2, steps)
    assert np.array_equal(noise_p, noise_w)
    assert np.array_equal(frames_p, frames_w), f"max |Δ| {np.abs(frames_p.astype(int) - frames_w.astype(int)).max()} levels"
    # Not vacuous: the frames are not flat, and they follow the text encoder (another prompt, other frames).
    assert frames_p.std() > 1.0
    os.makedirs(tmp_path / "other")
    _, other, _ = engine_generate(parted, tmp_path / "other", "a blue ball rolls at night", seed, steps, w)
    assert not np.array_equal(other, frames_p)
