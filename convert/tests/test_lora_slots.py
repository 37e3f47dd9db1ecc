"""LoRA in a converted package: slots (`--lora-rank`, lora_slots.py) and a LoRA merged into the weights
(`--merge-lora`, lora_merge.py). The tiny Wan fixture is converted once with both: a ComfyUI-layout LoRA that
also touches the feed-forward layers merged at 0.7, and slots of rank 4. Its graph with empty slots is checked
against the package converted without either (the merge must show), and the engine — without an adapter, then
with one in a slot — against WanPipeline with the same files loaded by diffusers itself (`load_lora_weights`),
from the engine's noise."""
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
from vidlet_convert.lora_slots import TARGETS, WAN_FEED_FORWARD

RANK, STEPS, MERGE_SCALE = 4, 4, 0.7


@pytest.fixture(autouse=True)
def _node_modules():
    require_node_modules("tsx", "onnxruntime-web")


def write_comfy_lora(path: str, width: int, ffn: int) -> None:
    """A LoRA in the layout of Wan's original code / ComfyUI (`diffusion_model.blocks.N.self_attn.q.lora_down`,
    per-layer `alpha`), over both blocks' self-attention queries and outputs and their feed-forward layers."""
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(7)
    rank, tensors = 2, {}
    for d in (0, 1):
        for name, (n_in, n_out) in {"self_attn.q": (width, width), "self_attn.o": (width, width), "ffn.0": (width, ffn),
                                    "ffn.2": (ffn, width)}.items():
            key = f"diffusion_model.blocks.{d}.{name}"
            tensors[f"{key}.lora_down.weight"] = torch.randn(rank, n_in, generator=g) / n_in ** 0.5
            tensors[f"{key}.lora_up.weight"] = torch.randn(n_out, rank, generator=g) * 0.5
            tensors[f"{key}.alpha"] = torch.tensor(4.0)
    save_file(tensors, path)


@pytest.fixture(scope="module")
def merged_lora(tmp_path_factory, converted) -> str:
    from diffusers import WanTransformer3DModel

    cfg = WanTransformer3DModel.load_config(os.path.join(converted[0], "transformer"))
    path = str(tmp_path_factory.mktemp("lora") / "comfy.safetensors")
    write_comfy_lora(path, cfg["num_attention_heads"] * cfg["attention_head_dim"], cfg["ffn_dim"])
    return path


@pytest.fixture(scope="module")
def lora_pkg(converted, merged_lora, tmp_path_factory):
    src, _ = converted
    out = str(tmp_path_factory.mktemp("wan-lora-pkg"))
    rc = main(["wan", "--from", src, "--out", out, "--frames", str(FRAMES), "--height", str(HEIGHT), "--width", str(WIDTH),
               "--max-length", str(L), "--steps", str(STEPS), "--shard-bytes", str(SHARD), "--name", "wan-tiny",
               "--variants", "fp32,int8", "--lora-rank", str(RANK), "--merge-lora", f"{merged_lora}:{MERGE_SCALE}"])
    assert rc == 0
    return src, out


def reference(src: str, noise: np.ndarray, loras: list[tuple[object, float]]) -> torch.Tensor:
    """WanPipeline's frames from the engine's noise with `loras` ([(a file or state dict, scale)]) loaded by diffusers."""
    from diffusers import WanPipeline

    pipe = WanPipeline.from_pretrained(src, dtype=torch.float32)
    names = []
    for i, (lora, _) in enumerate(loras):
        pipe.load_lora_weights(lora, adapter_name=f"l{i}")
        names.append(f"l{i}")
    if names:
        pipe.set_adapters(names, [scale for _, scale in loras])
    return pipe(prompt=WAN_PROMPT, negative_prompt="", height=HEIGHT, width=WIDTH, num_frames=FRAMES,
                num_inference_steps=STEPS, guidance_scale=WAN_W, max_sequence_length=L,
                latents=torch.from_numpy(noise)[None], output_type="pt").frames


