"""VideoAlign's Flow-DPO loss (../shared/DESIGN.md):

    L = −log σ(−β/2 · [(‖v_w − v_θ(x_t^w)‖² − ‖v_w − v_ref(x_t^w)‖²) − (‖v_l − v_θ(x_t^l)‖² − ‖v_l − v_ref(x_t^l)‖²)])

with β constant over timesteps, as the paper's (β = 500). The squared errors are per-sample means
over the latent's elements (the base objective's mean, objective.loss), so β keeps its meaning
whatever the latent's size. Pure: takes the four per-sample errors, so it is testable without a model.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

# The paper's value (DESIGN.md); constant over t, unlike Diffusion-DPO's β·T weighting.
PAPER_BETA = 500.0


def per_sample_sq_error(v: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """‖target − v‖² as a mean over every dimension but the batch's."""
    return ((v - target) ** 2).flatten(1).mean(1)


def flow_dpo_loss(err_theta_w: torch.Tensor, err_ref_w: torch.Tensor,
                  err_theta_l: torch.Tensor, err_ref_l: torch.Tensor, beta: float = PAPER_BETA) -> torch.Tensor:
    """Mean over the pairs. The reference errors carry no gradient (the reference is frozen)."""
    inside = (err_theta_w - err_ref_w.detach()) - (err_theta_l - err_ref_l.detach())
    # −log σ(z) = softplus(−z): exact and stable for the large |z| a β of 500 gives.
    return F.softplus(beta / 2 * inside).mean()
