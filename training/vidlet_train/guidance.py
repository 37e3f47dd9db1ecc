"""Guidance arithmetic of the training side: the one place Python applies the package contract's
guidance convention (docs/model-package.md, "Guidance weights"), mirroring the engine's
src/engine/guidance.ts pass for pass.

`guidance` is the CFG scale w (1 = off): v = v(∅) + w·(v(y) − v(∅)).
`inner_guidance` is VideoJAM's w2 (0 = off). Inner-Guidance uses w1 = w − 1:
    ũ = (1 + w1 + w2)·u(x,d,y) − w1·u(x,d,∅) − w2·u(x,∅,y)
so with w2 = 0 it is exactly CFG. Nothing else converts w to w1.

`contrast` is contrast guidance's w3 (0 = off): a fourth pass reads the prompt's contrast reading
(world/prompt_contrast.py: its object nouns replaced by a neutral noun), and
    ũ += w3·(u(x,d,y) − u(x,d,y_contrast)).
The caller plans it only for a prompt that has a contrast reading.

Works on numpy arrays and torch tensors alike (elementwise arithmetic only).
"""
from __future__ import annotations

from dataclasses import dataclass

COND, UNCOND, MOTION_DROPPED, CONTRAST = "cond", "uncond", "motionDropped", "contrast"


@dataclass(frozen=True)
class GuidancePlan:
    """The passes of one denoiser call, in batch order, and the weights that combine them."""
    passes: tuple[str, ...]
    w1: float  # CFG extrapolation weight (guidance − 1); 0 when there is no uncond pass
    w2: float  # Inner-Guidance weight; 0 when there is no motion-dropped pass
    w3: float = 0.0  # contrast guidance weight; 0 when there is no contrast pass


def plan_guidance(guidance: float, inner_guidance: float, has_motion: bool = True, contrast: float = 0.0) -> GuidancePlan:
    """cond always; uncond ("" or the negative prompt) when guidance ≠ 1; motion-dropped (same
    text, motion_flag 0) when inner_guidance ≠ 0 and the model has a motion input; contrast (the
    prompt's contrast reading) when contrast ≠ 0."""
    w1 = float(guidance) - 1.0
    w2 = float(inner_guidance) if has_motion else 0.0
    w3 = float(contrast)
    passes = [COND]
    if w1 != 0:
        passes.append(UNCOND)
    if w2 != 0:
        passes.append(MOTION_DROPPED)
    if w3 != 0:
        passes.append(CONTRAST)
    return GuidancePlan(tuple(passes), w1, w2, w3)


def combine_guidance(outputs: dict, plan: GuidancePlan):
    """The guided velocity from the passes' outputs ({pass name: array}):
    u_y + w1·(u_y − u_∅) + w2·(u_y − u_noMotion) + w3·(u_y − u_contrast), in the same form as the
    engine for each mode."""
    guided = _text_and_motion(outputs, plan)
    if CONTRAST in plan.passes:
        return guided + plan.w3 * (outputs[COND] - outputs[CONTRAST])
    return guided


def _text_and_motion(outputs: dict, plan: GuidancePlan):
    c = outputs[COND]
    has_u, has_m = UNCOND in plan.passes, MOTION_DROPPED in plan.passes
    if has_u and has_m:
        return (1 + plan.w1 + plan.w2) * c - plan.w1 * outputs[UNCOND] - plan.w2 * outputs[MOTION_DROPPED]
    if has_u:  # CFG with scale w = 1 + w1
        u = outputs[UNCOND]
        return u + (1 + plan.w1) * (c - u)
    if has_m:  # Inner-Guidance without text guidance (guidance = 1)
        m = outputs[MOTION_DROPPED]
        return m + (1 + plan.w2) * (c - m)
    return c


def combine_pass_major(v, plan: GuidancePlan, n: int):
    """combine_guidance on one batched call's output, its passes stacked pass-major (n clips each)."""
    return combine_guidance({p: v[k * n:(k + 1) * n] for k, p in enumerate(plan.passes)}, plan)
