"""A learnt residual block over the frozen text encoder's token states (issue #8, paraphrases).

The text encoder (MiniLM) stays frozen and shared; the DiT learnt its colours, shapes and motions
from a few hundred caption words. People write other words and other sentences ("Can you make a
cobalt package ..."), which reach the DiT as states it never saw. This block maps those states
towards ones it understands, trained with the DiT frozen (`train_text_adapter`), so what the DiT
already does for captions it knows can only change through the block. Its output projections
start at zero: a fresh block is the identity, and a package with it untrained makes the same clips.
It lives inside the denoiser graph (the package contract is unchanged: the denoiser still takes
the encoder's states).

Self-attention across the caption's tokens lets a word's state use its neighbours (a colour word
before "wall" or "behind it" names the background). It mixes every token with every other, so it
does not respect scene boundaries: VideoDiT refuses it together with a per-scene text mask.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn


class TextAdapter(nn.Module):
    def __init__(self, dim: int, hidden: int, head_dim: int = 64):
        super().__init__()
        self.heads = max(1, dim // head_dim)
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.o = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, dim))
        for out in (self.o, self.mlp[2]):
            nn.init.zeros_(out.weight); nn.init.zeros_(out.bias)

    def forward(self, text: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """text [B, L, D], mask [B, L] (1 = a real token): the adapted states, same shape."""
        b, n, d = text.shape
        q, k, v = self.qkv(self.norm1(text)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(d // self.heads))
        att = att + ((1.0 - mask.to(att.dtype)) * -1e4)[:, None, None, :]
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d)
        text = text + self.o(y)
        return text + self.mlp(self.norm2(text))
