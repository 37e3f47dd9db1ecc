"""Optical flow drawn as an RGB video (VideoJAM's motion representation).

Direction is the hue, magnitude m = min(1, |flow| / (sigma * diagonal)) the brightness. sigma is
chosen so that the world's fastest common motions (~7 px per frame at 128x128) saturate.
"""
import math

import torch

SIGMA = 0.04


def flow_to_rgb(flow: torch.Tensor, sigma: float = SIGMA) -> torch.Tensor:
    """flow [B, 2, F, H, W] in pixels -> RGB [B, 3, F, H, W] in [-1, 1]."""
    h, w = flow.shape[-2:]
    diag = math.hypot(h, w)
    fx, fy = flow[:, 0], flow[:, 1]
    mag = torch.sqrt(fx * fx + fy * fy)
    m = (mag / (sigma * diag)).clamp(max=1.0)
    hue = (torch.atan2(fy, fx) / (2 * math.pi)) % 1.0  # [0, 1)
    # HSV -> RGB with S = 1, V = m
    k = lambda n: (n + hue * 6) % 6  # noqa: E731
    f = lambda n: m - m * torch.clamp(torch.minimum(k(n), 4 - k(n)), 0, 1)  # noqa: E731
    rgb = torch.stack([f(5), f(3), f(1)], 1)
    return rgb * 2 - 1
