"""Convert a tiny random LTX-Video (the real diffusers/transformers classes, narrow and shallow) and check
the package against PyTorch and against diffusers' own LTXPipeline sampling from the same noise."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
import torch

from vidlet_convert.components import attention_size
from vidlet_convert.package import TOLERANCE, sha256

from conftest import L, LTX_DECODE_T, LTX_FPS, LTX_FRAMES, LTX_HEIGHT, LTX_STEPS, LTX_WIDTH
from package_sampler import sample

# One full sampling through the package (onnxruntime) against LTXPipeline (PyTorch), same noise and
# noise levels: the latent relative to its peak, the video ([-1,1]) max abs. fp32 differs by kernel order
# only. About 3x what was measured: fp32 3.7e-7 / 8.8e-6, int8 0.0045 / 0.022, q4 0.056 / 0.49. The q4
# video is not gated: the fp32 VAE is the same on both sides, and the tiny random VAE (video std 0.76)
# turns the q4 denoiser's 5.6% latent difference into 0.49 (Wan's tiny VAE: 0.0073); the latent is the
# quantized part and is gated.
LATENT_TOLERANCE = {"fp32": 1e-4, "int8": 0.015, "q4": 0.15}
VIDEO_TOLERANCE = {"fp32": 1e-4, "int8": 0.06, "q4": None}
GRID = (2, 2, 2)  # latent t, h, w of 9 frames of 64x64


def test_every_graph_within_tolerance_and_recorded(ltx_converted):
    _, out, _ = ltx_converted
    report = json.load(open(os.path.join(out, "convert_report.json")))
    keys = set(report["errors"])
    for role in ("textEncoder", "denoiser", "vaeDecoder", "previewDecoder"):
        assert f"{role}.fp32" in keys
    for role in ("textEncoder", "denoiser"):
        assert {f"{role}.int8", f"{role}.q4", f"{role}.fp32.batch1"} <= keys
    for k, e in report["errors"].items():
        print(f"{k}: max abs {e['max_abs']:.3g}, relative {e['relative']:.3g}")
        assert e["relative"] <= TOLERANCE[e["variant"]], k
        assert e["peak"] > 0, f"{k}: the check compared all-zero outputs"
    # 2x2x2 latent pixels in 1x1x1 patches = 8 tokens; 2 heads, batch 2, float32
    assert report["attention"] == {"tokens": 8, "heads": 2, "scoresBytesBatch2": 2 * 2 * 8 * 8 * 4}
    assert report["decode"] == {"timestep": LTX_DECODE_T, "noise_scale": 0.0, "injected_noise_dropped": 0}


def test_manifest_describes_the_ltx_latent_and_files(ltx_converted):
    src, out, sigmas = ltx_converted
    m = json.load(open(os.path.join(out, "manifest.json")))
    lt = m["latent"]
    assert (lt["channels"], lt["frames"], lt["height"], lt["width"]) == (128, *GRID)
    # with its attention figure (8 tokens, 2 heads), which the engine judges a package without presets by
    assert m["video"] == {"width": LTX_WIDTH, "height": LTX_HEIGHT, "frames": LTX_FRAMES, "fps": LTX_FPS,
                          "attentionScoresBytes": attention_size(8, 2)["scoresBytesBatch2"]}
    # per channel, from the VAE's latents_mean/std buffers: scale = scaling_factor / std
    from diffusers import AutoencoderKLLTXVideo
    vae = AutoencoderKLLTXVideo.from_pretrained(os.path.join(src, "vae"))
    assert np.allclose(lt["shift"], vae.latents_mean.numpy(), atol=1e-6)
    assert np.allclose(lt["scale"], vae.config.scaling_factor / vae.latents_std.numpy(), rtol=1e-6)
    assert len(set(lt["scale"])) > 100  # really per channel, not one number repeated
    # the pipeline's grid in the contract's terms: shift exp(mu) for 8 tokens on the linear spacing, stretched to
    # the scheduler's shift_terminal; no list
    s = m["schedule"]
    assert (s["spacing"], s["shiftTerminal"], s["defaultSteps"]) == ("vidlet", 0.1, LTX_STEPS) and "sigmas" not in s
    assert s["shift"] == pytest.approx(math.exp(0.95 + 1.1 * (8 - 1024) / 3072))
    assert np.abs(package_grid(m) - sigmas).max() < 1e-6
    assert m["text"] == {"tokenizer": "tokenizer.json", "maxLength": L, "hiddenSize": 32}
    assert "motion" not in m and "lora" not in m and m["adapters"] == []
    for c in m["components"].values():
        for v in c["variants"].values():
            for f in v["files"]:
                p = os.path.join(out, f["path"])
                assert os.path.getsize(p) == f["bytes"] and sha256(p) == f["sha256"]


def package_grid(m: dict) -> np.ndarray:
    """The levels the engine samples on a package without a list, at its default step count (the engine's own
    code is checked against diffusers in tests/unit/package/schedule-terminal.test.ts and, through the
    engine, in tests/test_engine_vs_pipelines.py)."""
    from vidlet_convert.ltx_schedule import contract_sigmas

    s = m["schedule"]
    return contract_sigmas(s["shift"], s["defaultSteps"], s.get("shiftTerminal"))


def test_default_schedule_is_the_pipelines_shift_and_terminal():
    """Without --sigmas: shift = exp(mu) for the clip's token count on the linear grid, stretched to the
    scheduler's shift_terminal, equals LTXPipeline's levels; the stretch is what closes the gap."""
    from vidlet_convert.ltx_fixture import SCHEDULER
    from vidlet_convert.ltx_schedule import contract_sigmas, grid_difference, pipeline_sigmas, publisher_shift, publisher_terminal

    plain = {**SCHEDULER, "shift_terminal": None}
    assert (publisher_terminal(SCHEDULER), publisher_terminal(plain), publisher_terminal({"shift_terminal": 0})) == (0.1, None, None)
    for tokens in (8, 1680, 5632):
        for steps in (1, 2, 4, 50):
            got = contract_sigmas(publisher_shift(plain, tokens), steps)
            assert np.abs(got - pipeline_sigmas(plain, tokens, steps)).max() < 1e-6, (tokens, steps)
            if steps > 1:  # diffusers' stretch of one level is 0/0
                got = contract_sigmas(publisher_shift(SCHEDULER, tokens), steps, 0.1)
                assert np.abs(got - pipeline_sigmas(SCHEDULER, tokens, steps)).max() < 1e-6, (tokens, steps)
    # 1680 tokens (the converter's default clip): mu = 0.95 + 1.1 * (1680 - 1024) / 3072
    assert publisher_shift(plain, 1680) == pytest.approx(math.exp(0.95 + 1.1 * 656 / 3072))
    assert grid_difference(SCHEDULER, 1680, 50) < 1e-6
    # without the stretch the grid would be off by what the converter used to warn about
    unstretched = contract_sigmas(publisher_shift(SCHEDULER, 1680), 50)
    assert np.abs(unstretched - pipeline_sigmas(SCHEDULER, 1680, 50)).max() == pytest.approx(0.037, abs=0.001)


def test_sigmas_conversion_writes_the_list_alone(ltx_converted, tmp_path):
    """`ltx --sigmas L` (a distilled checkpoint's list): the list, exactly, and nothing that would contradict
    it — no shift, spacing, shiftTerminal or defaultSteps (only the small graphs, fast)."""
    from vidlet_convert.__main__ import main

    src, _, sigmas = ltx_converted
    out = str(tmp_path / "pkg")
    assert main(["ltx", "--from", src, "--out", out, "--frames", str(LTX_FRAMES), "--height", str(LTX_HEIGHT),
                 "--width", str(LTX_WIDTH), "--max-length", str(L), "--variants", "fp32",
                 "--sigmas", ",".join(repr(float(s)) for s in sigmas[:-1])]) == 0
    s = json.load(open(os.path.join(out, "manifest.json")))["schedule"]
    assert s["sigmas"] == pytest.approx(list(sigmas[:-1]), abs=1e-12)
    assert not {"shift", "spacing", "shiftTerminal", "defaultSteps"} & set(s)
    assert json.load(open(os.path.join(out, "convert_report.json")))["schedule_vs_pipeline_max_abs"] == 0.0


@pytest.mark.parametrize("variant", ["fp32", "int8", "q4"])
def test_package_sampling_matches_ltx_pipeline(ltx_converted, variant):
    """Text encoder → 4 Euler steps with CFG 3 over the package's grid (shift and shiftTerminal) → VAE decoder
    at decode_timestep 0.05, in onnxruntime from the package, against diffusers' LTXPipeline (its own
    scheduler, resolution shift and shift_terminal) from the same noise."""
    from diffusers import LTXPipeline

    src, out, sigmas = ltx_converted
    pipe = LTXPipeline.from_pretrained(src, dtype=torch.float32)
    prompt, w = "a red ball jumps on the beach", 3.0
    noise = torch.randn(1, 128, *GRID, generator=torch.Generator().manual_seed(7))
    packed = pipe._pack_latents(noise, 1, 1)  # LTXPipeline takes `latents` as tokens [B, t·h·w, 128]
    kw = dict(prompt=prompt, negative_prompt="", height=LTX_HEIGHT, width=LTX_WIDTH, num_frames=LTX_FRAMES,
              frame_rate=LTX_FPS, num_inference_steps=LTX_STEPS, guidance_scale=w, max_sequence_length=L,
              decode_timestep=LTX_DECODE_T, decode_noise_scale=0.0)
    ref_tokens = pipe(**kw, latents=packed.clone(), output_type="latent").frames
    ref_latent = pipe._unpack_latents(ref_tokens, *GRID, 1, 1)
    ref_video = pipe(**kw, latents=packed.clone(), output_type="pt").frames  # [B,T,3,H,W] in [0,1]
    # the pipeline sampled the levels the package's grid makes
    grid = package_grid(json.load(open(os.path.join(out, "manifest.json"))))
    assert np.abs(pipe.scheduler.sigmas.numpy() - grid).max() < 1e-6

    x, video = sample(out, variant, prompt, noise.numpy(), grid.astype(np.float32), w)

    lat_err = float(np.abs(x - ref_latent.numpy()).max()) / float(ref_latent.abs().max())
    ref = ref_video.permute(0, 2, 1, 3, 4).numpy() * 2 - 1  # → [B,3,T,H,W] in [-1,1]
    assert video.shape == ref.shape == (1, 3, LTX_FRAMES, LTX_HEIGHT, LTX_WIDTH)
    vid_err = float(np.abs(video - ref).max())
    print(f"{variant}: latent relative {lat_err:.3g}, video max abs {vid_err:.3g}")
    assert lat_err <= LATENT_TOLERANCE[variant]
    assert VIDEO_TOLERANCE[variant] is None or vid_err <= VIDEO_TOLERANCE[variant]
    # not vacuous: the sampled latent moved away from the noise, and the video is not flat
    assert float(np.abs(x - noise.numpy()).max()) > 1.0 and float(ref.std()) > 0.01


def test_decode_timestep_is_in_the_vae_graph(ltx_converted):
    """The timestep-conditioned decoder at 0.05 is not the decoder at 0: the graph baked the value."""
    from diffusers import AutoencoderKLLTXVideo

    from vidlet_convert import onnx_io
    from vidlet_convert.ltx_graphs import LtxVaeDecoder

    src, out, _ = ltx_converted
    vae = AutoencoderKLLTXVideo.from_pretrained(os.path.join(src, "vae")).eval()
    z = torch.randn(1, 128, *GRID, generator=torch.Generator().manual_seed(3))
    (got,) = onnx_io.run(os.path.join(out, "vae_decoder.onnx"), {"latent": z.numpy()}, ["video"])
    with torch.no_grad():
        at = LtxVaeDecoder(vae, LTX_DECODE_T)(z).numpy()
        at0 = LtxVaeDecoder(vae, 0.0)(z).numpy()
    assert np.abs(got - at).max() < 1e-4 < np.abs(got - at0).max()


def test_without_decode_noise_the_vae_graph_is_as_before(ltx_converted):
    """`--decode-noise-scale 0`: no `decode_noise` input (the graph and manifest the engine has always read)."""
    import onnx

    _, out, _ = ltx_converted
    m = json.load(open(os.path.join(out, "manifest.json")))
    assert m["components"]["vaeDecoder"]["inputs"] == {"latent": "latent"}
    g = onnx.load(os.path.join(out, "vae_decoder.onnx"), load_external_data=False)
    assert [i.name for i in g.graph.input] == ["latent"]


def test_decode_noise_scale_defaults_to_the_decode_timestep_and_mixes_as_the_pipeline(ltx_noisy):
    """Left out, `--decode-noise-scale` is the decode timestep (LTXPipeline's `decode_noise_scale=None`): the
    vaeDecoder takes `decode_noise` and mixes it after denormalising, (1 − s)·z + s·ε, before the decode."""
    import onnx
    from diffusers import AutoencoderKLLTXVideo, LTXPipeline

    from vidlet_convert import onnx_io

    src, out = ltx_noisy
    report = json.load(open(os.path.join(out, "convert_report.json")))
    assert report["decode"] == {"timestep": LTX_DECODE_T, "noise_scale": LTX_DECODE_T, "injected_noise_dropped": 0}
    assert report["errors"]["vaeDecoder.fp32"]["relative"] <= 1e-4
    m = json.load(open(os.path.join(out, "manifest.json")))
    assert m["components"]["vaeDecoder"]["inputs"] == {"latent": "latent", "decode_noise": "decode_noise"}
    g = onnx.load(os.path.join(out, "vae_decoder.onnx"), load_external_data=False)
    assert [i.name for i in g.graph.input] == ["latent", "decode_noise"]
    vae = AutoencoderKLLTXVideo.from_pretrained(os.path.join(src, "vae")).eval()
    gen = torch.Generator().manual_seed(4)
    z, eps = torch.randn(1, 128, *GRID, generator=gen), torch.randn(1, 128, *GRID, generator=gen)
    (got,) = onnx_io.run(os.path.join(out, "vae_decoder.onnx"), {"latent": z.numpy(), "decode_noise": eps.numpy()},
                         ["video"])
    with torch.no_grad():  # by hand, as pipeline_ltx.py does after the denoising loop
        s = torch.tensor([LTX_DECODE_T])[:, None, None, None, None]
        zv = LTXPipeline._denormalize_latents(z, vae.latents_mean, vae.latents_std, vae.config.scaling_factor)
        ref = vae.decode((1 - s) * zv + s * eps, torch.tensor([LTX_DECODE_T]), return_dict=False)[0].clamp(-1, 1)
        unmixed = vae.decode(zv, torch.tensor([LTX_DECODE_T]), return_dict=False)[0].clamp(-1, 1)
    err, moved = float(np.abs(got - ref.numpy()).max()), float(np.abs(got - unmixed.numpy()).max())
    print(f"decode noise 0.05: graph vs by hand max abs {err:.3g}; the noise moves the video by {moved:.3g}")
    assert err < 1e-4 < moved
    # another noise, another video: the noise is an input, not a constant
    (other,) = onnx_io.run(os.path.join(out, "vae_decoder.onnx"), {"latent": z.numpy(), "decode_noise": -eps.numpy()},
                           ["video"])
    assert float(np.abs(other - got).max()) > 1e-3


def test_package_with_decode_noise_matches_ltx_pipelines_default_call(ltx_noisy):
    """LTXPipeline's default call (decode_noise_scale = decode_timestep) given `latents` draws nothing else from its
    generator before the decode noise: feeding the package's `decode_noise` that same draw reproduces the pipeline's
    own decode (fp32, same gates as without noise)."""
    from diffusers import LTXPipeline

    src, out = ltx_noisy
    pipe = LTXPipeline.from_pretrained(src, dtype=torch.float32)
    prompt, w = "a red ball jumps on the beach", 3.0
    noise = torch.randn(1, 128, *GRID, generator=torch.Generator().manual_seed(7))
    ref_video = pipe(prompt=prompt, negative_prompt="", height=LTX_HEIGHT, width=LTX_WIDTH, num_frames=LTX_FRAMES,
                     frame_rate=LTX_FPS, num_inference_steps=LTX_STEPS, guidance_scale=w, max_sequence_length=L,
                     decode_timestep=LTX_DECODE_T, latents=pipe._pack_latents(noise, 1, 1),
                     generator=torch.Generator().manual_seed(12), output_type="pt").frames
    eps = torch.randn(1, 128, *GRID, generator=torch.Generator().manual_seed(12))  # the pipeline's decode draw
    grid = package_grid(json.load(open(os.path.join(out, "manifest.json"))))
    _, video = sample(out, "fp32", prompt, noise.numpy(), grid.astype(np.float32), w, decode_noise=eps.numpy())
    _, without = sample(out, "fp32", prompt, noise.numpy(), grid.astype(np.float32), w, decode_noise=np.zeros_like(eps))
    ref = ref_video.permute(0, 2, 1, 3, 4).numpy() * 2 - 1
    err, moved = float(np.abs(video - ref).max()), float(np.abs(without - ref).max())
    print(f"decode noise: package vs LTXPipeline's default call, video max abs {err:.3g} (zero noise instead: {moved:.3g})")
    assert err <= VIDEO_TOLERANCE["fp32"] < moved


def test_decode_noise_scale_follows_the_pipeline():
    """The converter's default is LTXPipeline's: the decode timestep, 0 for a VAE without timestep conditioning
    (the pipeline mixes no noise into its latent); an explicit scale wins."""
    from types import SimpleNamespace

    from vidlet_convert.ltx_graphs import pipeline_noise_scale

    conditioned = SimpleNamespace(config=SimpleNamespace(timestep_conditioning=True))
    plain = SimpleNamespace(config=SimpleNamespace(timestep_conditioning=False))
    assert pipeline_noise_scale(conditioned, 0.05, None) == 0.05
    assert pipeline_noise_scale(conditioned, 0.05, 0.0) == 0.0
    assert pipeline_noise_scale(conditioned, 0.05, 0.025) == 0.025
    assert pipeline_noise_scale(plain, 0.05, None) == 0.0


def test_decode_noise_scale_on_a_vae_without_timestep_conditioning_is_refused(ltx_converted, tmp_path):
    """An explicit scale for a VAE the pipeline never mixes noise into is refused (a ValueError, which ltx.convert
    reports as a ConversionError before any export), and so is a scale outside [0, 1]."""
    from diffusers import AutoencoderKLLTXVideo

    from vidlet_convert.ltx_graphs import LtxVaeDecoder

    src = ltx_converted[0]
    vae = AutoencoderKLLTXVideo.from_pretrained(os.path.join(src, "vae")).eval()
    vae.register_to_config(timestep_conditioning=False)
    with pytest.raises(ValueError, match="not timestep-conditioned"):
        LtxVaeDecoder(vae, 0.0, 0.05)
    assert LtxVaeDecoder(vae, 0.0, 0.0).takes_noise is False
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        LtxVaeDecoder(AutoencoderKLLTXVideo.from_pretrained(os.path.join(src, "vae")).eval(), 0.05, 1.5)
