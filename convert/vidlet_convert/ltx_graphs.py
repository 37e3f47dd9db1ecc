"""The LTX-Video modules wrapped to Vidlet's graph boundary (docs/model-package.md, "Component I/O").

Each wrapper does in the graph what diffusers' LTXPipeline does around the module, so the engine
needs no LTX-specific arithmetic:
* text encoder: T5's last hidden state as the pipeline computes it: `_get_t5_prompt_embeds` runs T5
  on the padded ids WITHOUT the attention mask (pad tokens are attended to inside T5) and keeps the
  padded rows; the mask acts only in the transformer's cross-attention. So the graph takes the
  contract's `attention_mask` and does not use it (the engine passes the same mask to the denoiser
  as `text_mask`);
* denoiser: the contract's latent [B,c,t,h,w] is packed into the transformer's tokens and its output
  unpacked with the pipeline's own `_pack_latents` / `_unpack_latents`; RoPE is traced for this
  clip's t/h/w with the pipeline's `rope_interpolation_scale` (VAE time ratio / frame rate, VAE space
  ratio twice) or, for an LTXConditionPipeline checkpoint (0.9.7+), with that pipeline's own video
  coordinates (`_prepare_video_ids` / `_scale_video_ids`: each latent frame's first pixel frame, so
  frame k sits at max(0, 8k − 7) rather than 8k, over the frame rate); Vidlet's t ∈ [0,1] becomes the scheduler's timestep t·1000 and the text mask is the
  transformer's `encoder_attention_mask`. The output is flow velocity, the contract's v = ε − x
  (the pipeline steps `x + (σ_next − σ)·v`);
* VAE decoder: diffusion-space latents back to the VAE's with `_denormalize_latents`
  (`z · std / scaling_factor + mean`, per channel), then, when the VAE is timestep-conditioned (0.9.1
  and later), the pipeline's decode noise mixed in, `z ← (1 − s)·z + s·ε` with s = `decode_noise_scale`
  baked in and ε the graph's second input `decode_noise` (the latent's shape, standard normal: the
  contract's optional vaeDecoder role, which the engine seeds per clip; with s = 0 the graph has no
  such input, as before), decoded at the pipeline's `decode_timestep`, clamped to [-1, 1] (the
  pipeline's postprocess clamps too). A decoder that injects random spatial noise
  (`decoder_inject_noise`, 0.9.1) does so with torch's global generator on every decode, so the
  pipeline's own decode is not reproducible; that noise would be one graph input per block and
  resolution (convert/README.md), so the graph decodes without it (the per-channel noise scales are
  dropped) and the report says so.
"""
from __future__ import annotations

import torch
from torch import nn


def _pipeline():
    from diffusers import LTXPipeline

    return LTXPipeline


def condition_video_coords(batch: int, t: int, h: int, w: int, patch: int, patch_t: int, temporal_ratio: int,
                           spatial_ratio: int, frame_rate: float) -> torch.Tensor:
    """[batch, 3, t·h·w] pixel coordinates of each token as LTXConditionPipeline builds them for a text-only
    clip (prepare_latents with no conditions, frame_index 0, then the time axis over the frame rate)."""
    from diffusers import LTXConditionPipeline

    ids = LTXConditionPipeline._prepare_video_ids(batch, t, h, w, patch_size=patch, patch_size_t=patch_t,
                                                  device=torch.device("cpu"))
    coords = LTXConditionPipeline._scale_video_ids(ids, scale_factor=spatial_ratio, scale_factor_t=temporal_ratio,
                                                   frame_index=0).float()
    coords[:, 0] = coords[:, 0] * (1.0 / frame_rate)
    return coords


class LtxTextEncoder(nn.Module):
    def __init__(self, text_encoder):
        super().__init__()
        self.te = text_encoder

    def forward(self, input_ids, attention_mask):  # noqa: ARG002 (a contract input; see the module's docstring)
        return self.te(input_ids=input_ids).last_hidden_state


