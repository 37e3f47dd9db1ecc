"""LTXPipeline's noise levels in the contract's terms.

The pipeline samples FlowMatchEulerDiscreteScheduler over `linspace(1, 1/n, n)` (the contract's
"vidlet" spacing: linspace(1, 0, n+1) without its 0), shifted by `mu` from the clip's token count
(`calculate_shift`, "resolution-dependent shifting"), then 0. With the exponential time shift
exp(mu)/(exp(mu) + 1/σ − 1) this is the contract's shift s·σ/(1 + (s−1)·σ) with s = exp(mu); the clip
size is fixed at conversion, so s is one number. The scheduler's `shift_terminal` (the published
LTX-Video config sets 0.1: the list is stretched so its last level is 0.1) is the contract's
`schedule.shiftTerminal`. `grid_difference` checks the package's grid against the scheduler's own.
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


def publisher_terminal(sched: dict) -> float | None:
    """The scheduler's `shift_terminal` as the contract's `shiftTerminal`, or None when it sets none (diffusers
    treats 0 and null alike: no stretch)."""
    from .schedule import shift_terminal_problem

    terminal = sched.get("shift_terminal")
    if not terminal:
        return None
    problem = shift_terminal_problem(terminal)
    if problem:
        raise ConversionError(f"the scheduler's shift_terminal {problem}")
    return float(terminal)


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


def contract_sigmas(shift: float, steps: int, terminal: float | None = None) -> np.ndarray:
    """The engine's grid for `spacing: "vidlet"` (src/engine/schedulers/timesteps.ts flowSigmas): shifted
    linspace(1, 0, n+1), the levels before 0 stretched to `terminal` when given (stretchToTerminal)."""
    t = np.linspace(1.0, 0.0, steps + 1)
    s = shift * t / (1 + (shift - 1) * t)
    if terminal is not None and steps > 1:  # one level has nothing to stretch (diffusers: 0/0)
        s[:-1] = 1 - (1 - s[:-1]) * (1 - terminal) / (1 - s[-2])
    return s


def grid_difference(sched: dict, video_tokens: int, steps: int) -> float:
    """Largest |σ_pipeline − σ_package| over the default step count: float error only, since the package
    has the shift and the terminal (a check that the two stay one grid). One step: 0 (the package samples
    [1, 0]; diffusers' stretch divides 0 by 0 there)."""
    if steps < 2:
        return 0.0
    return float(np.abs(pipeline_sigmas(sched, video_tokens, steps)
                        - contract_sigmas(publisher_shift(sched, video_tokens), steps, publisher_terminal(sched))).max())
