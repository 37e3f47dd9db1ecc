"""The preview decoder: a linear map from a latent pixel's channels to the mean colour of the video
patch it decodes to (one 1×1×1 convolution), fitted by least squares to the real VAE decoder.

It costs nothing per step (the engine shows it after every step), so a 16-channel latent can be
watched as it forms. Fitted on decodes of N(0,1) diffusion-space latents, the distribution every
sample starts from (no clips can be encoded here); for a trained VAE, fitting on encoded real clips
would be better, and the fit's residual is recorded so the choice can be judged.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class LinearPreview(nn.Module):
    """latent [B,c,t,h,w] → preview [B,3,t,h,w] in [-1,1]: one colour per latent pixel."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        self.proj = nn.Conv3d(weight.shape[1], 3, 1)
        with torch.no_grad():
            self.proj.weight.copy_(weight.view(3, -1, 1, 1, 1))
            self.proj.bias.copy_(bias)

    def forward(self, latent):
        return self.proj(latent).clamp(-1.0, 1.0)


def pool_to_latent_grid(video: torch.Tensor, t: int, h: int, w: int) -> torch.Tensor:
    """Mean colour of the video patch behind each latent pixel. Wan's causal VAE makes frame 0 from
    latent frame 0 alone and each later latent frame into `(T − 1)/(t − 1)` frames."""
    first = video[:, :, :1]
    rest = video[:, :, 1:]
    per = rest.shape[2] // max(t - 1, 1)
    frames = [first.mean(2, keepdim=True)] + [rest[:, :, i * per:(i + 1) * per].mean(2, keepdim=True)
                                              for i in range(t - 1)]
    return F.adaptive_avg_pool3d(torch.cat(frames, 2), (t, h, w))


@torch.no_grad()
def fit_linear_preview(decoder: nn.Module, channels: int, grid: tuple[int, int, int], samples: int = 4,
                       seed: int = 0) -> tuple[LinearPreview, dict]:
    """Least squares [latent channels, 1] → RGB over `samples` random latents of shape `grid`
    (t, h, w) decoded by `decoder` (diffusion space in, [-1,1] video out)."""
    g = torch.Generator().manual_seed(seed)
    t, h, w = grid
    xs, ys = [], []
    for _ in range(samples):
        z = torch.randn(1, channels, t, h, w, generator=g)
        rgb = pool_to_latent_grid(decoder(z), t, h, w)
        xs.append(z.permute(0, 2, 3, 4, 1).reshape(-1, channels))
        ys.append(rgb.permute(0, 2, 3, 4, 1).reshape(-1, 3))
    x, y = torch.cat(xs).double(), torch.cat(ys).double()
    a = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
    sol = torch.linalg.lstsq(a, y).solution  # [c+1, 3]
    pred = a @ sol
    fit = {"samples": samples, "grid": list(grid), "rmse": float((pred - y).pow(2).mean().sqrt()),
           "target_std": float(y.std()), "r2": float(1 - (pred - y).pow(2).sum() / (y - y.mean(0)).pow(2).sum())}
    return LinearPreview(sol[:-1].T.float(), sol[-1].float()), fit
