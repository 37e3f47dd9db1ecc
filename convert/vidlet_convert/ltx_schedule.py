"""LTXPipeline's noise levels in the contract's terms.

The pipeline samples FlowMatchEulerDiscreteScheduler over `linspace(1, 1/n, n)` (the contract's
"vidlet" spacing: linspace(1, 0, n+1) without its 0), shifted by `mu` from the clip's token count
(`calculate_shift`, "resolution-dependent shifting"), then 0. With the exponential time shift
exp(mu)/(exp(mu) + 1/σ − 1) this is the contract's shift s·σ/(1 + (s−1)·σ) with s = exp(mu); the clip
size is fixed at conversion, so s is one number. The scheduler's `shift_terminal` (the published
LTX-Video config sets 0.1: the list is stretched so its last level is 0.1) is the contract's
`schedule.shiftTerminal`. `grid_difference` checks the package's grid against the scheduler's own.

LTXConditionPipeline (the 0.9.7+ checkpoints, distilled ones included) samples another grid: without a
list, `linear_quadratic_schedule(n)` (the contract's "linear-quadratic" spacing), handed to the scheduler
as timesteps, which the transformer is given as they are while the scheduler steps between its own
sigmas derived from them. The two agree only when the scheduler shifts nothing, as the config diffusers
writes for those versions does (`FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False)`);
`condition_schedule_problem` refuses any other.
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


# scheduler_config fields that would make LTXConditionPipeline's scheduler step between levels other than the
# timesteps it gives the transformer (or, use_dynamic_shifting, make the pipeline fail: it passes no mu),
# each with the value under which the two agree and diffusers' default for a config that leaves it out
CONDITION_GRID = {"use_dynamic_shifting": (False, False), "shift": (1.0, 1.0), "shift_terminal": (None, None),
                  "use_karras_sigmas": (False, False), "use_exponential_sigmas": (False, False),
                  "use_beta_sigmas": (False, False), "invert_sigmas": (False, False), "stochastic_sampling": (False, False)}


def condition_schedule_problem(sched: dict) -> str | None:
    """Why the package cannot sample an LTXConditionPipeline checkpoint as its pipeline does, or None."""
    def value(k, default):  # diffusers treats a shift_terminal of 0 as none
        v = sched.get(k, default)
        return (v or None) if k == "shift_terminal" else v

    bad = [f"{k} {value(k, default)!r} (needs {ours!r})" for k, (ours, default) in CONDITION_GRID.items()
           if value(k, default) != ours]
    if not bad:
        return None
    return ("its scheduler_config.json has " + "; ".join(bad) + ": LTXConditionPipeline would then give the transformer "
            "timesteps other than the levels its scheduler steps between (or, with dynamic shifting, fail), which no "
            "package schedule expresses")


def linear_quadratic(steps: int, threshold: float = 0.025) -> np.ndarray:
    """The contract's "linear-quadratic" levels (src/package/sigma-grid.ts linearQuadratic), without the final 0."""
    if steps < 2:
        return np.array([1.0])
    linear_steps = steps // 2
    quadratic_steps = steps - linear_steps
    gap = linear_steps - threshold * steps
    a = gap / (linear_steps * quadratic_steps ** 2)
    b = threshold / linear_steps - 2 * gap / quadratic_steps ** 2
    c = a * linear_steps ** 2
    drop = [i * threshold / linear_steps for i in range(linear_steps)] + \
        [a * i * i + b * i + c for i in range(linear_steps, steps)]
    return 1.0 - np.array(drop)


def condition_pipeline_sigmas(sched: dict, steps: int, timesteps: list[float] | None = None) -> np.ndarray:
    """The levels LTXConditionPipeline steps between (steps + 1 values, ending at 0) for its default schedule,
    or for `timesteps` (a distilled checkpoint's list, as the pipeline's `timesteps` argument), from diffusers."""
    from diffusers import FlowMatchEulerDiscreteScheduler
    from diffusers.pipelines.ltx.pipeline_ltx_condition import linear_quadratic_schedule, retrieve_timesteps

    s = FlowMatchEulerDiscreteScheduler.from_config(sched)
    retrieve_timesteps(s, None if timesteps else steps, "cpu", timesteps or linear_quadratic_schedule(steps) * 1000)
    return s.sigmas.numpy().astype(np.float64)


def condition_grid_difference(sched: dict, steps: int) -> float:
    """Largest |σ_pipeline − σ_package| of a "linear-quadratic" package at `steps`: float error only."""
    return float(np.abs(condition_pipeline_sigmas(sched, steps) - np.append(linear_quadratic(steps), 0.0)).max())
