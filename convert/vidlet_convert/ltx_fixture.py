"""A tiny LTX-Video checkpoint in the diffusers layout, for testing the converter without the real
weights (which cannot be downloaded here).

The classes are the real ones (diffusers' LTXVideoTransformer3DModel and AutoencoderKLLTXVideo,
transformers' T5EncoderModel, the T5-style Unigram tokenizer of fixture.py), narrow and shallow, with
seeded random weights; `LTXPipeline.save_pretrained` writes the published folder layout.

What is kept from the published 2B checkpoint because the package must get it right: the VAE's
factors (8x time, 32x32 space: patch 4 then three 2x2x2 stages) and 128 latent channels with random
per-channel latents_mean/std; the 0.9.1-style decoder (timestep-conditioned, residual upsampling), so
decode_timestep matters; the transformer's 1x1x1 patches and RoPE; the published scheduler config
(resolution-dependent shift; `shift_terminal` as the argument says).

`--condition` writes the LTXConditionPipeline layout of the 0.9.7+ checkpoints (the distilled ones among them)
instead, with what diffusers' convert_ltx_to_diffusers.py gives those versions: the 0.9.5+ VAE (LTXVideo095
down blocks, no injected decoder noise) and `FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False)`.

python -m vidlet_convert.ltx_fixture OUT_DIR [--wide] [--condition] [--text-layers N --text-vocab V]
(--text-layers 24 --text-vocab 32128 with --wide: T5-v1.1-XXL's full size, 4.8 B parameters, written block by
block in bfloat16; fixture.write_text_encoder)
"""
from __future__ import annotations

import sys

import torch

from .fixture import build_tokenizer

TRANSFORMER = dict(in_channels=128, out_channels=128, patch_size=1, patch_size_t=1, num_attention_heads=2,
                   attention_head_dim=12, cross_attention_dim=24, num_layers=2, caption_channels=32,
                   qk_norm="rms_norm_across_heads")
VAE = dict(in_channels=3, out_channels=3, latent_channels=128, block_out_channels=(8, 16, 32, 32),
           decoder_block_out_channels=(8, 16, 32), layers_per_block=(1, 1, 1, 1, 1), decoder_layers_per_block=(1, 1, 1, 1),
           spatio_temporal_scaling=(True, True, True, False), decoder_spatio_temporal_scaling=(True, True, True),
           decoder_inject_noise=(False, False, False, False), upsample_residual=(True, True, True),
           upsample_factor=(2, 2, 2), timestep_conditioning=True, patch_size=4, patch_size_t=1,
           encoder_causal=True, decoder_causal=False)
# Channels double per stage as in the published VAE (128, 256, 512): with equal widths, diffusers'
# up-block would feed its raw decode timestep to a channel-changing resnet (it embeds it only after).
# T5 v1.1 (gated-GELU) in miniature; the real encoder is T5-XXL (d_model 4096, 24 layers)
TEXT = dict(vocab_size=64, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4, relative_attention_num_buckets=8,
            relative_attention_max_distance=16, feed_forward_proj="gated-gelu", pad_token_id=0, eos_token_id=1,
            decoder_start_token_id=0, is_encoder_decoder=False)
# "Wide": every width of the published 2B checkpoint (transformer: 32 heads of 64, cross-attention 2048,
# caption 4096; T5-XXL: d_model 4096, 64 heads of 64, FFN 10240, 32 buckets; the VAE: diffusers' defaults,
# which are the 0.9.0 VAE), but one block per stack and a 64-token vocabulary: the real per-layer
# arithmetic and int8/q4 error at real widths without the ~9 GB checkpoint.
WIDE_TRANSFORMER = {**TRANSFORMER, "num_attention_heads": 32, "attention_head_dim": 64, "cross_attention_dim": 2048,
                    "caption_channels": 4096, "num_layers": 1}
