"""LTXConditionPipeline checkpoints (LTX-Video 0.9.7 and later, the distilled ones among them): the tiny fixture
in that layout (ltx_fixture --condition) converted, and Vidlet's engine against the pipeline itself from the
engine's noise, once on the pipeline's default linear-quadratic grid with CFG and once as the publisher runs a
distilled checkpoint (a fixed list of timesteps, no CFG, decode noise 0.025 at decode timestep 0.05). Both
packages offer two clip sizes (`--presets`): the distilled run makes the longer, wider one, which the denoiser,
the preview and the whole-clip VAE graph (dynamic in time too: `vaeAnyLength`) take as they take the default.

LTXConditionPipeline draws its initial latent itself (a `latents` argument is ignored without a conditioning
strength), and its decode noise after the loop, both through `randn_tensor`; the reference is given the
engine's two draws in that order through that function, and nothing else of the pipeline is replaced."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from prereq import require_node_modules
from test_engine_vs_pipelines import check_package, compare, engine_generate

from conftest import L, LTX_DECODE_T, LTX_FPS, LTX_FRAMES, LTX_HEIGHT, LTX_STEPS, LTX_WIDTH
from vidlet_convert.__main__ import main

# The list diffusers' LTX-Video documentation passes to LTXConditionPipeline for 0.9.7-distilled, as
# `timesteps` (so the last is 0.03 / 1000 as a noise level); with guidance_scale 1, decode_timestep 0.05 and
# decode_noise_scale 0.025.
DISTILLED_TIMESTEPS = [1000, 993, 987, 981, 975, 909, 725, 0.03]
DISTILLED_DECODE_NOISE = 0.025
PROMPT, SEED = "a blue cube runs at night", 11
# the default size (9 frames of 64x64: latent 2x2x2) and one longer and wider (latent 3x2x3)
PRESETS, LONG = f"{LTX_FRAMES}x{LTX_HEIGHT}x{LTX_WIDTH},long=17x64x96", {"num_frames": 17, "height": 64, "width": 96}


@pytest.fixture(autouse=True)
def _node_modules():
    require_node_modules("tsx", "onnxruntime-web")


@pytest.fixture(scope="module")
def condition_src(tmp_path_factory):
    from vidlet_convert.ltx_fixture import make_fixture

    src = str(tmp_path_factory.mktemp("ltx-condition"))
    make_fixture(src, seed=0, condition=True)
    return src


def convert(src: str, out: str, *extra: str) -> dict:
    rc = main(["ltx", "--from", src, "--out", out, "--presets", PRESETS, "--fps", str(LTX_FPS), "--max-length", str(L),
               "--variants", "fp32", "--decode-timestep", str(LTX_DECODE_T), "--name", "ltx-condition-tiny", *extra])
    assert rc == 0
    return json.load(open(os.path.join(out, "manifest.json")))


@pytest.fixture(scope="module")
def default_pkg(condition_src, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ltx-condition-pkg"))
    # with LoRA slots (empty in these runs: the clip must still be the pipeline's)
    return out, convert(condition_src, out, "--steps", str(LTX_STEPS), "--decode-noise-scale", "0", "--lora-rank", "2")


@pytest.fixture(scope="module")
def distilled_pkg(condition_src, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ltx-distilled-pkg"))
    sigmas = ",".join(repr(t / 1000) for t in DISTILLED_TIMESTEPS)
    return out, convert(condition_src, out, "--sigmas", sigmas, "--guidance", "1", "--decode-noise-scale",
                        str(DISTILLED_DECODE_NOISE))


def reference(src: str, draws: list[np.ndarray], **call) -> tuple[torch.Tensor, np.ndarray]:
    """LTXConditionPipeline's frames [1,T,3,H,W] in [0,1] for a text-only call (the default size unless `call`
    gives another), its random draws being `draws` (the engine's, [c,t,h,w] each) in order, and the levels its
    scheduler stepped between."""
    import diffusers.pipelines.ltx.pipeline_ltx_condition as module
    from diffusers import LTXConditionPipeline

    pipe = LTXConditionPipeline.from_pretrained(src, dtype=torch.float32)
    queue = [torch.from_numpy(d)[None] for d in draws]
    real = module.randn_tensor

    def engine_draw(shape, **kw):
        drawn = queue.pop(0)
        assert tuple(drawn.shape) == tuple(shape), (drawn.shape, shape)
        return drawn.to(kw.get("dtype") or torch.float32)

    module.randn_tensor = engine_draw
    try:
        size = {"height": LTX_HEIGHT, "width": LTX_WIDTH, "num_frames": LTX_FRAMES}
        frames = pipe(prompt=PROMPT, frame_rate=LTX_FPS, max_sequence_length=L, decode_timestep=LTX_DECODE_T,
                      output_type="pt", **{**size, **call}).frames
    finally:
        module.randn_tensor = real
    assert not queue, "the pipeline drew fewer times than expected"
    return frames, pipe.scheduler.sigmas.numpy()


def test_the_manifest_has_the_condition_pipelines_grid_and_the_engine_accepts_it(default_pkg, distilled_pkg):
    out, m = default_pkg
    check_package(out)
    assert m["schedule"] == {"type": "flow-matching", "shift": 1.0, "spacing": "linear-quadratic", "defaultSteps": LTX_STEPS,
                             "defaultGuidance": 3.0, "defaultInnerGuidance": 0.0, "defaultSampler": "euler"}
    assert "LTXConditionPipeline" in m["description"]
    assert (m["lora"]["blocks"], m["lora"]["depth"], m["lora"]["rank"]) == ("transformer_blocks", 2, 2)
    assert "lora_down" in m["components"]["denoiser"]["inputs"]
    assert "linear-quadratic" in open(os.path.join(out, "MODEL_CARD.md")).read()
    out, m = distilled_pkg
    check_package(out)
    assert m["schedule"]["sigmas"] == pytest.approx([t / 1000 for t in DISTILLED_TIMESTEPS], abs=1e-12)
    assert m["schedule"]["defaultGuidance"] == 1.0 and "spacing" not in m["schedule"]
    assert m["components"]["vaeDecoder"]["inputs"]["decode_noise"] == "decode_noise"
    assert m["presets"]["vaeAnyLength"] is True and m["presets"]["default"] == f"{LTX_FRAMES}x{LTX_HEIGHT}x{LTX_WIDTH}"
    assert [(p["name"], p["frames"], p["width"]) for p in m["presets"]["sizes"]] == [(m["presets"]["default"], 9, 64),
                                                                                     ("long", 17, 96)]
    report = json.load(open(os.path.join(out, "convert_report.json")))
    for role in ("denoiser", "vaeDecoder", "previewDecoder"):
        assert report["errors"][f"{role}.fp32.preset.long"]["relative"] < 1e-4, role


def test_engine_generates_what_ltx_condition_pipeline_generates(default_pkg, condition_src, tmp_path):
    out, _ = default_pkg
    w = 3.0
    noise, ours, result = engine_generate(out, tmp_path, PROMPT, SEED, LTX_STEPS, w)
    assert (result["batch"], result["denoiserCalls"]) == (2, LTX_STEPS)
    # the pipeline draws decode noise even at scale 0 (it multiplies it by 0)
    ref, sigmas = reference(condition_src, [noise, np.zeros_like(noise)], num_inference_steps=LTX_STEPS,
                            guidance_scale=w, decode_noise_scale=0.0, negative_prompt="")
    levels = np.abs(np.array(result["stepLevels"]) - sigmas[1:])
    print(f"ltx condition: engine's levels {result['stepLevels']} vs the pipeline's, max |Δ| {levels.max():.2g}")
    assert levels.max() < 1e-6
    compare(ours, ref, "ltx condition, linear-quadratic grid, CFG 3")


def test_engine_runs_a_distilled_checkpoint_as_its_publisher_does(distilled_pkg, condition_src, tmp_path):
    out, m = distilled_pkg
    lt = m["latent"]
    steps = len(DISTILLED_TIMESTEPS)
    _, ours, result = engine_generate(out, tmp_path, PROMPT, SEED, steps, 1.0, preset="long")
    assert (result["batch"], result["denoiserCalls"]) == (1, steps)  # no CFG: one pass a step
    assert ours.shape == (17, 64, 96, 3)
    shape = (lt["channels"], 3, 2, 3)  # the long preset's latent
    noise = np.fromfile(os.path.join(tmp_path, "noise.f32"), np.float32).reshape(shape)
    eps = np.fromfile(os.path.join(tmp_path, "decode_noise.f32"), np.float32).reshape(shape)
    ref, sigmas = reference(condition_src, [noise, eps], timesteps=DISTILLED_TIMESTEPS, guidance_scale=1.0,
                            decode_noise_scale=DISTILLED_DECODE_NOISE, **LONG)
    levels = np.abs(np.array(result["stepLevels"]) - sigmas[1:])
    print(f"ltx distilled: engine's levels vs the pipeline's, max |Δ| {levels.max():.2g}")
    assert levels.max() < 1e-6
    compare(ours, ref, "ltx distilled list, no CFG, decode noise, the long preset")


def test_each_difference_from_ltx_pipeline_matters(condition_src):
    """The three things an LTXConditionPipeline package does differently each change the result, so the
    comparisons above would fail without any one of them: T5 with the mask, RoPE on the pipeline's video
    coordinates, and the linear-quadratic grid."""
    from diffusers import LTXConditionPipeline

    from vidlet_convert.ltx_graphs import LtxDenoiser
    from vidlet_convert.ltx_schedule import contract_sigmas, linear_quadratic

    pipe = LTXConditionPipeline.from_pretrained(condition_src, dtype=torch.float32)
    ids = pipe.tokenizer([PROMPT], padding="max_length", max_length=L, return_tensors="pt")
    with torch.no_grad():
        masked = pipe.text_encoder(ids.input_ids, attention_mask=ids.attention_mask)[0]
        unmasked = pipe.text_encoder(ids.input_ids)[0]
    assert ids.attention_mask.sum() < L and (masked - unmasked).abs().max() > 1e-3

    g = torch.Generator().manual_seed(0)
    latent = torch.randn(1, 128, 2, 2, 2, generator=g)
    text = torch.randn(1, L, pipe.transformer.config.caption_channels, generator=g)
    args = (latent, torch.tensor([0.7]), text, torch.ones(1, L, dtype=torch.int64))
    with torch.no_grad():
        v = [LtxDenoiser(pipe.transformer, LTX_FPS, 8, 32, condition=c).eval()(*args) for c in (True, False)]
    assert (v[0] - v[1]).abs().max() > 1e-3 * v[0].abs().max()

    assert np.abs(np.append(linear_quadratic(LTX_STEPS), 0) - contract_sigmas(1.0, LTX_STEPS)).max() > 0.1


def test_a_condition_scheduler_the_package_cannot_follow_is_refused(condition_src, tmp_path, capsys):
    """A scheduler that shifts the pipeline's timesteps would step between other levels than the transformer is
    given; with dynamic shifting the pipeline itself cannot run. Refused before any export, naming the fields."""
    import shutil

    src = tmp_path / "src"
    shutil.copytree(condition_src, src)
    path = src / "scheduler" / "scheduler_config.json"
    config = json.load(open(path))
    json.dump({**config, "shift": 3.0, "shift_terminal": 0.1}, open(path, "w"))
    assert main(["ltx", "--from", str(src), "--out", str(tmp_path / "out"), "--frames", str(LTX_FRAMES), "--height",
                 str(LTX_HEIGHT), "--width", str(LTX_WIDTH), "--variants", "fp32"]) == 1
    assert "shift 3.0 (needs 1.0); shift_terminal 0.1 (needs None)" in capsys.readouterr().err
    assert not os.listdir(tmp_path / "out")