class LtxDenoiser(nn.Module):
    """latent [B,128,t,h,w] (diffusion space), timestep [B] in [0,1], text [B,L,D], text_mask [B,L]
    → v_latent [B,128,t,h,w]. t/h/w are fixed at export (RoPE and the unpacking are traced for them).
    `condition`: RoPE on LTXConditionPipeline's coordinates (condition_video_coords) instead of LTXPipeline's."""

    def __init__(self, transformer, frame_rate: float, temporal_ratio: int, spatial_ratio: int,
                 num_train_timesteps: int = 1000, condition: bool = False):
        super().__init__()
        self.tr = transformer
        self.p, self.pt = transformer.config.patch_size, transformer.config.patch_size_t
        self.rope_scale = (temporal_ratio / frame_rate, spatial_ratio, spatial_ratio)
        self.coords = (temporal_ratio, spatial_ratio, frame_rate) if condition else None
        self.scale = float(num_train_timesteps)

    def forward(self, latent, timestep, text, text_mask):
        pipe = _pipeline()
        b, _, t, h, w = latent.shape
        tokens = pipe._pack_latents(latent, self.p, self.pt)
        rope = {"rope_interpolation_scale": self.rope_scale} if self.coords is None else \
            {"video_coords": condition_video_coords(b, t, h, w, self.p, self.pt, *self.coords)}
        v = self.tr(hidden_states=tokens, encoder_hidden_states=text, timestep=timestep * self.scale,
                    encoder_attention_mask=text_mask, num_frames=t, height=h, width=w, return_dict=False, **rope)[0]
        return pipe._unpack_latents(v, t // self.pt, h // self.p, w // self.p, self.p, self.pt)


class LtxVaeDecoder(nn.Module):
    """latent [1,128,t,h,w] (diffusion space) → video [1,3,8(t−1)+1,32h,32w] in [-1,1]; with a decode
    noise scale s > 0 also `decode_noise` [1,128,t,h,w] (standard normal), mixed in after denormalising
    as LTXPipeline does (`decode_noise_scale`; the converter's default is the pipeline's,
    `pipeline_noise_scale`). A VAE without timestep conditioning gets no noise from the pipeline."""

    def __init__(self, vae, decode_timestep: float = 0.0, decode_noise_scale: float = 0.0):
        super().__init__()
        self.vae = vae
        self.register_buffer("mean", vae.latents_mean.detach().clone().float())
        self.register_buffer("std", vae.latents_std.detach().clone().float())
        self.sf = float(vae.config.scaling_factor)
        self.decode_timestep = float(decode_timestep) if vae.config.timestep_conditioning else None
        if decode_noise_scale and not vae.config.timestep_conditioning:
            raise ValueError(f"decode noise scale {decode_noise_scale:g}: this VAE is not timestep-conditioned, and "
                             "LTXPipeline mixes decode noise only into a timestep-conditioned VAE's latent")
        if not 0.0 <= decode_noise_scale <= 1.0:
            raise ValueError(f"decode noise scale {decode_noise_scale:g}: must be in [0, 1] ((1 − s)·z + s·ε)")
        self.noise_scale = float(decode_noise_scale)
        self.noise_dropped = drop_injected_noise(vae)

    @property
    def takes_noise(self) -> bool:
        """Whether the graph has the `decode_noise` input (s > 0)."""
        return self.noise_scale > 0.0

    @property
    def graph_inputs(self) -> list[str]:
        """The graph's inputs (components.export_components), each named as its contract role."""
        return ["latent", "decode_noise"] if self.takes_noise else ["latent"]

    def forward(self, latent, decode_noise=None):
        z = _pipeline()._denormalize_latents(latent, self.mean, self.std, self.sf)
        if self.takes_noise:
            # LTXPipeline.__call__: latents = (1 - decode_noise_scale) * latents + decode_noise_scale * noise.
            # Without a noise (the preview fit) the mixed latent's mean, (1 − s)·z.
            s = torch.tensor(self.noise_scale, dtype=z.dtype)
            z = (1 - s) * z if decode_noise is None else (1 - s) * z + s * decode_noise
        temb = None if self.decode_timestep is None else \
            torch.full((latent.shape[0],), self.decode_timestep, dtype=latent.dtype)
        return self.vae.decode(z, temb, return_dict=False)[0].clamp(-1.0, 1.0)


def pipeline_noise_scale(vae, decode_timestep: float, decode_noise_scale: float | None) -> float:
    """The decode noise scale LTXPipeline uses: the one given, or (`decode_noise_scale=None`, its
    default) the decode timestep; 0 for a VAE without timestep conditioning, which it never mixes."""
    if decode_noise_scale is not None:
        return float(decode_noise_scale)
    return float(decode_timestep) if vae.config.timestep_conditioning else 0.0


def drop_injected_noise(vae) -> int:
    """Remove the decoder's spatial-noise scales (LTXVideoResnetBlock3d skips the noise without them);
    returns how many were removed."""
    n = 0
    for m in vae.decoder.modules():
        for name in ("per_channel_scale1", "per_channel_scale2"):
            if getattr(m, name, None) is not None:
                setattr(m, name, None)
                n += 1
    return n


def latent_normalisation(vae) -> tuple[list[float], list[float]]:
    """The manifest's (shift, scale) per channel: z_diff = (z_vae − shift) · scale with shift = mean,
    scale = scaling_factor / std (LTXPipeline._normalize_latents)."""
    sf = float(vae.config.scaling_factor)
    return [float(m) for m in vae.latents_mean], [sf / float(s) for s in vae.latents_std]