WIDE_VAE: dict = {}
# convert_ltx_to_diffusers.py's 0.9.5/0.9.7 VAE in miniature (the published widths are 128…2048)
VAE_095 = {**VAE, "block_out_channels": (8, 16, 32, 32, 32), "down_block_types": ("LTXVideo095DownBlock3D",) * 4,
           "spatio_temporal_scaling": (True,) * 4, "downsample_type": ("spatial", "temporal", "spatiotemporal", "spatiotemporal"),
           "spatial_compression_ratio": 32, "temporal_compression_ratio": 8}
WIDE_TEXT = {**TEXT, "d_model": 4096, "d_kv": 64, "d_ff": 10240, "num_layers": 1, "num_heads": 64,
             "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128}
# Lightricks/LTX-Video's scheduler/scheduler_config.json as published for the diffusers layout (from
# memory of the public file; not downloadable here): resolution-dependent shift between 0.95 and 2.05
# for 1024 to 4096 tokens, and the last level stretched to shift_terminal 0.1.
SCHEDULER = dict(num_train_timesteps=1000, shift=1.0, use_dynamic_shifting=True, base_shift=0.95, max_shift=2.05,
                 base_image_seq_len=1024, max_image_seq_len=4096, shift_terminal=0.1)


def build_pipeline(seed: int = 0, shift_terminal: float | None = 0.1, wide: bool = False, condition: bool = False):
    from diffusers import (AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXConditionPipeline, LTXPipeline,
                           LTXVideoTransformer3DModel)
    from transformers import T5Config, T5EncoderModel

    if condition and wide:
        raise ValueError("--condition has a tiny fixture only")
    torch.manual_seed(seed)
    transformer = LTXVideoTransformer3DModel(**(WIDE_TRANSFORMER if wide else TRANSFORMER))
    torch.manual_seed(seed + 1)
    vae = AutoencoderKLLTXVideo(**(WIDE_VAE if wide else VAE_095 if condition else VAE))
    # the real statistics are per channel and far from 0/1; a test with 0/1 would not notice if the
    # package dropped them. They are buffers saved with the weights (not config), as diffusers keeps them.
    g = torch.Generator().manual_seed(seed + 2)
    with torch.no_grad():
        vae.latents_mean.copy_(torch.randn(128, generator=g) * 0.5)
        vae.latents_std.copy_(torch.rand(128, generator=g) * 2 + 0.5)
        # diffusers initialises the decoder's timestep scale multiplier to a constant; random weights
        # everywhere else, so make the decode timestep matter as it does in a trained VAE
        for name, p in vae.decoder.named_parameters():
            if "scale_shift_table" in name or "timestep_scale_multiplier" in name:
                p.copy_(torch.randn(p.shape, generator=g))
    torch.manual_seed(seed + 3)
    text_encoder = T5EncoderModel(T5Config(**(WIDE_TEXT if wide else TEXT)))
    scheduler = FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False) if condition else \
        FlowMatchEulerDiscreteScheduler(**{**SCHEDULER, "shift_terminal": shift_terminal})
    return (LTXConditionPipeline if condition else LTXPipeline)(
        scheduler=scheduler, vae=vae.eval(), text_encoder=text_encoder.eval(), tokenizer=build_tokenizer(),
        transformer=transformer.eval())


def make_fixture(out_dir: str, seed: int = 0, shift_terminal: float | None = 0.1, wide: bool = False,
                 condition: bool = False):
    pipe = build_pipeline(seed, shift_terminal, wide, condition)
    pipe.save_pretrained(out_dir)
    return pipe


if __name__ == "__main__":
    from .fixture import deepen_text_encoder

    rest = sys.argv[2:]
    make_fixture(sys.argv[1], wide="--wide" in rest, condition="--condition" in rest)
    deepen_text_encoder(sys.argv[1], rest, WIDE_TEXT if "--wide" in rest else TEXT, t5=True)
    print(sys.argv[1])
