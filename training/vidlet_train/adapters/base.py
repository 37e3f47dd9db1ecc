"""What adapter training needs from the base model, as one small interface.

Adapter training only needs: the DiT module (LoRA is injected into its self-attention at run
time; the DiT's code is not edited), a way to encode clips and flow-as-RGB into diffusion-space
latents, captions into text tokens, and the DiT's two velocities (VideoJAM: appearance and
motion) for noisy latents. `BaseModel` names exactly that, so the DualReal loop does not depend
on how the checkpoint is organised; `checkpoint.load_base_model` builds one from the real files.
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
    # [B, 3, T, H, W] in [-1, 1] (a clip, or its flow drawn as RGB) -> diffusion-space latent
    encode_video: Callable[[torch.Tensor], torch.Tensor]
    # captions -> (tokens [B, L, H], mask [B, L]); "" is the unconditional text
    encode_text: Callable[[List[str]], Tuple[torch.Tensor, torch.Tensor]]
    # (x_t, d_t, t [B], text, mask) -> (v for the video latent, v for the motion latent or None)
    velocity: Callable[..., Tuple[torch.Tensor, Optional[torch.Tensor]]]
    # flow [B, 2, T, H, W] in pixels -> RGB video in [-1, 1] (VideoJAM's motion input), or None
    # for a model without a motion stream
    flow_to_rgb: Optional[Callable[[torch.Tensor], torch.Tensor]] = None
    # the DiT's own timestep embedding t [B] -> [B, E], if it exposes one
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
        # encoders that pad to the longest caption of a call give cached entries of several lengths
        n = max(self._text_cache[c][1].shape[0] for c in captions)
        pad = lambda x: torch.nn.functional.pad(x, (0, 0) * (x.dim() - 1) + (0, n - x.shape[0]))
        return (
            torch.stack([pad(self._text_cache[c][0]) for c in captions]),
            torch.stack([pad(self._text_cache[c][1]) for c in captions]),
        )

    @torch.no_grad()
    def latents(self, video: torch.Tensor, flow: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Clean latents of a batch: appearance, and motion (flow as RGB) when the model has it."""
        x0 = self.encode_video(video)
        d0 = self.encode_video(self.flow_to_rgb(flow)) if self.flow_to_rgb is not None else None
        return x0, d0
