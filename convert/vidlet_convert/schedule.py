"""The manifest's `schedule` section (docs/model-package.md) and the converter's --sigmas/--sampler/
--guidance options. Standard library only, so it is tested without the converter's heavy venv.

The rules for a sigma list are the engine's (src/package/schedule.ts): checked here too so that a bad
--sigmas fails in a second rather than after an hour of export. tests/test_schedule.py runs the same
cases through the engine's own rule (via npx tsx) so the two cannot drift apart.
"""
from __future__ import annotations

import argparse
import json
import math
import struct

# src/package/request.ts SAMPLER_NAMES (cross-checked by tests/test_schedule.py)
SAMPLERS = ("euler", "heun", "euler-ancestral", "x0-renoise", "unipc")

# diffusers' UniPCMultistepScheduler config (0.42.1): the fields that decide which levels it samples on and
# how it steps, each with the value the engine implements (spacing "diffusers-unipc" and sampler "unipc",
# src/engine/schedulers/unipc.ts) and diffusers' own default for a config that leaves it out. Wan 2.1's
# published scheduler_config.json has exactly these values (flow_shift 3).
UNIPC_GRID = {  # field: (the engine's value, diffusers' default)
    "prediction_type": ("flow_prediction", "epsilon"), "use_flow_sigmas": (True, False),
    "num_train_timesteps": (1000, 1000), "use_dynamic_shifting": (False, False), "shift_terminal": (None, None),
    "use_karras_sigmas": (False, False), "use_exponential_sigmas": (False, False), "use_beta_sigmas": (False, False),
    "final_sigmas_type": ("zero", "zero"),
}
UNIPC_SOLVER = {
    "predict_x0": (True, True), "solver_order": (2, 2), "solver_type": ("bh2", "bh2"), "lower_order_final": (True, True),
    "disable_corrector": ([], []), "thresholding": (False, False), "solver_p": (None, None),
}
# src/package/schedule.ts MAX_SIGMAS (= the most steps a request may ask, src/package/request.ts STEPS)
MAX_SIGMAS = 200


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def sigma_list_problem(sigmas: list[float]) -> str | None:
    """Why `sigmas` cannot be a package's schedule.sigmas, or None: non-empty, at most MAX_SIGMAS, each
    finite in (0, 1], strictly descending (in float32 too, the denoiser's timestep precision)."""
    if not sigmas:
        return "is empty, but must list at least one noise level"
    if len(sigmas) > MAX_SIGMAS:
        return f"holds {len(sigmas)} noise levels, but at most {MAX_SIGMAS} are allowed (one denoiser call each)"
    for i, s in enumerate(sigmas):
        if not math.isfinite(s):
            return f"entry {i} is {s}, but must be a finite number"
        if not 0 < s <= 1:
            return f"entry {i} is {s}, but must be in (0, 1]: leave out the final 0 (every run ends there)"
        if i > 0 and not s < sigmas[i - 1]:
            return f"entry {i} is {s}, but must be below the entry before it ({sigmas[i - 1]})"
        if i > 0 and _f32(s) == _f32(sigmas[i - 1]):
            return f"entry {i} is {s}, which the denoiser's float32 timestep cannot tell from the entry before it"
    return None


def parse_sigmas(text: str) -> list[float]:
    """argparse type for --sigmas "1,0.9937,0.9875,...": the publisher's list, highest first, without 0."""
    try:
        sigmas = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers, like 1,0.9375,0.8333")
    problem = sigma_list_problem(sigmas)
    if problem:
        raise argparse.ArgumentTypeError(f"the list {problem}")
    return sigmas


