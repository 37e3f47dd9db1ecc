"""Wan 2.1 T2V (diffusers layout) → Vidlet package.

python -m vidlet_convert wan --from Wan2.1-T2V-1.3B-Diffusers --out pkg/wan21-1.3b
"""
from __future__ import annotations

import os
import time

import torch

from . import lora_merge, lora_slots, onnx_io, transformer_file
from .components import (GRAPHS, attention_size, example_inputs, export_components, load_checkpoint, peak_rss,
                         presets_section, selected_roles, space_shapes, video_section, write_partial_report)
from .package import ConversionError, check_tolerances, write_package, write_tokenizer
from .preview import fit_linear_preview
from .schedule import describe_schedule, publisher_sampling, schedule_section
from .text_layers import UMT5, add_text_encoder
from .vae_memory import measure as measure_decode_memory
from .wan_graphs import WanDenoiser, WanVaeDecoder, latent_normalisation
from .wan_vae_frames import export_frame_decoder


def load(src: str, roles):
    """(tokenizer.json path, the text encoder's config, transformer, its config, vae, model_index,
    scheduler config) from a diffusers Wan checkpoint folder. The transformer is loaded only when `roles`
    converts it (None otherwise); the text encoder never is: umT5-XXL alone is 22.7 GB in float32, so
    it is converted a stage at a time from its files (text_layers.py)."""
    from diffusers import AutoencoderKLWan, WanTransformer3DModel
    from transformers import UMT5Config

    return load_checkpoint(src, ("WanPipeline",), "wan", roles, UMT5Config, WanTransformer3DModel, AutoencoderKLWan)


def latent_grid(vae, frames: int, height: int, width: int) -> tuple[int, int, int]:
    """Wan's VAE: frame 0 alone, then 4 frames per latent frame (so frames = 4k + 1); 8×8 pixels."""
    tf = 2 ** sum(vae.config.temperal_downsample)
    sf = 2 ** len(vae.config.temperal_downsample)
    if (frames - 1) % tf or height % (sf * 2) or width % (sf * 2):
        raise ConversionError(f"frames must be {tf}k+1 and height/width multiples of {sf * 2} "
                              f"(VAE {sf}x, patch 2); got {frames}x{height}x{width}")
    return (frames - 1) // tf + 1, height // sf, width // sf


