"""A frame discriminator that reads the caption: the adversarial half of a generative decoder.

A squared-error decoder fed the DiT's blobs learns the average outline, because the blob only half
overlaps the object the target shows (checkpoints/text-decoder/README.md). An adversarial loss asks
instead for *a* sharp outline that fits the words: the discriminator scores (frame, caption) pairs,
with a projection term (Miyato & Koyama 2018) so the caption shifts the score, and it is also shown
real frames under another clip's caption as fakes (Reed et al. 2016's matching-aware
discriminator), so "real-looking but not what was asked" loses. Spectral norm and the hinge loss
keep it stable at this size (SNGAN); the generator's share is weighted as VQGAN does, by the ratio
of gradient norms at the decoder's last layer.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm


class CaptionDiscriminator(nn.Module):
    """score(frames [N, 3, H, W] in [-1, 1], text [N, L, D], mask [N, L]) -> [N]."""

    def __init__(self, text_dim: int = 384, width: int = 64):
        super().__init__()
        c = [3, width // 2, width, 2 * width, 2 * width, 2 * width]
        self.convs = nn.ModuleList(spectral_norm(nn.Conv2d(a, b, 4, 2, 1)) for a, b in zip(c[:-1], c[1:]))
        self.head = spectral_norm(nn.Linear(c[-1], 1))
        self.embed = spectral_norm(nn.Linear(text_dim, c[-1]))

    def forward(self, frames: torch.Tensor, text: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = frames
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.2)
        phi = h.sum(dim=(2, 3))                                            # [N, C]
        m = mask.unsqueeze(-1)
        caption = (text * m).sum(1) / m.sum(1).clamp_min(1.0)              # the sentence embedding
        return self.head(phi).squeeze(-1) + (phi * self.embed(caption)).sum(-1)


def object_centres(mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """mask [..., H, W] bool -> the silhouette's centre (row, column) per frame, rounded; a frame
    with no object visible gives the frame's centre."""
    h, w = mask.shape[-2:]
    m = mask.float()
    area = m.sum((-1, -2))
    ys = torch.arange(h, dtype=torch.float32).view(-1, 1)
    xs = torch.arange(w, dtype=torch.float32).view(1, -1)
    cy = torch.where(area > 0, (m * ys).sum((-1, -2)) / area.clamp_min(1), torch.tensor((h - 1) / 2))
    cx = torch.where(area > 0, (m * xs).sum((-1, -2)) / area.clamp_min(1), torch.tensor((w - 1) / 2))
    return cy.round().long(), cx.round().long()


def crop_at(frames: torch.Tensor, cy: torch.Tensor, cx: torch.Tensor, size: int) -> torch.Tensor:
    """frames [N, C, H, W], centres [N] -> [N, C, size, size] around each centre; beyond the frame
    the edge pixels repeat (the background continues), so an object near the border stays centred.
    A whole-frame discriminator of this size cannot tell the world's 12 shapes apart (0.10, chance
    0.08); the same convs on object-centred crops can (0.92; checkpoints/gan-decoder/)."""
    half = size // 2
    padded = F.pad(frames, (half, half, half, half), mode="replicate")
    return torch.stack([padded[i, :, y:y + size, x:x + size] for i, (y, x) in enumerate(zip(cy.tolist(), cx.tolist()))])


def d_hinge(real: torch.Tensor, fake: torch.Tensor, mismatched: torch.Tensor) -> torch.Tensor:
    """The discriminator's hinge loss; fakes and right-frame-wrong-caption pairs share the fake side."""
    return F.relu(1 - real).mean() + 0.5 * (F.relu(1 + fake).mean() + F.relu(1 + mismatched).mean())


def adaptive_weight(recon: torch.Tensor, adv: torch.Tensor, last: torch.Tensor, cap: float = 1e3) -> torch.Tensor:
    """VQGAN's balance: the adversarial term scaled so its gradient at `last` matches the recon term's."""
    g_rec = torch.autograd.grad(recon, last, retain_graph=True)[0]
    g_adv = torch.autograd.grad(adv, last, retain_graph=True)[0]
    return (g_rec.norm() / (g_adv.norm() + 1e-4)).clamp(0.0, cap).detach()
