"""--transformer FILE (transformer_file.py): the denoiser's weights from one checkpoint file in Wan's original
layout, as third-party fine-tuned and distilled weights are published. The tiny Wan fixture's transformer, every
weight moved, is written the way Wan's own code and ComfyUI name it (`model.diffusion_model.blocks.0.self_attn.q`,
bfloat16); the package converted from the fixture folder with that file must generate what WanPipeline generates
with `WanTransformer3DModel.from_single_file` of the same file (diffusers' own reading of it), and not what it
generates with the folder's weights. A file that does not fit the folder's architecture is refused before export."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from prereq import require_node_modules
from test_engine_vs_pipelines import WAN_PROMPT, WAN_SEED, WAN_W, compare, engine_generate

from conftest import FRAMES, HEIGHT, L, SHARD, WIDTH
from vidlet_convert.__main__ import main

STEPS = 3
pytestmark = pytest.mark.own_package  # the tiny checkpoint alone, converted its own way (scripts/test.sh halves)
# diffusers' names → Wan's original ones, for a text-to-video transformer: the inverse of diffusers'
# convert_wan_transformer_to_diffusers, which the test checks it is
TO_ORIGINAL = [("condition_embedder.time_embedder.linear_1", "time_embedding.0"),
               ("condition_embedder.time_embedder.linear_2", "time_embedding.2"),
               ("condition_embedder.text_embedder.linear_1", "text_embedding.0"),
               ("condition_embedder.text_embedder.linear_2", "text_embedding.2"),
               ("condition_embedder.time_proj", "time_projection.1"), ("attn1", "self_attn"), ("attn2", "cross_attn"),
               (".to_out.0.", ".o."), (".to_q.", ".q."), (".to_k.", ".k."), (".to_v.", ".v."),
               ("ffn.net.0.proj", "ffn.0"), ("ffn.net.2", "ffn.2"), ("proj_out", "head.head"),
               ("norm2", "norm__swap"), ("norm3", "norm2"), ("norm__swap", "norm3")]


@pytest.fixture(autouse=True)
def _node_modules():
    require_node_modules("tsx", "onnxruntime-web")


def original_name(key: str) -> str:
    if key == "scale_shift_table":
        return "head.modulation"
    for a, b in TO_ORIGINAL:
        key = key.replace(a, b)
    return key.replace("scale_shift_table", "modulation")


@pytest.fixture(scope="module")
def original_file(wan_src, tmp_path_factory) -> str:
    """The fixture's transformer with every weight moved, saved in the original layout, bfloat16."""
    from diffusers import WanTransformer3DModel
    from diffusers.loaders.single_file_utils import convert_wan_transformer_to_diffusers
    from safetensors.torch import save_file

    state = WanTransformer3DModel.from_pretrained(wan_src, subfolder="transformer").state_dict()
    g = torch.Generator().manual_seed(11)
    moved = {k: v + 0.3 * v.std().nan_to_num(0.1) * torch.randn(v.shape, generator=g) for k, v in state.items()}
    original = {f"model.diffusion_model.{original_name(k)}": v.to(torch.bfloat16).contiguous() for k, v in moved.items()}
    assert "model.diffusion_model.blocks.0.self_attn.q.weight" in original and "model.diffusion_model.head.modulation" in original
    # the names are the original layout's: diffusers' own mapping takes them back to its names
    assert set(convert_wan_transformer_to_diffusers(dict(original))) == set(state)
    path = str(tmp_path_factory.mktemp("third-party") / "wan-tiny-finetune.safetensors")
    save_file(original, path)
    return path


def convert(src: str, out: str, *extra: str) -> int:
    return main(["wan", "--from", src, "--out", out, "--frames", str(FRAMES), "--height", str(HEIGHT), "--width",
                 str(WIDTH), "--max-length", str(L), "--steps", str(STEPS), "--shard-bytes", str(SHARD), "--name",
                 "wan-tiny", "--variants", "fp32", *extra])