def shift_terminal_problem(value) -> str | None:
    """Why `value` cannot be schedule.shiftTerminal, or None: a finite number in (0, 1) (the engine's rule,
    src/package/schedule.ts shiftTerminalProblem; tests/test_schedule.py runs both on the same values)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"is {json.dumps(value)}, but must be a number in (0, 1), like 0.1"
    if not 0 < value < 1:
        return f"is {value}, but must be in (0, 1): the noise level the grid's last step before 0 is stretched to"
    return None


def _differences(sched: dict, fields: dict) -> list[str]:
    return [f"{k} {json.dumps(sched.get(k, default))} (the engine implements {json.dumps(ours)})"
            for k, (ours, default) in fields.items() if sched.get(k, default) != ours]


def publisher_sampling(sched: dict, sampler: str | None) -> tuple[str, str]:
    """(schedule.spacing, schedule.defaultSampler) for a checkpoint whose scheduler_config.json is `sched`, the
    user's --sampler (None: not given) winning over the publisher's. UniPCMultistepScheduler (Wan 2.1's) samples
    its own flow grid ("diffusers-unipc") with UniPC ("unipc"): Euler on FlowMatchEuler's grid, as before, would
    be another sampler on other levels. A UniPC config the engine's grid cannot express is refused; one whose
    solver differs from the engine's UniPC is refused unless --sampler names the sampler to use instead.
    Anything else (FlowMatchEulerDiscreteScheduler, or no config): FlowMatchEuler's grid and "euler"."""
    if sched.get("_class_name") != "UniPCMultistepScheduler":
        return "diffusers", sampler or "euler"
    grid = _differences(sched, UNIPC_GRID)
    if grid:
        raise ValueError("the checkpoint's UniPCMultistepScheduler samples levels no schedule.spacing expresses: "
                         + "; ".join(grid))
    solver = _differences(sched, UNIPC_SOLVER)
    if solver and sampler is None:
        raise ValueError("the checkpoint's UniPCMultistepScheduler is not the engine's unipc sampler: " + "; ".join(solver)
                         + ". Pass --sampler to choose the package's default sampler yourself")
    return "diffusers-unipc", sampler or "unipc"


def schedule_section(*, publisher_shift: float, steps: int | None, guidance: float, sampler: str,
                     sigmas: list[float] | None, spacing: str = "diffusers", shift_terminal: float | None = None) -> dict:
    """manifest.json's `schedule`. Without a list: the publisher's flow shift on the grid its pipeline
    samples (`spacing`: publisher_sampling's for WanPipeline's, "vidlet" for LTXPipeline's linspace), stretched to
    the scheduler's `shift_terminal` when it has one (`shiftTerminal`), `steps` by default. With a list (a
    distilled checkpoint): the list alone, which fixes the step count, so no shift, spacing, shiftTerminal
    or defaultSteps (the engine refuses them beside a list)."""
    section = {"type": "flow-matching"}
    if sigmas is None:
        section.update({"shift": float(publisher_shift), "spacing": spacing})
        if shift_terminal is not None:
            problem = shift_terminal_problem(shift_terminal)
            if problem:
                raise ValueError(f"the scheduler's shift_terminal {problem}")
            section["shiftTerminal"] = float(shift_terminal)
        section["defaultSteps"] = steps
    else:
        section["sigmas"] = [float(s) for s in sigmas]
    section.update({"defaultGuidance": float(guidance), "defaultInnerGuidance": 0.0, "defaultSampler": sampler})
    return section


def describe_schedule(section: dict) -> str:
    """One line for MODEL_CARD.md."""
    cfg = "no CFG (guidance 1)" if section["defaultGuidance"] == 1 else f"CFG {section['defaultGuidance']:g}"
    if "sigmas" in section:
        levels = ", ".join(f"{s:g}" for s in section["sigmas"])
        return (f"`{section['defaultSampler']}` over the publisher's fixed list of {len(section['sigmas'])} noise levels "
                f"[{levels}] then 0 (the step count is fixed), {cfg}")
    grid = {"diffusers": "diffusers' sigma grid", "diffusers-unipc": "diffusers' UniPC sigma grid",
            "linear-quadratic": "LTX-Video's linear-quadratic sigma grid"}.get(section["spacing"], "a linear sigma grid")
    terminal = f" stretched to end at {section['shiftTerminal']:g}" if "shiftTerminal" in section else ""
    return (f"`{section['defaultSampler']}`, {section['defaultSteps']} steps by default on {grid}, "
            f"shift {section['shift']:g}{terminal}, {cfg}")
