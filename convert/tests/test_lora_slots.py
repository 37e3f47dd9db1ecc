"""LoRA slots in a converted package (`--lora-rank`, lora_slots.py): the tiny Wan fixture converted with slots,
its graph against the same package without them, and the engine with an adapter against WanPipeline with the
same LoRA loaded by diffusers itself (`load_lora_weights`), from the engine's noise."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from prereq import require_node_modules
from test_engine_vs_pipelines import WAN_PROMPT, WAN_SEED, WAN_W, check_package, compare, engine_generate

from conftest import FRAMES, HEIGHT, L, SHARD, WIDTH
from vidlet_convert.__main__ import main
from vidlet_convert.lora_slots import TARGETS

RANK, STEPS = 4, 4


@pytest.fixture(autouse=True)
def _node_modules():
    require_node_modules("tsx", "onnxruntime-web")


@pytest.fixture(scope="module")
def lora_pkg(converted, tmp_path_factory):
    src, _ = converted
    out = str(tmp_path_factory.mktemp("wan-lora-pkg"))
    rc = main(["wan", "--from", src, "--out", out, "--frames", str(FRAMES), "--height", str(HEIGHT), "--width", str(WIDTH),
               "--max-length", str(L), "--steps", str(STEPS), "--shard-bytes", str(SHARD), "--name", "wan-tiny",
               "--variants", "fp32,int8", "--lora-rank", str(RANK)])
    assert rc == 0
    return src, out


def test_manifest_declares_the_slots_and_every_graph_takes_them(lora_pkg):
    _, out = lora_pkg
    check_package(out)
    m = json.load(open(os.path.join(out, "manifest.json")))
    lora = m["lora"]
    assert (lora["slots"], lora["depth"], lora["targets"], lora["rank"], lora["blocks"]) == (
        ["identity", "motion"], 2, list(TARGETS), RANK, "blocks")
    assert lora["aliases"]["self_attn.q"] == "attn1.to_q" and lora["aliases"]["cross_attn.o"] == "attn2.to_out.0"
    for role in ("lora_scales", "lora_down", "lora_up"):
        assert m["components"]["denoiser"]["inputs"][role] == role
    report = json.load(open(os.path.join(out, "convert_report.json")))
    # checked with every slot non-zero (lora_slots.example_feeds), int8 included
    assert report["errors"]["denoiser.fp32"]["relative"] < 1e-5 and report["errors"]["denoiser.int8"]["relative"] < 0.05


def test_empty_slots_are_the_base_model(lora_pkg, converted):
    """All-zero LoRA inputs: the same velocity as the package converted without slots, on the same feeds."""
    import onnxruntime as ort

    _, out = lora_pkg
    _, base = converted
    lora = json.load(open(os.path.join(out, "manifest.json")))["lora"]
    g = np.random.default_rng(0)
    feeds = {"latent": g.standard_normal((2, 16, 3, 4, 4), np.float32), "timestep": np.array([0.9, 0.4], np.float32),
             "text": g.standard_normal((2, L, 32), np.float32), "text_mask": np.ones((2, L), np.float32)}
    s, d, p, r, c = len(lora["slots"]), lora["depth"], len(lora["targets"]), lora["rank"], lora["width"]
    zeros = {"lora_scales": np.zeros((2, s, d), np.float32), "lora_down": np.zeros((s, d, p, r, c), np.float32),
             "lora_up": np.zeros((s, d, p, c, r), np.float32)}
    run = lambda pkg, f: ort.InferenceSession(os.path.join(pkg, "denoiser.onnx")).run(None, f)[0]  # noqa: E731
    with_slots, without = run(out, {**feeds, **zeros}), run(base, feeds)
    assert np.abs(with_slots - without).max() <= 1e-6 * np.abs(without).max()
    # and the slots do act: a scale on a non-zero slot moves the output
    moved = run(out, {**feeds, **zeros, "lora_scales": np.ones((2, s, d), np.float32),
                      "lora_down": g.standard_normal((s, d, p, r, c), np.float32),
                      "lora_up": g.standard_normal((s, d, p, c, r), np.float32)})
    assert np.abs(moved - without).max() > 0.01 * np.abs(without).max()


def write_adapter(tmp, width: int) -> tuple[dict, dict, dict]:
    """A rank-3 LoRA over block 0's self-attention and block 1's cross-attention keys and output, alpha 6 (so B is
    scaled by 2): Vidlet's files (names as the manifest's targets, rank and alpha in __metadata__, a description)
    and the same update for diffusers with the scale folded into B."""
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(3)
    rank, alpha, strength = 3, 6.0, 0.8
    layers = [f"blocks.0.{t}" for t in TARGETS[:4]] + ["blocks.1.attn2.to_k", "blocks.1.attn2.to_out.0"]
    ours, theirs = {}, {}
    for layer in layers:
        a = torch.randn(rank, width, generator=g) / width ** 0.5
        b = torch.randn(width, rank, generator=g) * 0.6
        ours[f"{layer}.lora_A.weight"], ours[f"{layer}.lora_B.weight"] = a, b
        theirs[f"transformer.{layer}.lora_A.weight"] = a
        theirs[f"transformer.{layer}.lora_B.weight"] = b * (alpha / rank) * strength
    weights = os.path.join(tmp, "spin.safetensors")
    save_file(ours, weights, metadata={"rank": str(rank), "alpha": str(alpha)})
    description = os.path.join(tmp, "spin.json")
    json.dump({"format": "vidlet-adapter", "formatVersion": 1, "name": "spin", "kind": "style", "baseModel": "wan-tiny",
               "triggerWords": [], "recommendedStrength": 1.0}, open(description, "w"))
    return {"weights": weights, "description": description, "strength": strength}, theirs, {"rank": rank}


def test_engine_with_an_adapter_generates_what_wan_pipeline_with_that_lora_generates(lora_pkg, tmp_path):
    from diffusers import WanPipeline

    src, out = lora_pkg
    width = json.load(open(os.path.join(out, "manifest.json")))["lora"]["width"]
    adapter, reference_lora, _ = write_adapter(tmp_path, width)
    plain_dir, lora_dir = tmp_path / "plain", tmp_path / "lora"
    plain_dir.mkdir()
    lora_dir.mkdir()
    noise, plain, _ = engine_generate(out, plain_dir, WAN_PROMPT, WAN_SEED, STEPS, WAN_W)
    _, ours, result = engine_generate(out, lora_dir, WAN_PROMPT, WAN_SEED, STEPS, WAN_W, adapters=[adapter])
    assert result["denoiserCalls"] == STEPS

    pipe = WanPipeline.from_pretrained(src, dtype=torch.float32)
    pipe.load_lora_weights(reference_lora, adapter_name="spin")
    ref = pipe(prompt=WAN_PROMPT, negative_prompt="", height=HEIGHT, width=WIDTH, num_frames=FRAMES,
               num_inference_steps=STEPS, guidance_scale=WAN_W, max_sequence_length=L,
               latents=torch.from_numpy(noise)[None], output_type="pt").frames
    compare(ours, ref, "wan with a LoRA in a slot vs WanPipeline.load_lora_weights")
    # the adapter changed the clip, so the comparison above could fail
    moved = np.abs(ours.astype(np.float64) - plain.astype(np.float64))
    print(f"the adapter moved the clip by mean {moved.mean():.2f} levels, max {moved.max():.0f}")
    assert moved.mean() > 2.0
    with pytest.raises(AssertionError):
        compare(plain, ref, "the clip without the adapter vs the pipeline with it (must fail)")
