"""The Wan 2.1 modules wrapped to Vidlet's graph boundary (docs/model-package.md, "Component I/O").

Each wrapper does in the graph what diffusers' WanPipeline does around the module, so the engine
needs no Wan-specific arithmetic:
* text encoder: umT5's last hidden state with padded positions set to 0 (WanPipeline's
  `_get_t5_prompt_embeds` cuts each prompt to its length and pads back with zeros; the Wan
  transformer has no text mask, it attends to those zero rows);
* denoiser: Vidlet's t ∈ [0,1] becomes Wan's timestep t·1000 (FlowMatchEulerDiscreteScheduler's
  `timesteps = sigmas · num_train_timesteps`); its output is already Vidlet's v = ε − x (flow
  prediction, stepped `x ← x + (σ_next − σ)·v`, i.e. Vidlet's `x ← x − Δt·v`);
* VAE decoder: diffusion-space latents back to the VAE's (`z · std + mean`, per channel, as the
  pipeline's decode does), decode, clamp to [-1, 1] (the pipeline's postprocess clamps too).
"""
from __future__ import annotations

import torch
from torch import nn


class WanTextEncoder(nn.Module):
    def __init__(self, text_encoder):
        super().__init__()
        self.te = text_encoder

    def forward(self, input_ids, attention_mask):
        hidden = self.te(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return hidden * attention_mask.unsqueeze(-1).to(hidden.dtype)


class WanDenoiser(nn.Module):
    """latent [B,16,t,h,w] (diffusion space), timestep [B] in [0,1], text [B,L,D], text_mask [B,L]
    → v_latent [B,16,t,h,w]. The mask zeroes padded text rows again, so a text encoder that does
    not zero them (another tool's export) still gives the pipeline's conditioning."""

    def __init__(self, transformer, num_train_timesteps: int = 1000):
        super().__init__()
        self.tr = transformer
        self.scale = float(num_train_timesteps)

    def forward(self, latent, timestep, text, text_mask):
        text = text * text_mask.unsqueeze(-1).to(text.dtype)
        return self.tr(hidden_states=latent, timestep=timestep * self.scale, encoder_hidden_states=text,
                       return_dict=False)[0]


class WanVaeDecoder(nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae
        cfg = vae.config
        self.register_buffer("mean", torch.tensor(cfg.latents_mean, dtype=torch.float32).view(1, -1, 1, 1, 1))
        self.register_buffer("std", torch.tensor(cfg.latents_std, dtype=torch.float32).view(1, -1, 1, 1, 1))

    def forward(self, latent):
        z = latent * self.std + self.mean
        return self.vae.decode(z, return_dict=False)[0].clamp(-1.0, 1.0)


def latent_normalisation(vae) -> tuple[list[float], list[float]]:
    """The manifest's (shift, scale) per channel: z_diff = (z_vae − shift) · scale with shift = mean,
    scale = 1 / std (WanPipeline: `latents / (1 / std) + mean` to decode)."""
    return [float(m) for m in vae.config.latents_mean], [1.0 / float(s) for s in vae.config.latents_std]
