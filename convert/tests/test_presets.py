"""--presets (docs/model-package.md "Presets"): the tiny Wan fixture converted with two clip sizes. The denoiser,
preview and VAE decoders take both (dynamic latent t/h/w), every graph is checked against PyTorch at each size
(convert_report.json, gated like the rest), the manifest lists them, and Vidlet's engine (src/engine in Node,
onnxruntime-web wasm) makes what WanPipeline makes from the same noise at both sizes."""
from __future__ import annotations

import json
import os

import onnx
import pytest
import torch
from prereq import require_node_modules

from conftest import L, SHARD
from test_engine_vs_pipelines import check_package, compare, engine_generate
from vidlet_convert.__main__ import main, parse_args
from vidlet_convert.fixture import make_fixture
from vidlet_convert.package import TOLERANCE

# default 9 frames of 32x32 (latent 3x4x4); "big" 13 frames of 64x48 (latent 4x6x8): another length and
# another height and width, so every dynamic axis is used
PRESETS = {"9x32x32": (9, 32, 32), "big": (13, 48, 64)}


@pytest.fixture(scope="module")
def presets_converted(tmp_path_factory):
    src = str(tmp_path_factory.mktemp("wan-tiny-presets"))
    out = str(tmp_path_factory.mktemp("pkg-presets"))
    make_fixture(src, seed=0)
    rc = main(["wan", "--from", src, "--out", out, "--presets", "9x32x32,big=13x48x64", "--max-length", str(L),
               "--steps", "4", "--shard-bytes", str(SHARD), "--variants", "fp32,int8", "--name", "wan-tiny-presets"])
    assert rc == 0
    return src, out


def test_manifest_lists_the_presets_with_their_attention(presets_converted):
    _, out = presets_converted
    m = json.load(open(os.path.join(out, "manifest.json")))
    p = m["presets"]
    assert p["default"] == "9x32x32"
    assert p["factors"] == {"time": 4, "space": 8, "causal": True} and p["patch"] == {"frames": 1, "height": 2, "width": 2}
    assert [(s["name"], s["frames"], s["height"], s["width"]) for s in p["sizes"]] == [(n, *v) for n, v in PRESETS.items()]
    # the manifest's own size is the default preset's (an engine without presets makes it)
    assert (m["video"]["frames"], m["video"]["height"], m["video"]["width"]) == PRESETS["9x32x32"]
    assert (m["latent"]["frames"], m["latent"]["height"], m["latent"]["width"]) == (3, 4, 4)
    # scores [2, heads 2, N, N] float32: N = 3·2·2 = 12 and 4·3·4 = 48 video tokens
    assert [s["attentionScoresBytes"] for s in p["sizes"]] == [2 * 2 * 12 * 12 * 4, 2 * 2 * 48 * 48 * 4]
    # `video`'s figure is the default preset's: the parser refuses the two apart
    assert m["video"]["attentionScoresBytes"] == p["sizes"][0]["attentionScoresBytes"]


def test_every_preset_checked_against_pytorch_and_recorded(presets_converted):
    _, out = presets_converted
    report = json.load(open(os.path.join(out, "convert_report.json")))
    errors = report["errors"]
    for key in ("denoiser.fp32.preset.big", "denoiser.int8.preset.big", "previewDecoder.fp32.preset.big",
                "vaeDecoderFrames.fp32.preset.big", "vaeDecoder.fp32.otherSize"):
        assert key in errors, key
        e = errors[key]
        assert e["relative"] <= TOLERANCE[e["variant"]] and e["peak"] > 0, (key, e)
    assert report["presets"]["big"]["grid"] == [4, 6, 8]
    assert report["presets"]["big"]["attention"]["tokens"] == 48


def test_graphs_take_dynamic_latent_sizes(presets_converted):
    _, out = presets_converted

    def latent_dims(name):
        g = onnx.load(os.path.join(out, name), load_external_data=False).graph
        shape = next(i for i in g.input if i.name == "latent").type.tensor_type.shape.dim
        return [d.dim_param or d.dim_value for d in shape]

    for name in ("denoiser.onnx", "preview_decoder.onnx"):
        assert all(isinstance(d, str) for d in (lambda s: [s[0], *s[2:]])(latent_dims(name))), (name, latent_dims(name))
    for name in ("vae_decoder.onnx", "vae_decoder_first.onnx", "vae_decoder_next.onnx"):
        assert all(isinstance(d, str) for d in latent_dims(name)[3:]), (name, latent_dims(name))


def test_cli_presets_arguments():
    base = ["wan", "--from", "x", "--out", "y"]
    a = parse_args(base + ["--presets", "33x240x416,fast=17x160x288"])
    assert (a.frames, a.height, a.width, a.default_preset) == (33, 240, 416, "33x240x416")
    a = parse_args(base + ["--presets", "33x240x416,fast=17x160x288", "--frames", "17", "--height", "160",
                           "--width", "288"])
    assert (a.frames, a.height, a.width, a.default_preset) == (17, 160, 288, "fast")
    assert parse_args(base).default_preset is None and (parse_args(base).frames, parse_args(base).width) == (33, 416)
    with pytest.raises(SystemExit):  # the default size must be one of them
        parse_args(base + ["--presets", "33x240x416", "--frames", "17"])
    for bad in ("33x240", "a b=33x240x416", "33x240x416,33x240x416"):
        with pytest.raises(SystemExit):
            parse_args(base + ["--presets", bad])


@pytest.mark.parametrize("preset", list(PRESETS))
def test_engine_generates_what_wan_pipeline_generates_at_each_preset(presets_converted, preset, tmp_path):
    require_node_modules("tsx", "onnxruntime-web")
    from diffusers import WanPipeline

    src, out = presets_converted
    check_package(out)
    frames, height, width = PRESETS[preset]
    prompt, seed, w, steps = "a red ball jumps on the beach", 5, 5.0, 4
    noise, ours, result = engine_generate(out, tmp_path, prompt, seed, steps, w, preset=preset)
    assert result["preset"] == preset
    assert (result["frames"], result["height"], result["width"]) == (frames, height, width)
    assert (result["batch"], result["denoiserCalls"]) == (2, steps)
    pipe = WanPipeline.from_pretrained(src, dtype=torch.float32)
    ref = pipe(prompt=prompt, negative_prompt="", height=height, width=width, num_frames=frames,
               num_inference_steps=steps, guidance_scale=w, max_sequence_length=L,
               latents=torch.from_numpy(noise)[None], output_type="pt").frames
    compare(ours, ref, f"wan preset {preset}")


def test_without_presets_the_package_is_as_before(converted):
    """No --presets: no `presets` section, no per-preset errors, and the denoiser and preview keep batch as their
    only dynamic axis (the graphs exactly as a one-size conversion always made them)."""
    _, out = converted
    m = json.load(open(os.path.join(out, "manifest.json")))
    assert "presets" not in m
    report = json.load(open(os.path.join(out, "convert_report.json")))
    assert "presets" not in report and not any(".preset." in k for k in report["errors"])
    for name in ("denoiser.onnx", "preview_decoder.onnx"):
        g = onnx.load(os.path.join(out, name), load_external_data=False).graph
        dims = [d.dim_param or d.dim_value for d in next(i for i in g.input if i.name == "latent").type.tensor_type.shape.dim]
        assert isinstance(dims[0], str) and dims[1:] == [16, 3, 4, 4], (name, dims)
