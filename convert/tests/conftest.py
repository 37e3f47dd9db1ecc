"""The tiny Wan fixture converted once per test session (tests/test_wan.py, tests/test_ort_web.py)."""
from __future__ import annotations

import pytest

from vidlet_convert.__main__ import main
from vidlet_convert.fixture import make_fixture

FRAMES, HEIGHT, WIDTH, L, SHARD = 9, 32, 32, 16, 64 * 1024
# the default variants and fp16 (tests/test_fp16.py): one conversion per fixture serves every test
VARIANTS = "fp32,int8,q4,fp16"


@pytest.fixture(scope="session")
def wan_src(tmp_path_factory):
    """The tiny Wan checkpoint alone (a few seconds), for tests that convert it their own way."""
    src = str(tmp_path_factory.mktemp("wan-tiny"))
    make_fixture(src, seed=0)
    return src


@pytest.fixture(scope="session")
def converted(wan_src, tmp_path_factory):
    src = wan_src
    out = str(tmp_path_factory.mktemp("pkg"))
    rc = main(["wan", "--from", src, "--out", out, "--frames", str(FRAMES), "--height", str(HEIGHT), "--width",
               str(WIDTH), "--max-length", str(L), "--steps", "4", "--shard-bytes", str(SHARD), "--name", "wan-tiny",
               "--variants", VARIANTS])
    assert rc == 0
    return src, out



# LTX: 9 frames of 64x64 → latent 128x2x2x2 (8x time, 32x32 space), 8 video tokens
LTX_FRAMES, LTX_HEIGHT, LTX_WIDTH, LTX_FPS = 9, 64, 64, 25
LTX_STEPS, LTX_DECODE_T = 4, 0.05
LTX_LONG = "17x64x96"  # a second preset: latent 3x2x3, 18 tokens


@pytest.fixture(scope="session")
def ltx_converted(tmp_path_factory):
    """The tiny LTX fixture (published scheduler config, shift_terminal 0.1) converted with its default grid
    (shift exp(mu) for this clip and shiftTerminal 0.1) and LTX_STEPS default steps, which the engine turns
    into the levels LTXPipeline samples. Returns (src, out, the pipeline's sigmas with the final 0)."""
    from vidlet_convert.ltx_fixture import make_fixture as make_ltx
    from vidlet_convert.ltx_schedule import pipeline_sigmas

    src = str(tmp_path_factory.mktemp("ltx-tiny"))
    out = str(tmp_path_factory.mktemp("ltx-pkg"))
    pipe = make_ltx(src, seed=0)
    sigmas = pipeline_sigmas(dict(pipe.scheduler.config), 8, LTX_STEPS)
    rc = main(["ltx", "--from", src, "--out", out, "--frames", str(LTX_FRAMES), "--height", str(LTX_HEIGHT), "--width",
               str(LTX_WIDTH), "--fps", str(LTX_FPS), "--max-length", str(L), "--shard-bytes", str(SHARD),
               "--steps", str(LTX_STEPS), "--decode-timestep", str(LTX_DECODE_T), "--decode-noise-scale", "0",
               "--variants", VARIANTS, "--name", "ltx-tiny"])
    assert rc == 0
    return src, out, sigmas


@pytest.fixture(scope="session")
def ltx_noisy(ltx_converted, tmp_path_factory):
    """The same tiny LTX checkpoint converted with the pipeline's default decode noise (`--decode-noise-scale`
    left out: the decode timestep, 0.05), fp32 only: its vaeDecoder takes `decode_noise`. It also offers a second,
    longer and wider size, `long` (LTX_LONG), which LTXPipeline's dynamic shift samples with another shift.
    Returns (src, out)."""
    src = ltx_converted[0]
    out = str(tmp_path_factory.mktemp("ltx-noisy-pkg"))
    rc = main(["ltx", "--from", src, "--out", out, "--fps", str(LTX_FPS), "--max-length", str(L), "--shard-bytes", str(SHARD),
               "--presets", f"{LTX_FRAMES}x{LTX_HEIGHT}x{LTX_WIDTH},long={LTX_LONG}",
               "--steps", str(LTX_STEPS), "--decode-timestep", str(LTX_DECODE_T), "--variants", "fp32",
               "--name", "ltx-tiny-noisy"])
    assert rc == 0
    return src, out
