"""Vidlet's own engine (src/engine through `npx tsx`, onnxruntime-web wasm in Node: what
`vidlet generate --model PKG` runs) on a converted package against the publisher's diffusers pipeline
started from the engine's own initial noise for the seed (pipeline.ts initialNoise, written out by
tests/engine_generate.ts): tokenizer, text encoder, the "" pass, CFG, the manifest's noise levels,
the sampler (Euler; UniPC for Wan's published scheduler), the VAE graph and the frame conversion must all agree. Also: the engine's package checker
accepts the package."""
from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest
from prereq import require_node_modules
import torch

from conftest import FRAMES, HEIGHT, L, LTX_DECODE_T, LTX_FPS, LTX_FRAMES, LTX_HEIGHT, LTX_STEPS, LTX_WIDTH, WIDTH

HERE = os.path.dirname(__file__)
REPO = os.path.dirname(os.path.dirname(HERE))
# The engine's frames are bytes, (v + 1)·127.5 rounded: fp32 graphs in wasm vs PyTorch differ by ~1e-5,
# so a value near a rounding edge can land one level off; nothing more.
MAX_LEVELS, MEAN_LEVELS = 1, 0.05

@pytest.fixture(autouse=True)
def _node_modules():
    require_node_modules("tsx", "onnxruntime-web")