def video_tokens(cfg, grid) -> int:
    pt, ph, pw = cfg.patch_size
    t, h, w = grid
    return (t // pt) * (h // ph) * (w // pw)


def preset_axes(tr_cfg) -> dict:
    """torch.export dims for the latent's t, h, w axes ([B, c, t, h, w]): each a multiple of the patch, up to
    the RoPE tables' length per axis (WanRotaryPosEmbed computes the angles from the input's shape); t from 2
    (torch.export specialises an axis of 1)."""
    mx = tr_cfg.rope_max_seq_len
    axes = {}
    for axis, (name, p) in zip((2, 3, 4), zip("thw", tr_cfg.patch_size)):
        axes[axis] = torch.export.Dim(name, min=2, max=mx) if p == 1 else p * torch.export.Dim(f"{name}_patches", min=1, max=mx)
    return axes


def plan_presets(args, vae, tr_cfg, grid, channels: int, text_dim: int, vocab: int) -> dict | None:
    """--presets: each preset's latent grid (checked as latent_grid checks the default) and attention size, the
    dynamic shapes the denoiser, preview and VAE decoder are exported with, and the feeds each is checked on
    at every other preset's size (components.export_components). None without --presets."""
    if not args.presets:
        return None
    sizes = []
    for p in args.presets:
        g = latent_grid(vae, p["frames"], p["height"], p["width"])
        if g[0] < 2:
            raise ConversionError(f"preset {p['name']}: {p['frames']} frames is one latent frame; a preset needs at least "
                                  f"{(2 - 1) * 4 + 1} frames (the graphs' time axis is dynamic from 2 latent frames)")
        if max(g[0] // tr_cfg.patch_size[0], g[1] // tr_cfg.patch_size[1], g[2] // tr_cfg.patch_size[2]) > tr_cfg.rope_max_seq_len:
            raise ConversionError(f"preset {p['name']}: latent {g} has more patches on an axis than the transformer's RoPE "
                                  f"tables hold ({tr_cfg.rope_max_seq_len})")
        sizes.append({**p, "grid": g, "attention": attention_size(video_tokens(tr_cfg, g), tr_cfg.num_attention_heads)})
    batch = onnx_io.batch_dim()
    axes = preset_axes(tr_cfg)
    others = {p["name"]: p["grid"] for p in sizes if p["name"] != args.default_preset}
    shapes = {"denoiser": ({0: batch, **axes}, {0: batch}, {0: batch}, {0: batch}),
              "previewDecoder": ({0: batch, **{a: torch.export.Dim(f"p{a}", min=2, max=4096) for a in (2, 3, 4)}},)}
    spatial = any(g[1:] != grid[1:] for g in others.values())
    if spatial or args.vae_tiling:
        shapes["vaeDecoder"] = (space_shapes(),)
    feeds = {}
    for k, (name, g) in enumerate(others.items()):
        f = example_inputs(vocab, channels, text_dim, g, args.max_length, args.seed + 10 + k)
        # the whole-clip VAE graph is traced for the default's latent frames: other lengths go to the frame pair
        feeds[name] = {r: f[r] for r in ("denoiser", "previewDecoder")} | ({"vaeDecoder": f["vaeDecoder"]} if g[0] == grid[0] else {})
    return {"sizes": sizes, "others": others, "spatial": spatial, "shapes": shapes, "feeds": feeds}


def wan_presets_section(args, vae, tr_cfg, presets: dict) -> dict:
    """manifest `presets` for Wan: its whole-clip VAE graph is traced for one length (other lengths go to the
    frame pair)."""
    factors = {"time": 2 ** sum(vae.config.temperal_downsample), "space": 2 ** len(vae.config.temperal_downsample),
               "causal": True}
    return presets_section(args.default_preset, presets["sizes"], factors, tr_cfg.patch_size)


def convert(args) -> dict:
    started = time.time()
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name)  # noqa: E731
    roles = selected_roles(args.only)
    tok, te_cfg, tr, tr_cfg, vae, index, sched = load(args.src, roles)
    sampling(sched, args.sampler)  # a scheduler the package cannot express fails now, not after the export
    from diffusers import WanPipeline

    weights = transformer_file.load_into(tr, "wan", args.transformer) if tr and args.transformer else None
    merged = lora_merge.merge(tr, WanPipeline, args.merge_lora) if tr else []
    grid = latent_grid(vae, args.frames, args.height, args.width)
    attention = attention_size(video_tokens(tr_cfg, grid), tr_cfg.num_attention_heads)
    preview, fit = fit_linear_preview(WanVaeDecoder(vae).eval(), vae.config.z_dim, (min(grid[0], 3), 4, 4))
    modules = {"denoiser": tr and WanDenoiser(tr).eval(), "vaeDecoder": WanVaeDecoder(vae).eval(),
               "previewDecoder": preview.eval()}
    feeds = example_inputs(te_cfg.vocab_size, tr_cfg.in_channels, tr_cfg.text_dim, grid, args.max_length, args.seed)
    presets = plan_presets(args, vae, tr_cfg, grid, tr_cfg.in_channels, tr_cfg.text_dim, te_cfg.vocab_size)
    if tr:
        modules["denoiser"], lora = lora_slots.attach(args, tr, modules["denoiser"], "blocks", lora_slots.WAN_ALIASES,
                                                      lora_slots.WAN_FEED_FORWARD, feeds, presets)
    errors, components, sizes = export_components(modules, feeds, [r for r in roles if r != "textEncoder"], args,
                                                  presets)
    params = {r: sum(p.numel() for p in modules[r].parameters()) for r in components}
    text_report = add_text_encoder(args, feeds["textEncoder"], UMT5, errors, components, sizes, params) \
        if "textEncoder" in roles else {}
    # the VAE decoder one latent frame at a time (proposal: convert/README.md, contract item 7)
    frames = export_frame_decoder(vae, grid, args.out, args.shard_bytes, args.seed, errors,
                                  bool(args.vae_tiling) or bool(presets and presets["spatial"]),
                                  presets and presets["others"]) \
        if "vaeDecoder" in roles else None
    check_tolerances(errors, args.out)  # before anything the engine reads is written
    # the tiles' memory per latent pixel, for an engine given a memory budget (vae_memory.py)
    memory = measure_decode_memory(args.out, {"channels": vae.config.z_dim, "frames": grid[0], "height": grid[1],
                                              "width": grid[2]},
                                   out(components["vaeDecoder"]["variants"]["fp32"]["files"][0]["path"]), frames) \
        if args.vae_tiling and "vaeDecoder" in roles else None
    by_preset = {"presets": {p["name"]: {"grid": list(p["grid"]), "attention": p["attention"]} for p in presets["sizes"]}} \
        if presets else {}
    if len(roles) < len(GRAPHS):  # --only: graphs and report, but no manifest (not a whole package)
        return write_partial_report(args.out, started, components, errors, attention, params,
                                    {**({"vae_memory": memory} if memory else {}), **text_report, **by_preset})
    write_tokenizer(tok, out("tokenizer.json"), pad_id=te_cfg.pad_token_id, pad_token="<pad>")
    shift, scale = latent_normalisation(vae)
    info = describe(args, index, sched, grid, attention, shift, scale, components, te_cfg.d_model)
    if tr and lora:
        info["lora"] = lora
    if frames:
        info["vaeDecoderFrames"] = frames  # src/package/vae-decode.ts: the engine decodes frame by frame with it
    if presets:
        info["presets"] = wan_presets_section(args, vae, tr_cfg, presets)
    if args.vae_tiling:
        info["vaeTiling"] = {"tile": args.vae_tiling[0], "overlap": args.vae_tiling[1],
                             "bytesPerLatentPixel": memory["bytesPerLatentPixel"]}
    card = {"family": "wan", "source": os.path.abspath(args.src), "pipeline": index["_class_name"], "previewFit": fit,
            **({"transformerFile": transformer_file.describe(weights)} if weights else {}),
            **({"mergedLoras": lora_merge.describe(merged)} if merged else {}),
            "maxLength": args.max_length, "schedule": describe_schedule(info["schedule"]),
            "publisherScheduler": sched.get("_class_name", "unknown")}
    report = {"seconds": time.time() - started, "peak_rss_bytes": peak_rss(), "attention": attention, "errors": errors,
              "preview_fit": fit, **({"transformer_file": weights} if weights else {}),
              **({"merged_loras": merged} if merged else {}), **({"vae_memory": memory} if memory else {}),
              **text_report, **by_preset,
              "params": {**params, "vaeDecoder": sum(p.numel() for p in vae.decoder.parameters())}}
    return write_package(args.out, info, card, components, sizes, report)


def sampling(sched: dict, sampler: str | None) -> tuple[str, str]:
    """(spacing, default sampler) of the publisher's scheduler (schedule.publisher_sampling), as a ConversionError."""
    try:
        return publisher_sampling(sched, sampler)
    except ValueError as e:
        raise ConversionError(str(e)) from None


def describe(args, index, sched, grid, attention: dict, shift, scale, components, hidden: int) -> dict:
    """manifest.json; `attention`: attention_size at the default size, which `video` records. No `motion` (Wan
    has no VideoJAM head) and no `lora` (no slots in the graph): the contract additions this needs are written in
    convert/README.md."""
    t, h, w = grid
    spacing, sampler = sampling(sched, args.sampler)
    return {
        "format": "vidlet-model", "formatVersion": 1, "name": args.name, "displayName": args.display_name,
        "description": f"Wan 2.1 text-to-video converted from the diffusers checkpoint ({index['_class_name']}).",
        "license": args.license, "modelCard": "MODEL_CARD.md",
        "video": video_section(args, attention),
        "latent": {"channels": len(shift), "frames": t, "height": h, "width": w, "scale": scale, "shift": shift},
        "text": {"tokenizer": "tokenizer.json", "maxLength": args.max_length,
                 "hiddenSize": hidden},
        # the publisher's scheduler's grid and sampler (UniPC for Wan 2.1) with its shift, or a distilled
        # checkpoint's own list (schedule.py)
        "schedule": schedule_section(publisher_shift=sched.get("flow_shift", sched.get("shift", 3.0)), steps=args.steps,
                                     guidance=args.guidance, sampler=sampler, sigmas=args.sigmas, spacing=spacing),
        "components": components,
        "adapters": [],
    }

