"""A tiny Wan 2.1 checkpoint in the diffusers layout, for testing the converter without the real
weights (which cannot be downloaded here).

The classes are the real ones (diffusers' WanTransformer3DModel and AutoencoderKLWan, transformers'
UMT5EncoderModel with umT5's gated-GELU feed-forward, a T5-style Unigram tokenizer: pad 0, eos 1,
unk 2, `</s>` appended), only narrower and shallower, with seeded random weights. `save_pretrained`
writes exactly the folders the published checkpoint has (model_index.json, transformer/, vae/,
text_encoder/, tokenizer/, scheduler/).

python -m vidlet_convert.fixture OUT_DIR [--wide] [--dit-layers N]
"""
from __future__ import annotations

import sys

import torch

# Small but not degenerate: 2 heads of 12 (Wan splits each head's RoPE into t/h/w parts, 4+4+4),
# 2 blocks, the VAE's 4x time / 8x8 space / 16 channels kept (the factors the package must describe).
TRANSFORMER = dict(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
                   text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
                   qk_norm="rms_norm_across_heads", rope_max_seq_len=32)
VAE = dict(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True])
TEXT = dict(vocab_size=64, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4, relative_attention_num_buckets=8,
            relative_attention_max_distance=16, feed_forward_proj="gated-gelu", pad_token_id=0, eos_token_id=1,
            decoder_start_token_id=0)
# "Wide": every width of the published checkpoints (Wan 2.1 T2V 1.3B's DiT: 12 heads of 128, FFN 8960,
# text 4096; umT5-XXL: d_model 4096, 64 heads of 64, FFN 10240, 32 buckets; the Wan VAE's defaults are
# the published VAE), but one block each and a 64-token vocabulary: the real per-layer arithmetic and
# int8 error at real widths, in ~1.2 GB instead of ~29 GB.
WIDE_TRANSFORMER = {**TRANSFORMER, "num_attention_heads": 12, "attention_head_dim": 128, "text_dim": 4096,
                    "ffn_dim": 8960, "num_layers": 1, "rope_max_seq_len": 1024}
WIDE_VAE: dict = {}
WIDE_TEXT = {**TEXT, "d_model": 4096, "d_kv": 64, "d_ff": 10240, "num_layers": 1, "num_heads": 64,
             "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128}
WORDS = ["a", "red", "blue", "green", "ball", "cube", "cat", "dog", "runs", "jumps", "on", "the", "beach", "city",
         "at", "night", "slowly", "fast", "camera", "pans", "left", "right", "shoe", "product", "shot"]


def build_tokenizer():
    """A T5-style Unigram tokenizer (Metaspace "▁" words, `</s>` appended, pad id 0) built in memory,
    as transformers' fast tokenizer wraps it; every character of WORDS is a piece, so any word of
    those letters tokenizes."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces += [("▁" + w, -2.0) for w in WORDS]
    chars = sorted({c for w in WORDS for c in w})
    pieces += [("▁", -3.0)] + [(c, -5.0) for c in chars]
    tok = Tokenizer(models.Unigram(pieces, unk_id=2, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", 1)])
    assert len(pieces) <= TEXT["vocab_size"], "the text encoder's embedding must cover every piece"
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=512)


def build_pipeline(seed: int = 0, wide: bool = False, dit_layers: int | None = None):
    """A WanPipeline of tiny real modules with seeded random weights (each module re-seeded, so
    changing one config leaves the others' weights as they were); `wide`: the real widths, one block;
    `dit_layers`: that many transformer blocks (30 with `wide` is Wan 2.1 1.3B's DiT, 1.42 B parameters)."""
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline, WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    torch.manual_seed(seed)
    config = dict(WIDE_TRANSFORMER if wide else TRANSFORMER)
    if dit_layers:
        config["num_layers"] = dit_layers
    transformer = WanTransformer3DModel(**config)
    torch.manual_seed(seed + 1)
    vae = AutoencoderKLWan(**(WIDE_VAE if wide else VAE))
    # Random latent statistics (the real ones are per-channel and far from 0/1): the package must
    # carry them per channel, and a test with mean 0 / std 1 would not notice if it did not.
    g = torch.Generator().manual_seed(seed + 2)
    vae.register_to_config(latents_mean=(torch.randn(16, generator=g) * 0.5).tolist(),
                           latents_std=(torch.rand(16, generator=g) * 2 + 0.5).tolist())
    torch.manual_seed(seed + 3)
    text_encoder = UMT5EncoderModel(UMT5Config(**(WIDE_TEXT if wide else TEXT)))
    # Wan's published scheduler is UniPC; the engine samples with Euler over shifted flow sigmas,
    # which is FlowMatchEulerDiscreteScheduler (shift 3.0 is Wan 2.1's 480p flow_shift).
    scheduler = FlowMatchEulerDiscreteScheduler(shift=3.0)
    pipe = WanPipeline(tokenizer=build_tokenizer(), text_encoder=text_encoder.eval(), transformer=transformer.eval(),
                       vae=vae.eval(), scheduler=scheduler)
    return pipe


def make_fixture(out_dir: str, seed: int = 0, wide: bool = False, dit_layers: int | None = None):
    pipe = build_pipeline(seed, wide, dit_layers)
    pipe.save_pretrained(out_dir)
    return pipe


if __name__ == "__main__":
    rest = sys.argv[2:]
    layers = int(rest[rest.index("--dit-layers") + 1]) if "--dit-layers" in rest else None
    make_fixture(sys.argv[1], wide="--wide" in rest, dit_layers=layers)
    print(sys.argv[1])
