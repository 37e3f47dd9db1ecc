"""LTXPipeline's noise levels in the contract's terms.

The pipeline samples FlowMatchEulerDiscreteScheduler over `linspace(1, 1/n, n)` (the contract's
"vidlet" spacing: linspace(1, 0, n+1) without its 0), shifted by `mu` from the clip's token count
(`calculate_shift`, "resolution-dependent shifting"), then 0. With the exponential time shift
exp(mu)/(exp(mu) + 1/σ − 1) this is the contract's shift s·σ/(1 + (s−1)·σ) with s = exp(mu); the clip
size is fixed at conversion, so s is one number. What the contract cannot say is the scheduler's
`shift_terminal` (the published LTX-Video scheduler config sets 0.1: the list is stretched so its
last level is 0.1), so a package from such a config samples a different grid than the pipeline;
`grid_difference` measures how different, and `--sigmas` gives any exact list.
"""
from __future__ import annotations

import math

import numpy as np

from .package import ConversionError


def publisher_shift(sched: dict, video_tokens: int) -> float:
    """The contract's `shift` equal to the scheduler's shift for this clip's token count."""
    if not sched.get("use_dynamic_shifting", False):
        return float(sched.get("shift", 1.0))
    from diffusers.pipelines.ltx.pipeline_ltx import calculate_shift

    mu = calculate_shift(video_tokens, sched.get("base_image_seq_len", 256), sched.get("max_image_seq_len", 4096),
                         sched.get("base_shift", 0.5), sched.get("max_shift", 1.15))
    kind = sched.get("time_shift_type", "exponential")
    if kind == "exponential":
        return math.exp(mu)
    if kind == "linear":
        return float(mu)
    raise ConversionError(f"scheduler time_shift_type {kind!r} is not one the contract's shift can express")


def pipeline_sigmas(sched: dict, video_tokens: int, steps: int) -> np.ndarray:
    """The levels LTXPipeline samples (steps + 1 values, ending at 0), from diffusers' scheduler itself."""
    from diffusers import FlowMatchEulerDiscreteScheduler
    from diffusers.pipelines.ltx.pipeline_ltx import calculate_shift

    s = FlowMatchEulerDiscreteScheduler.from_config(sched)
    kw = {}
    if s.config.use_dynamic_shifting:
        kw["mu"] = calculate_shift(video_tokens, sched.get("base_image_seq_len", 256), sched.get("max_image_seq_len", 4096),
                                   sched.get("base_shift", 0.5), sched.get("max_shift", 1.15))
    s.set_timesteps(sigmas=np.linspace(1.0, 1 / steps, steps), **kw)
    return s.sigmas.numpy().astype(np.float64)


def contract_sigmas(shift: float, steps: int) -> np.ndarray:
    """The engine's grid for `spacing: "vidlet"` (src/engine/schedulers/timesteps.ts): shifted linspace(1, 0, n+1)."""
    t = np.linspace(1.0, 0.0, steps + 1)
    return shift * t / (1 + (shift - 1) * t)


def grid_difference(sched: dict, video_tokens: int, steps: int) -> float:
    """Largest |σ_pipeline − σ_package| over the default step count (0 up to float error without shift_terminal)."""
    return float(np.abs(pipeline_sigmas(sched, video_tokens, steps) - contract_sigmas(publisher_shift(sched, video_tokens),
                                                                                      steps)).max())
