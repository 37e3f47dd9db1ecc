"""A tiny Wan 2.1 checkpoint in the diffusers layout, for testing the converter without the real
weights (which cannot be downloaded here).

The classes are the real ones (diffusers' WanTransformer3DModel and AutoencoderKLWan, transformers'
UMT5EncoderModel with umT5's gated-GELU feed-forward, a T5-style Unigram tokenizer: pad 0, eos 1,
unk 2, `</s>` appended), only narrower and shallower, with seeded random weights. `save_pretrained`
writes exactly the folders the published checkpoint has (model_index.json, transformer/, vae/,
text_encoder/, tokenizer/, scheduler/).

python -m vidlet_convert.fixture OUT_DIR [--wide] [--dit-layers N] [--text-layers N --text-vocab V]
(--text-layers 24 --text-vocab 256384 with --wide: umT5-XXL's full size, 5.7 B parameters, written block by
block in bfloat16 as the published text encoder is; write_text_encoder)
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
# Wan-AI/Wan2.1-T2V-1.3B-Diffusers scheduler/scheduler_config.json: UniPC for flow matching at the 480p
# flow_shift 3 (the fields that shape sampling; the rest are diffusers' defaults). Not read from the hub
# here (no network): as the diffusers Wan docs describe it and as published copies of the file quote it.
WAN_SCHEDULER = dict(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0, num_train_timesteps=1000,
                     solver_order=2, solver_type="bh2", predict_x0=True, lower_order_final=True, disable_corrector=[],
                     final_sigmas_type="zero", timestep_spacing="linspace", thresholding=False)

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
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel
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
    # the published checkpoint's scheduler, so the converter meets what a real Wan 2.1 folder holds (the
    # package samples it with the engine's `unipc`; tests that want Euler swap in FlowMatchEulerDiscreteScheduler)
    scheduler = UniPCMultistepScheduler(**WAN_SCHEDULER)
    pipe = WanPipeline(tokenizer=build_tokenizer(), text_encoder=text_encoder.eval(), transformer=transformer.eval(),
                       vae=vae.eval(), scheduler=scheduler)
    return pipe


def make_fixture(out_dir: str, seed: int = 0, wide: bool = False, dit_layers: int | None = None):
    pipe = build_pipeline(seed, wide, dit_layers)
    pipe.save_pretrained(out_dir)
    return pipe


def write_text_encoder(folder: str, text: dict, seed: int = 0, dtype=torch.bfloat16, shard_bytes: int = 5 << 30,
                       t5: bool = False) -> int:
    """A umT5 (or, with `t5`, a T5 v1.1) encoder checkpoint folder (config.json,
    model-0000i-of-0000n.safetensors and their index, as transformers' save_pretrained writes a sharded
    one) built a block at a time, so an encoder too large for memory (umT5-XXL: 22.7 GB in float32,
    T5-v1.1-XXL: 19 GB) can be made: each block is block 0 of a one-block encoder of the same widths
    (transformers' own initialisation), seeded per block. Returns the parameter count."""
    import json
    import os

    from safetensors.torch import save_file
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    from .text_layers import BIAS

    Config, Model = (T5Config, T5EncoderModel) if t5 else (UMT5Config, UMT5EncoderModel)
    os.makedirs(folder, exist_ok=True)
    config = Config(**text)
    config.dtype = str(dtype).removeprefix("torch.")
    config.save_pretrained(folder)
    shard: dict[str, torch.Tensor] = {}
    where: dict[str, int] = {}  # tensor → shard number; the files are named once their count is known
    count = params = total = 0

    def flush() -> None:
        nonlocal count
        if shard:
            save_file(shard, os.path.join(folder, f"shard-{count}"), metadata={"format": "pt"})
            shard.clear()
            count += 1

    def put(name: str, t: torch.Tensor) -> None:
        nonlocal params, total
        if shard and sum(x.nbytes for x in shard.values()) + t.nbytes > shard_bytes:
            flush()
        shard[name] = t.to(dtype).contiguous()
        where[name] = count
        params, total = params + t.numel(), total + shard[name].nbytes

    g = torch.Generator().manual_seed(seed)
    rows = 16384  # the table a slice at a time: umT5-XXL's is 1.05 B values
    put("shared.weight", torch.cat([torch.randn(min(rows, text["vocab_size"] - s), text["d_model"], generator=g)
                                    .to(dtype) for s in range(0, text["vocab_size"], rows)]))
    for k in range(text["num_layers"]):
        torch.manual_seed(seed + 10 + k)
        one = Model(Config(**{**text, "num_layers": 1, "vocab_size": 8}))
        for name, t in one.encoder.block[0].state_dict().items():
            if not (t5 and k > 0 and name == BIAS):  # T5 keeps its position bias in block 0 only
                put(f"encoder.block.{k}.{name}", t)
        del one
    put("encoder.final_layer_norm.weight", torch.ones(text["d_model"]))
    flush()
    names = [f"model-{i + 1:05d}-of-{count:05d}.safetensors" for i in range(count)]
    for i, name in enumerate(names):
        os.replace(os.path.join(folder, f"shard-{i}"), os.path.join(folder, name))
    index = {"metadata": {"total_size": total}, "weight_map": {k: names[i] for k, i in where.items()}}
    json.dump(index, open(os.path.join(folder, "model.safetensors.index.json"), "w"), indent=2)
    return params


def deepen_text_encoder(out_dir: str, rest: list[str], text: dict, t5: bool = False) -> None:
    """--text-layers N [--text-vocab V]: the saved one-block text encoder replaced by a deeper one,
    written block by block (write_text_encoder)."""
    import os
    import shutil

    if "--text-layers" not in rest:
        return
    folder = os.path.join(out_dir, "text_encoder")
    shutil.rmtree(folder)
    text = {**text, "num_layers": int(rest[rest.index("--text-layers") + 1])}
    if "--text-vocab" in rest:
        text["vocab_size"] = int(rest[rest.index("--text-vocab") + 1])
    print(f"text encoder: {write_text_encoder(folder, text, t5=t5):,} parameters")


if __name__ == "__main__":
    rest = sys.argv[2:]
    layers = int(rest[rest.index("--dit-layers") + 1]) if "--dit-layers" in rest else None
    make_fixture(sys.argv[1], wide="--wide" in rest, dit_layers=layers)
    deepen_text_encoder(sys.argv[1], rest, WIDE_TEXT if "--wide" in rest else TEXT)
    print(sys.argv[1])