def engine_generate(pkg: str, tmp, prompt: str, seed: int, steps: int, guidance: float,
                    sampler: str | None = None, preset: str | None = None,
                    adapters: list[dict] | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """(the engine's initial noise [c,t,h,w], its RGB frames [T,H,W,3] as uint8, result.json); `sampler`
    None: the package's defaultSampler; `preset`: the request's (a package with presets), whose size the
    noise and frames then have; `adapters`: [{weights, description, strength}] added and used."""
    spec = {"model": pkg, "variant": "fp32", "prompt": prompt, "seed": seed, "steps": steps, "guidance": guidance,
            "out": str(tmp), **({"sampler": sampler} if sampler else {}), **({"preset": preset} if preset is not None else {}),
            **({"adapters": adapters} if adapters else {})}
    path = os.path.join(tmp, "spec.json")
    json.dump(spec, open(path, "w"))
    subprocess.run(["npx", "tsx", os.path.join(HERE, "engine_generate.ts"), path], cwd=REPO, check=True, timeout=600)
    result = json.load(open(os.path.join(tmp, "result.json")))
    noise = np.fromfile(os.path.join(tmp, "noise.f32"), np.float32).reshape(result["latent"])
    rgba = np.fromfile(os.path.join(tmp, "video.u8"), np.uint8).reshape(result["frames"], result["height"],
                                                                       result["width"], 4)
    return noise, rgba[..., :3], result


def compare(ours: np.ndarray, ref01: torch.Tensor, label: str) -> None:
    """ref01: the pipeline's output_type="pt" frames [1,T,3,H,W] in [0,1]; the engine's bytes are
    (v + 1)·127.5 = ref01·255, rounded."""
    ref = ref01[0].permute(0, 2, 3, 1).numpy().astype(np.float64) * 255.0
    d = np.abs(ours.astype(np.float64) - np.round(ref))
    print(f"{label}: engine vs pipeline, mean |Δ| {d.mean():.4f} levels, max {d.max():.0f}; frames std {ref.std():.1f}",
          flush=True)
    assert d.max() <= MAX_LEVELS and d.mean() <= MEAN_LEVELS, label
    assert ref.std() > 1.0, f"{label}: a flat video would make the comparison vacuous"


def check_package(pkg: str) -> None:
    r = subprocess.run(["npx", "tsx", "src/store/check-package-cli.ts", pkg], cwd=REPO, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_engine_generates_what_ltx_pipeline_generates(ltx_converted, tmp_path):
    from diffusers import LTXPipeline

    """The package has no list: the engine makes LTXPipeline's levels itself from the manifest's shift and
    shiftTerminal (the published scheduler's shift_terminal 0.1)."""
    src, out, _ = ltx_converted
    check_package(out)
    schedule = json.load(open(os.path.join(out, "manifest.json")))["schedule"]
    assert schedule["shiftTerminal"] == 0.1 and "sigmas" not in schedule
    prompt, seed, w = "a blue cube runs at night", 11, 3.0
    noise, ours, result = engine_generate(out, tmp_path, prompt, seed, LTX_STEPS, w)
    assert (result["batch"], result["denoiserCalls"]) == (2, LTX_STEPS)
    pipe = LTXPipeline.from_pretrained(src, dtype=torch.float32)
    latents = pipe._pack_latents(torch.from_numpy(noise)[None], 1, 1)
    ref = pipe(prompt=prompt, negative_prompt="", height=LTX_HEIGHT, width=LTX_WIDTH, num_frames=LTX_FRAMES,
               frame_rate=LTX_FPS, num_inference_steps=LTX_STEPS, guidance_scale=w, max_sequence_length=L,
               decode_timestep=LTX_DECODE_T, decode_noise_scale=0.0, latents=latents, output_type="pt").frames
    levels = np.abs(np.array(result["stepLevels"]) - pipe.scheduler.sigmas.numpy()[1:])
    print(f"ltx: engine's levels {result['stepLevels']} vs the pipeline's, max |Δ| {levels.max():.2g}")
    assert levels.max() < 1e-6
    compare(ours, ref, "ltx")


def test_engine_with_decode_noise_generates_what_ltx_pipeline_decodes(ltx_noisy, tmp_path):
    """The package with the pipeline's default decode noise (scale = decode timestep 0.05; its vaeDecoder takes
    `decode_noise`): the engine feeds its own seeded draw (NoiseStream.decode), which the pipeline cannot be given,
    so the reference is decoded by hand from `pipe(..., output_type="latent")` as pipeline_ltx.py decodes, mixed
    with the engine's noise. A reference without the mix must fail the same comparison."""
    from diffusers import LTXPipeline

    src, out = ltx_noisy
    check_package(out)
    m = json.load(open(os.path.join(out, "manifest.json")))
    assert m["components"]["vaeDecoder"]["inputs"]["decode_noise"] == "decode_noise"
    prompt, seed, w = "a blue cube runs at night", 11, 3.0
    noise, ours, result = engine_generate(out, tmp_path, prompt, seed, LTX_STEPS, w)
    assert (result["batch"], result["denoiserCalls"]) == (2, LTX_STEPS)
    lt = m["latent"]
    eps = np.fromfile(os.path.join(tmp_path, "decode_noise.f32"), np.float32).reshape(1, lt["channels"], lt["frames"],
                                                                                      lt["height"], lt["width"])
    pipe = LTXPipeline.from_pretrained(src, dtype=torch.float32)
    tokens = pipe(prompt=prompt, negative_prompt="", height=LTX_HEIGHT, width=LTX_WIDTH, num_frames=LTX_FRAMES,
                  frame_rate=LTX_FPS, num_inference_steps=LTX_STEPS, guidance_scale=w, max_sequence_length=L,
                  decode_timestep=LTX_DECODE_T, latents=pipe._pack_latents(torch.from_numpy(noise)[None], 1, 1),
                  output_type="latent").frames

    def decode(mix: bool) -> torch.Tensor:  # pipeline_ltx.py after the loop, with the engine's noise
        z = pipe._unpack_latents(tokens, lt["frames"], lt["height"], lt["width"], 1, 1)
        z = pipe._denormalize_latents(z, pipe.vae.latents_mean, pipe.vae.latents_std, pipe.vae.config.scaling_factor)
        if mix:
            s = torch.tensor([LTX_DECODE_T])[:, None, None, None, None]
            z = (1 - s) * z + s * torch.from_numpy(eps)
        with torch.no_grad():
            video = pipe.vae.decode(z, torch.tensor([LTX_DECODE_T]), return_dict=False)[0]
        return pipe.video_processor.postprocess_video(video, output_type="pt")

    compare(ours, decode(True), "ltx with decode noise")
    with pytest.raises(AssertionError):
        compare(ours, decode(False), "ltx, reference without the decode noise (must fail)")


def test_engine_makes_ltx_pipelines_clip_at_a_preset_with_its_own_shift(ltx_noisy, tmp_path):
    """`ltx --presets` on an LTXPipeline checkpoint with the published dynamic shift: the `long` preset carries its
    own shift (e^mu for its token count), and the engine's clip at that size is LTXPipeline's at that size, decode
    noise included (the pipeline's own draw replaced by the engine's through `randn_tensor`). Sampled on the default
    size's shift instead, the levels would be off by far more than the 1e-6 they are checked to (at these tiny
    token counts, 8 and 18, the two shifts are close: 1.797 and 1.804)."""
    import diffusers.pipelines.ltx.pipeline_ltx as module
    from diffusers import LTXPipeline

    from vidlet_convert.ltx_schedule import contract_sigmas

    src, out = ltx_noisy
    m = json.load(open(os.path.join(out, "manifest.json")))
    long = next(p for p in m["presets"]["sizes"] if p["name"] == "long")
    assert long["shift"] > m["schedule"]["shift"]
    prompt, seed, w = "a blue cube runs at night", 11, 3.0
    noise, ours, result = engine_generate(out, tmp_path, prompt, seed, LTX_STEPS, w, preset="long")
    assert ours.shape == (17, 64, 96, 3)
    eps = np.fromfile(os.path.join(tmp_path, "decode_noise.f32"), np.float32).reshape((1, *noise.shape))
    pipe = LTXPipeline.from_pretrained(src, dtype=torch.float32)
    real = module.randn_tensor
    module.randn_tensor = lambda shape, **kw: torch.from_numpy(eps).reshape(shape)
    try:
        ref = pipe(prompt=prompt, negative_prompt="", height=64, width=96, num_frames=17, frame_rate=LTX_FPS,
                   num_inference_steps=LTX_STEPS, guidance_scale=w, max_sequence_length=L, decode_timestep=LTX_DECODE_T,
                   latents=pipe._pack_latents(torch.from_numpy(noise)[None], 1, 1), output_type="pt").frames
    finally:
        module.randn_tensor = real
    sigmas = pipe.scheduler.sigmas.numpy()
    assert np.abs(np.array(result["stepLevels"]) - sigmas[1:]).max() < 1e-6
    off = np.abs(contract_sigmas(m["schedule"]["shift"], LTX_STEPS, 0.1) - sigmas).max()
    print(f"ltx long preset: the default's shift would put the levels {off:.2g} off")
    assert off > 1e-4
    compare(ours, ref, "ltx, the long preset on its own shift")


WAN_PROMPT, WAN_SEED, WAN_W = "a red ball jumps on the beach", 5, 5.0


def wan_reference(src: str, noise: np.ndarray, steps: int, scheduler=None) -> tuple[torch.Tensor, np.ndarray]:
    """WanPipeline's frames from the engine's noise with the checkpoint's scheduler (or `scheduler`), and its levels."""
    from diffusers import WanPipeline

    pipe = WanPipeline.from_pretrained(src, dtype=torch.float32)
    if scheduler is not None:
        pipe.scheduler = scheduler
    ref = pipe(prompt=WAN_PROMPT, negative_prompt="", height=HEIGHT, width=WIDTH, num_frames=FRAMES,
               num_inference_steps=steps, guidance_scale=WAN_W, max_sequence_length=L,
               latents=torch.from_numpy(noise)[None], output_type="pt").frames
    return ref, pipe.scheduler.sigmas.numpy()


@pytest.mark.parametrize("steps", [4, 10])
def test_engine_generates_what_wan_pipeline_generates(converted, tmp_path, steps):
    """The package as converted from the published scheduler (UniPC, fixture.WAN_SCHEDULER): its default sampler
    `unipc` on its `diffusers-unipc` grid gives WanPipeline's clip. Euler on the same package does not: the
    comparison can fail, and Euler is another sampler."""
    src, out = converted
    check_package(out)
    schedule = json.load(open(os.path.join(out, "manifest.json")))["schedule"]
    assert (schedule["spacing"], schedule["defaultSampler"]) == ("diffusers-unipc", "unipc")
    noise, ours, result = engine_generate(out, tmp_path, WAN_PROMPT, WAN_SEED, steps, WAN_W)
    assert (result["sampler"], result["batch"], result["denoiserCalls"]) == ("unipc", 2, steps)
    ref, sigmas = wan_reference(src, noise, steps)
    assert json.load(open(os.path.join(src, "scheduler", "scheduler_config.json")))["_class_name"] == "UniPCMultistepScheduler"
    levels = np.abs(np.array(result["stepLevels"]) - sigmas[1:])
    print(f"wan unipc {steps}: engine's levels vs the pipeline's, max |Δ| {levels.max():.2g}")
    assert levels.max() < 1e-6
    compare(ours, ref, f"wan unipc, {steps} steps")

    euler_dir = tmp_path / "euler"
    euler_dir.mkdir()
    _, euler, result = engine_generate(out, euler_dir, WAN_PROMPT, WAN_SEED, steps, WAN_W, sampler="euler")
    assert result["sampler"] == "euler"
    with pytest.raises(AssertionError):
        compare(euler, ref, f"wan euler on the same package vs the UniPC pipeline, {steps} steps (must fail)")


def test_engine_euler_on_the_diffusers_grid_generates_what_wan_pipeline_with_flow_match_euler_generates(converted, tmp_path):
    """The same graphs with the schedule a FlowMatchEulerDiscreteScheduler checkpoint converts to (spacing
    "diffusers", euler): the manifest rewritten beside links to the package's files, against WanPipeline with
    FlowMatchEulerDiscreteScheduler (shift 3)."""
    from diffusers import FlowMatchEulerDiscreteScheduler

    src, out = converted
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name in os.listdir(out):
        if name != "manifest.json":
            os.symlink(os.path.join(out, name), pkg / name)
    m = json.load(open(os.path.join(out, "manifest.json")))
    m["schedule"].update(spacing="diffusers", defaultSampler="euler")
    json.dump(m, open(pkg / "manifest.json", "w"))
    steps = 4
    run = tmp_path / "run"
    run.mkdir()
    noise, ours, result = engine_generate(str(pkg), run, WAN_PROMPT, WAN_SEED, steps, WAN_W)
    assert (result["sampler"], result["denoiserCalls"]) == ("euler", steps)
    ref, sigmas = wan_reference(src, noise, steps, FlowMatchEulerDiscreteScheduler(shift=3.0))
    assert np.abs(np.array(result["stepLevels"]) - sigmas[1:]).max() < 1e-6
    compare(ours, ref, "wan euler on diffusers' FlowMatchEuler grid")