def test_manifest_declares_the_slots_and_every_graph_takes_them(lora_pkg):
    _, out = lora_pkg
    check_package(out)
    m = json.load(open(os.path.join(out, "manifest.json")))
    lora = m["lora"]
    assert (lora["slots"], lora["depth"], lora["targets"], lora["rank"], lora["blocks"]) == (
        ["identity", "motion"], 2, list(TARGETS), RANK, "blocks")
    assert lora["aliases"]["self_attn.q"] == "attn1.to_q" and lora["aliases"]["cross_attn.o"] == "attn2.to_out.0"
    # --lora-targets all (the default): the feed-forward layers too, one group per shape (C → F, F → C)
    width, ffn = lora["width"], lora["groups"][0]["out"]
    assert lora["groups"] == [{"targets": [WAN_FEED_FORWARD[0]], "in": width, "out": ffn},
                              {"targets": [WAN_FEED_FORWARD[1]], "in": ffn, "out": width}]
    assert (lora["aliases"]["ffn.0"], lora["aliases"]["ffn.2"]) == WAN_FEED_FORWARD
    for role in ("lora_scales", "lora_down", "lora_up", "lora_down_1", "lora_up_1", "lora_down_2", "lora_up_2"):
        assert m["components"]["denoiser"]["inputs"][role] == role
    report = json.load(open(os.path.join(out, "convert_report.json")))
    # checked with every slot non-zero (lora_slots.example_feeds), int8 included, and at rank 1 (the dynamic
    # rank axis the engine cuts the slots to)
    assert report["errors"]["denoiser.fp32"]["relative"] < 1e-5 and report["errors"]["denoiser.int8"]["relative"] < 0.05
    assert report["errors"]["denoiser.fp32.rank1"]["relative"] < 1e-5
    # the merged file: 8 layers (4 a block), recorded with its hash and scale in the report and the card
    (entry,) = report["merged_loras"]
    assert (entry["file"], entry["scale"], entry["layers"], len(entry["sha256"])) == ("comfy.safetensors", MERGE_SCALE, 8, 64)
    assert "merging LoRA files into the denoiser" in open(os.path.join(out, "MODEL_CARD.md")).read()


def test_empty_slots_add_nothing_and_the_merge_shows(lora_pkg, converted):
    """All-zero LoRA inputs add nothing: the velocity differs from the package converted without slots or merge
    by the merged LoRA alone, which the same graph shows when the merge is the only change (checked against
    PyTorch in the clip test below); non-zero slots move it further."""
    import onnxruntime as ort

    _, out = lora_pkg
    _, base = converted
    lora = json.load(open(os.path.join(out, "manifest.json")))["lora"]
    g = np.random.default_rng(0)
    feeds = {"latent": g.standard_normal((2, 16, 3, 4, 4), np.float32), "timestep": np.array([0.9, 0.4], np.float32),
             "text": g.standard_normal((2, L, 32), np.float32), "text_mask": np.ones((2, L), np.float32)}
    s, d, r = len(lora["slots"]), lora["depth"], lora["rank"]
    groups = [(len(lora["targets"]), lora["width"], lora["width"]), *((len(x["targets"]), x["in"], x["out"]) for x in lora["groups"])]
    shapes = {}
    for k, (p, n_in, n_out) in enumerate(groups):
        suffix = f"_{k}" if k else ""
        shapes[f"lora_down{suffix}"], shapes[f"lora_up{suffix}"] = (s, d, p, r, n_in), (s, d, p, n_out, r)
    zeros = {"lora_scales": np.zeros((2, s, d), np.float32), **{k: np.zeros(v, np.float32) for k, v in shapes.items()}}
    run = lambda pkg, f: ort.InferenceSession(os.path.join(pkg, "denoiser.onnx")).run(None, f)[0]  # noqa: E731
    with_slots, without = run(out, {**feeds, **zeros}), run(base, feeds)
    assert np.abs(with_slots - without).max() > 0.01 * np.abs(without).max()  # the merge
    # zero scales on non-zero slots: exactly the empty slots' output
    slots = {k: g.standard_normal(v, np.float32) for k, v in shapes.items()}
    np.testing.assert_array_equal(run(out, {**feeds, **zeros, **slots}), with_slots)
    moved = run(out, {**feeds, **zeros, **slots, "lora_scales": np.ones((2, s, d), np.float32)})
    assert np.abs(moved - with_slots).max() > 0.01 * np.abs(with_slots).max()


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


