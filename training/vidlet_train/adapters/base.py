"""What adapter training needs from the base model, as one small interface.

Adapter training only needs: the DiT module (LoRA is injected into its self-attention at run
time, the DiT's code is not edited), a way to encode clips into diffusion-space latents and
captions into text tokens, and the DiT's velocity for a noisy latent. `BaseModel` names exactly
that, so the DualReal loop is independent of how the base model's checkpoint is organised;
`vidlet_train.adapters.checkpoint` builds one from the training engineer's checkpoint.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch import nn

from .data import VideoSize


@dataclass
class BaseModel:
    name: str  # manifest.name of the model package the adapters are for
    dit: nn.Module
    depth: int
    width: int  # C: in/out features of the attention projections
    text_dim: int
    video: VideoSize
    # [B, 3, T, H, W] in [-1, 1] -> diffusion-space latent [B, c, t, h, w]
    encode_video: Callable[[torch.Tensor], torch.Tensor]
    # captions -> (tokens [B, L, H], mask [B, L]); "" is the unconditional text
    encode_text: Callable[[List[str]], Tuple[torch.Tensor, torch.Tensor]]
    # (x_t, t [B], text, mask) -> predicted v = ε − x for the video latent, motion input dropped
    velocity: Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
    # the DiT's own timestep embedding t [B] -> [B, E], if it exposes one (else the blender
    # uses a sinusoidal embedding of its own)
    timestep_embedding: Optional[Callable[[torch.Tensor], torch.Tensor]] = None
    timestep_dim: int = 64
    _text_cache: Dict[str, Tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict, repr=False)

    @torch.no_grad()
    def text(self, captions: List[str]) -> Tuple[torch.Tensor, torch.Tensor]:
        """encode_text with a per-caption cache: the text encoder is frozen and captions repeat."""
        missing = [c for c in dict.fromkeys(captions) if c not in self._text_cache]
        if missing:
            tokens, mask = self.encode_text(missing)
            for i, c in enumerate(missing):
                self._text_cache[c] = (tokens[i], mask[i])
        return (
            torch.stack([self._text_cache[c][0] for c in captions]),
            torch.stack([self._text_cache[c][1] for c in captions]),
        )
