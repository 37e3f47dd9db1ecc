"""A VAE decoder that also reads the caption: the cascaded models' text-conditioned last stage.

Imagen's super-resolution stages and Würstchen's / Stable Cascade's decoders read the caption, so
detail the coarse stage leaves open is drawn from the words. Here the coarse stage is the DiT: on
this budget it places a blob of the right colour moving the right way but does not draw its
outline (model card, "How the recipe was chosen"), while the words say which outline it is. The
decoder is the shipped VAE decoder with cross-attention to the text encoder's hidden states at the
latent grid, zero-initialised, so before training it decodes exactly as the VAE's decoder does.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .vae import Decoder, VAEConfig, _fold, _unfold


class TextCrossAttention(nn.Module):
    """Every position of a folded frame [BT, C, H, W] attends to its clip's caption tokens."""

    def __init__(self, c: int, text_dim: int, heads: int = 4):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(8, c)
        self.q = nn.Linear(c, c)
        self.kv = nn.Linear(text_dim, 2 * c)
        self.o = nn.Linear(c, c)
        nn.init.zeros_(self.o.weight)
        nn.init.zeros_(self.o.bias)

    def forward(self, h: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor, t: int) -> torch.Tensor:
        bt, c, hh, ww = h.shape
        x = self.norm(h).flatten(2).transpose(1, 2)                                  # [BT, HW, C]
        k, v = self.kv(text).repeat_interleave(t, 0).chunk(2, -1)                    # [BT, L, C] each
        split = lambda y: y.reshape(bt, y.shape[1], self.heads, c // self.heads).transpose(1, 2)  # noqa: E731
        keep = text_mask.repeat_interleave(t, 0)[:, None, None, :] > 0.5              # [BT, 1, 1, L]
        a = F.scaled_dot_product_attention(split(self.q(x)), split(k), split(v), attn_mask=keep)
        a = self.o(a.transpose(1, 2).reshape(bt, hh * ww, c))
        return h + a.transpose(1, 2).reshape(bt, c, hh, ww)


class TextDecoder(Decoder):
    """Decoder(z) plus the caption: cross-attention after the input conv and after each block at
    the latent grid (latent frames, then full frame rate), where a position still sees the whole
    object around it."""

    def __init__(self, cfg: VAEConfig, text_dim: int = 384):
        super().__init__(cfg)
        self.x_in = TextCrossAttention(cfg.dec_lo, text_dim)
        self.x_lo = nn.ModuleList(TextCrossAttention(cfg.dec_lo, text_dim) for _ in range(cfg.dec_lo_blocks))
        self.x_mid = TextCrossAttention(cfg.dec_mid, text_dim)

    def forward(self, z: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor) -> torch.Tensor:
        tl = z.shape[2]
        t = 4 * tl
        h = self.x_in(self.inp(_fold(z)), text, text_mask, tl)
        for block, cross in zip(self.lo, self.x_lo):
            h = cross(block(h, tl), text, text_mask, tl)
        h = self.tup(h)
        bt, c4, hh, ww = h.shape
        h = h.reshape(bt, 4, c4 // 4, hh, ww).reshape(bt * 4, c4 // 4, hh, ww)
        h = self.x_mid(self.mid(h.contiguous(memory_format=torch.channels_last), t), text, text_mask, t)
        h = self.hi(F.pixel_shuffle(self.up1(h), self.up1_factor), t)
        h = self.top(F.pixel_shuffle(self.up2(h), 2), t)
        return _unfold(F.pixel_shuffle(self.out(F.silu(h)), 2), t)


def from_vae_decoder(decoder: Decoder, text_dim: int = 384) -> TextDecoder:
    """A TextDecoder holding `decoder`'s weights; its cross-attention adds nothing until trained."""
    td = TextDecoder(decoder.cfg, text_dim)
    missing, unexpected = td.load_state_dict(decoder.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("x_") for k in missing), (missing, unexpected)
    return td