def test_engine_generates_what_wan_pipeline_with_the_same_loras_generates(lora_pkg, merged_lora, tmp_path):
    """Without an adapter: WanPipeline with the merged file at its scale (and not without it). With an adapter in
    a slot: WanPipeline with both files."""
    src, out = lora_pkg
    width = json.load(open(os.path.join(out, "manifest.json")))["lora"]["width"]
    adapter, reference_lora, _ = write_adapter(tmp_path, width)
    plain_dir, lora_dir = tmp_path / "plain", tmp_path / "lora"
    plain_dir.mkdir()
    lora_dir.mkdir()
    noise, plain, _ = engine_generate(out, plain_dir, WAN_PROMPT, WAN_SEED, STEPS, WAN_W)
    compare(plain, reference(src, noise, [(merged_lora, MERGE_SCALE)]), "wan with a merged LoRA vs WanPipeline with it")
    with pytest.raises(AssertionError):
        compare(plain, reference(src, noise, []), "wan with a merged LoRA vs WanPipeline without it (must fail)")

    _, ours, result = engine_generate(out, lora_dir, WAN_PROMPT, WAN_SEED, STEPS, WAN_W, adapters=[adapter])
    assert result["denoiserCalls"] == STEPS
    ref = reference(src, noise, [(merged_lora, MERGE_SCALE), (reference_lora, 1.0)])
    compare(ours, ref, "wan with a LoRA in a slot vs WanPipeline.load_lora_weights")
    # the adapter changed the clip, so the comparison above could fail
    moved = np.abs(ours.astype(np.float64) - plain.astype(np.float64))
    print(f"the adapter moved the clip by mean {moved.mean():.2f} levels, max {moved.max():.0f}")
    assert moved.mean() > 2.0
    with pytest.raises(AssertionError):
        compare(plain, ref, "the clip without the adapter vs the pipeline with it (must fail)")


def test_a_comfyui_lora_in_a_slot_is_read_as_diffusers_reads_it(lora_pkg, merged_lora, tmp_path):
    """The same bytes on both sides: a ComfyUI-layout file (Wan's original names, per-layer alpha, no description)
    over the self- and cross-attention and the feed-forward layers (their own slot groups), dropped into a slot as
    it is and loaded by WanPipeline as it is."""
    from safetensors.torch import save_file

    src, out = lora_pkg
    lora = json.load(open(os.path.join(out, "manifest.json")))["lora"]
    width, ffn = lora["width"], lora["groups"][0]["out"]
    g = torch.Generator().manual_seed(5)
    tensors = {}
    for d, name, rank, alpha, n_in, n_out in ((0, "self_attn.k", 2, 3.0, width, width), (0, "cross_attn.v", 3, 1.5, width, width),
                                              (1, "self_attn.o", 4, 4.0, width, width), (0, "ffn.2", 3, 2.0, ffn, width),
                                              (1, "ffn.0", 2, 5.0, width, ffn)):
        key = f"diffusion_model.blocks.{d}.{name}"
        tensors[f"{key}.lora_down.weight"] = torch.randn(rank, n_in, generator=g) / n_in ** 0.5
        tensors[f"{key}.lora_up.weight"] = torch.randn(n_out, rank, generator=g) * 0.8
        tensors[f"{key}.alpha"] = torch.tensor(alpha)
    weights = str(tmp_path / "comfy-slot.safetensors")
    save_file(tensors, weights)
    noise, ours, result = engine_generate(out, tmp_path, WAN_PROMPT, WAN_SEED, STEPS, WAN_W,
                                          adapters=[{"weights": weights, "strength": 0.9}])
    assert result["denoiserCalls"] == STEPS
    ref = reference(src, noise, [(merged_lora, MERGE_SCALE), (weights, 0.9)])
    compare(ours, ref, "wan with a ComfyUI LoRA in a slot vs WanPipeline.load_lora_weights of the same file")
    with pytest.raises(AssertionError):
        compare(ours, reference(src, noise, [(merged_lora, MERGE_SCALE)]), "the same without the slot's LoRA (must fail)")
    # the feed-forward layers took part: without them diffusers makes another clip
    attention = {k: v for k, v in tensors.items() if ".ffn." not in k}
    with pytest.raises(AssertionError):
        compare(ours, reference(src, noise, [(merged_lora, MERGE_SCALE), (attention, 0.9)]),
                "the same without the slot's feed-forward layers (must fail)")


def test_a_lora_for_another_model_is_refused_before_export(converted, tmp_path, capsys):
    from safetensors.torch import save_file

    path = str(tmp_path / "other.safetensors")
    save_file({"transformer.blocks.0.attn1.to_q.lora_A.weight": torch.zeros(2, 24),
               "transformer.blocks.0.attn1.to_q.lora_B.weight": torch.zeros(24, 2),
               "transformer.blocks.7.attn1.to_q.lora_A.weight": torch.zeros(2, 24),
               "transformer.blocks.7.attn1.to_q.lora_B.weight": torch.zeros(24, 2)}, path)
    out = tmp_path / "out"
    assert main(["wan", "--from", converted[0], "--out", str(out), "--frames", str(FRAMES), "--height", str(HEIGHT),
                 "--width", str(WIDTH), "--variants", "fp32", "--merge-lora", path]) == 1
    assert "layers this transformer does not have: blocks.7.attn1.to_q" in capsys.readouterr().err
    assert not os.listdir(out)
