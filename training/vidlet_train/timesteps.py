"""Which flow-matching timesteps training shows the model: one rule for the base DiT and its adapters."""
from __future__ import annotations

import torch


def sample_t(b: int, gen: torch.Generator) -> torch.Tensor:
    """Half logit-normal (weight mid-trajectory), half uniform. Logit-normal alone almost never shows
    the model t > 0.95, yet sampling starts at t = 1 and the first steps fix the layout and colours:
    an adapter trained on logit-normal t alone never learns to change them."""
    return torch.where(torch.rand(b, generator=gen) < 0.5, torch.sigmoid(torch.randn(b, generator=gen)),
                       torch.rand(b, generator=gen))