def test_the_package_generates_what_diffusers_makes_of_the_file(wan_src, original_file, tmp_path):
    from diffusers import WanPipeline, WanTransformer3DModel

    out = str(tmp_path / "pkg")
    assert convert(wan_src, out, "--transformer", original_file) == 0
    report = json.load(open(os.path.join(out, "convert_report.json")))
    record = report["transformer_file"]
    assert (record["file"], record["layout"], len(record["sha256"])) == ("wan-tiny-finetune.safetensors", "original", 64)
    assert "`wan-tiny-finetune.safetensors`" in open(os.path.join(out, "MODEL_CARD.md")).read()

    noise, ours, _ = engine_generate(out, tmp_path, WAN_PROMPT, WAN_SEED, STEPS, WAN_W)

    def pipeline(transformer=None):
        extra = {"transformer": transformer} if transformer is not None else {}
        pipe = WanPipeline.from_pretrained(wan_src, dtype=torch.float32, **extra)
        return pipe(prompt=WAN_PROMPT, negative_prompt="", height=HEIGHT, width=WIDTH, num_frames=FRAMES,
                    num_inference_steps=STEPS, guidance_scale=WAN_W, max_sequence_length=L,
                    latents=torch.from_numpy(noise)[None], output_type="pt").frames

    single = WanTransformer3DModel.from_single_file(original_file, config=wan_src, subfolder="transformer",
                                                    torch_dtype=torch.float32)
    compare(ours, pipeline(single), "wan with --transformer vs WanPipeline with from_single_file of the same file")
    with pytest.raises(AssertionError):
        compare(ours, pipeline(), "the same against the folder's own weights (must fail)")


@pytest.mark.parametrize("damage, words", [
    ("drop", "1 of the transformer's weights missing (blocks.1.ffn.net.2.bias)"),
    ("reshape", "1 weights of another shape (blocks.0.attn1.to_q.weight is [12, 24], the folder's config makes [24, 24])"),
    ("extra", "1 weights the transformer does not have (blocks.7.attn1.to_q.weight)"),
])
def test_a_file_that_does_not_fit_is_refused_before_export(wan_src, original_file, tmp_path, capsys, damage, words):
    from safetensors.torch import load_file, save_file

    state = load_file(original_file)
    prefix = "model.diffusion_model.blocks"
    if damage == "drop":
        del state[f"{prefix}.1.ffn.2.bias"]
    elif damage == "reshape":
        state[f"{prefix}.0.self_attn.q.weight"] = state[f"{prefix}.0.self_attn.q.weight"][:12].contiguous()
    else:
        state[f"{prefix}.7.self_attn.q.weight"] = state[f"{prefix}.0.self_attn.q.weight"].clone()
    path = str(tmp_path / "damaged.safetensors")
    save_file(state, path)
    out = tmp_path / "out"
    assert convert(wan_src, str(out), "--transformer", path) == 1
    err = capsys.readouterr().err
    assert f"--transformer {path}: it does not fit the transformer of --from's config: {words}" in err
    assert not out.exists() or not os.listdir(out)


def test_a_file_in_diffusers_names_is_taken_as_it_is(wan_src, tmp_path):
    """A transformer's own state dict in one file (diffusers' names) loads unmapped: the same weights come back."""
    from diffusers import WanTransformer3DModel
    from safetensors.torch import save_file

    from vidlet_convert.transformer_file import load_into

    tr = WanTransformer3DModel.from_pretrained(wan_src, subfolder="transformer")
    state = {k: torch.randn_like(v) for k, v in tr.state_dict().items()}
    path = str(tmp_path / "diffusers-names.safetensors")
    save_file(state, path)
    record = load_into(tr, "wan", path)
    assert record["layout"] == "diffusers" and record["tensors"] == len(state)
    for k, v in tr.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), state[k].numpy())


def test_an_ltx_single_file_is_read_with_its_vae_left_out(tmp_path):
    """LTX-Video's single-file releases hold the transformer in the original names (`patchify_proj`, `adaln_single`,
    `q_norm`) under `model.diffusion_model.`, beside the VAE under `vae.`: the transformer's weights come back."""
    from diffusers import LTXVideoTransformer3DModel
    from safetensors.torch import save_file

    from vidlet_convert.ltx_fixture import TRANSFORMER
    from vidlet_convert.transformer_file import load_into

    tr = LTXVideoTransformer3DModel(**TRANSFORMER)
    state = {k: torch.randn_like(v) for k, v in tr.state_dict().items()}
    renames = (("proj_in", "patchify_proj"), ("time_embed", "adaln_single"), ("norm_q", "q_norm"), ("norm_k", "k_norm"))
    original = {}
    for k, v in state.items():
        for a, b in renames:
            k = k.replace(a, b)
        original[f"model.diffusion_model.{k}"] = v
    assert "model.diffusion_model.patchify_proj.weight" in original
    original["vae.decoder.conv_in.conv.weight"] = torch.zeros(4, 4)
    path = str(tmp_path / "ltxv-tiny.safetensors")
    save_file(original, path)
    record = load_into(tr, "ltx", path)
    assert record["layout"] == "original" and record["tensors"] == len(state)
    for k, v in tr.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), state[k].numpy())
